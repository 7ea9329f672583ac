package androidx.work;

import android.content.Context;

/** WorkManager runs doWork() on a background thread, in the app's process (started for it when closed). */
public abstract class Worker extends ListenableWorker {
    public Worker(Context context, WorkerParameters workerParams) {
        super(context, workerParams);
    }

    public abstract Result doWork();
}
