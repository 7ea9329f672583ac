package android.location;

/** The part of Android's GnssStatus (API 24) that cn.riverpatrol.GnssWatch uses, with its documented shape. */
public final class GnssStatus {
    private final boolean[] used;

    public GnssStatus(boolean[] used) {
        this.used = used;
    }

    public int getSatelliteCount() {
        return used.length;
    }

    public boolean usedInFix(int satelliteIndex) {
        return used[satelliteIndex];
    }

    public abstract static class Callback {
        public Callback() {
        }

        public void onStarted() {
        }

        public void onStopped() {
        }

        public void onFirstFix(int ttffMillis) {
        }

        public void onSatelliteStatusChanged(GnssStatus status) {
        }
    }
}
