import android.location.GnssStatus;
import cn.riverpatrol.GnssWatch;

/** Feeds GnssWatch as Android would and prints what the Python side would receive. */
public class GnssWatchCheck {
    public static void main(String[] args) {
        GnssWatch watch = new GnssWatch(new GnssWatch.Listener() {
            public void onSatellites(int used, int visible) {
                System.out.println("satellites " + used + " " + visible);
            }

            public void onStopped() {
                System.out.println("stopped");
            }
        });
        GnssStatus.Callback callback = watch;  // registerGnssStatusCallback takes a Callback
        callback.onSatelliteStatusChanged(new GnssStatus(new boolean[] {true, false, true, true, false, true}));
        callback.onSatelliteStatusChanged(new GnssStatus(new boolean[] {false, false}));
        callback.onStopped();
    }
}
