package android.app;

import android.content.Context;

public class Notification {
    public String channel;
    public CharSequence title;
    public CharSequence text;
    public int icon;
    public boolean autoCancel;
    public PendingIntent contentIntent;

    public static class Builder {
        private final Notification n = new Notification();

        public Builder(Context context, String channelId) {
            n.channel = channelId;
        }

        @Deprecated
        public Builder(Context context) {
        }

        public Builder setContentTitle(CharSequence title) {
            n.title = title;
            return this;
        }

        public Builder setContentText(CharSequence text) {
            n.text = text;
            return this;
        }

        public Builder setSmallIcon(int icon) {
            n.icon = icon;
            return this;
        }

        public Builder setAutoCancel(boolean autoCancel) {
            n.autoCancel = autoCancel;
            return this;
        }

        public Builder setContentIntent(PendingIntent intent) {
            n.contentIntent = intent;
            return this;
        }

        public Notification build() {
            return n;
        }
    }
}
