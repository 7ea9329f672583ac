package android.app;

public final class NotificationChannel {
    public final String id;
    public final CharSequence name;
    public final int importance;
    public String description;

    public NotificationChannel(String id, CharSequence name, int importance) {
        this.id = id;
        this.name = name;
        this.importance = importance;
    }

    public void setDescription(String description) {
        this.description = description;
    }
}
