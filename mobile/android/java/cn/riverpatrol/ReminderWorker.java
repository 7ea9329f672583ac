package cn.riverpatrol;

import android.app.Notification;
import android.app.NotificationChannel;
import android.app.NotificationManager;
import android.app.PendingIntent;
import android.content.Context;
import android.content.Intent;
import android.os.Build;

import androidx.work.Data;
import androidx.work.Worker;
import androidx.work.WorkerParameters;

/**
 * A reminder the phone scheduled from the compliance it last synced ("本周还需巡河 1 次，周日截止"), posted by
 * WorkManager at its time whether or not the app is running (mobile/platform/reminders.py enqueues it with the
 * title, text and id in its input data). Python may not be running then, so the notification is made here, on the
 * same channel as the app's own messages (mobile/platform/android.py, post_message). WorkManager needs no
 * manifest entry of ours: its library declares what it uses (buildozer.spec: android.gradle_dependencies).
 */
public class ReminderWorker extends Worker {
    public static final String CHANNEL = "messages";
    static final int FLAG_IMMUTABLE = 0x04000000;

    public ReminderWorker(Context context, WorkerParameters params) {
        super(context, params);
    }

    @Override
    public Result doWork() {
        Data input = getInputData();
        String title = input.getString("title");
        String text = input.getString("text");
        int id = input.getInt("id", 200);
        if (title == null || text == null) {
            return Result.failure();
        }
        Context ctx = getApplicationContext();
        NotificationManager manager = (NotificationManager) ctx.getSystemService(Context.NOTIFICATION_SERVICE);
        Notification.Builder builder;
        if (Build.VERSION.SDK_INT >= 26) {
            NotificationChannel channel = new NotificationChannel(CHANNEL, "任务和审核结果",
                    NotificationManager.IMPORTANCE_DEFAULT);
            channel.setDescription("新的复核任务、网格长对巡河的决定、本周还需巡河的提醒");
            manager.createNotificationChannel(channel);
            builder = new Notification.Builder(ctx, CHANNEL);
        } else {
            builder = legacyBuilder(ctx);
        }
        Intent opener = ctx.getPackageManager().getLaunchIntentForPackage(ctx.getPackageName());
        builder.setContentTitle(title)
                .setContentText(text)
                .setSmallIcon(ctx.getApplicationInfo().icon)
                .setAutoCancel(true)
                .setContentIntent(PendingIntent.getActivity(ctx, id, opener, FLAG_IMMUTABLE));
        manager.notify(id, builder.build());
        return Result.success();
    }

    @SuppressWarnings("deprecation")
    private static Notification.Builder legacyBuilder(Context ctx) {
        return new Notification.Builder(ctx);  // before Android 8 there are no channels
    }
}
