package android.app;

import android.content.Context;
import android.content.Intent;

public final class PendingIntent {
    public static final int FLAG_IMMUTABLE = 0x04000000;
    public final Intent intent;
    public final int flags;

    private PendingIntent(Intent intent, int flags) {
        this.intent = intent;
        this.flags = flags;
    }

    public static PendingIntent getActivity(Context context, int requestCode, Intent intent, int flags) {
        return new PendingIntent(intent, flags);
    }
}
