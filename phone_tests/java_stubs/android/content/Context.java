package android.content;

import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;

/** The part of Android's Context that cn.riverpatrol.ReminderWorker uses. */
public abstract class Context {
    public static final String NOTIFICATION_SERVICE = "notification";

    public abstract Object getSystemService(String name);

    public abstract PackageManager getPackageManager();

    public abstract String getPackageName();

    public abstract ApplicationInfo getApplicationInfo();
}
