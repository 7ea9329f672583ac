package android.os;

public class Build {
    public static class VERSION {
        public static int SDK_INT = 34;  // final on a phone; the check sets it to try older Androids
    }
}
