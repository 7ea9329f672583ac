package androidx.work;

/** Made by WorkManager for each run; it carries the input data. */
public final class WorkerParameters {
    final Data input;

    public WorkerParameters(Data input) {
        this.input = input;
    }
}
