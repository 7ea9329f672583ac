import android.app.Notification;
import android.app.NotificationChannel;
import android.app.NotificationManager;
import android.content.Context;
import android.content.Intent;
import android.content.pm.ApplicationInfo;
import android.content.pm.PackageManager;
import android.os.Build;
import androidx.work.Data;
import androidx.work.WorkerParameters;
import cn.riverpatrol.ReminderWorker;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs ReminderWorker as WorkManager would, on Android 14 and on Android 7, and prints what it posted. */
public class ReminderWorkerCheck {
    static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    static class Phone extends Context {
        final NotificationManager manager = new NotificationManager() {
            @Override
            public void createNotificationChannel(NotificationChannel channel) {
                OUT.println("channel " + channel.id + " " + channel.name + " " + channel.importance);
            }

            @Override
            public void notify(int id, Notification n) {
                OUT.println("notify " + id + " " + n.channel + " " + n.title + "：" + n.text + " icon " + n.icon
                        + " cancel " + n.autoCancel + " opens " + n.contentIntent.intent.target + " flags "
                        + n.contentIntent.flags);
            }
        };

        public Object getSystemService(String name) {
            return Context.NOTIFICATION_SERVICE.equals(name) ? manager : null;
        }

        public PackageManager getPackageManager() {
            return new PackageManager() {
                public Intent getLaunchIntentForPackage(String packageName) {
                    return new Intent(packageName);
                }
            };
        }

        public String getPackageName() {
            return "cn.riverpatrol.riverpatrol";
        }

        public ApplicationInfo getApplicationInfo() {
            ApplicationInfo info = new ApplicationInfo();
            info.icon = 42;
            return info;
        }
    }

    public static void main(String[] args) {
        Data data = new Data.Builder().putString("title", "巡河提醒").putString("text", "本周还需巡河 1 次，周日截止")
                .putInt("id", 207).build();
        OUT.println(new ReminderWorker(new Phone(), new WorkerParameters(data)).doWork());
        Build.VERSION.SDK_INT = 24;
        OUT.println(new ReminderWorker(new Phone(), new WorkerParameters(data)).doWork());
        OUT.println(new ReminderWorker(new Phone(), new WorkerParameters(new Data.Builder().build())).doWork());
    }
}
