package android.app;

/** Android's NotificationManager, as far as the worker uses it; the check subclasses it to see the calls. */
public class NotificationManager {
    public static final int IMPORTANCE_DEFAULT = 3;

    public void createNotificationChannel(NotificationChannel channel) {
    }

    public void notify(int id, Notification notification) {
    }
}
