package android.content;

public class Intent {
    public final String target;

    public Intent(String target) {
        this.target = target;
    }
}
