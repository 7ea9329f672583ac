package android.content.pm;

import android.content.Intent;

public abstract class PackageManager {
    public abstract Intent getLaunchIntentForPackage(String packageName);
}
