package androidx.work;

import android.content.Context;

public abstract class ListenableWorker {
    private final Context context;
    private final WorkerParameters params;

    public ListenableWorker(Context appContext, WorkerParameters workerParams) {
        this.context = appContext;
        this.params = workerParams;
    }

    public final Context getApplicationContext() {
        return context;
    }

    public final Data getInputData() {
        return params.input;
    }

    public abstract static class Result {
        public static Result success() {
            return new Success();
        }

        public static Result failure() {
            return new Failure();
        }

        public static final class Success extends Result {
            @Override
            public String toString() {
                return "success";
            }
        }

        public static final class Failure extends Result {
            @Override
            public String toString() {
                return "failure";
            }
        }
    }
}
