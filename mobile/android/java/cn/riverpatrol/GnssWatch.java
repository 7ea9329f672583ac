package cn.riverpatrol;

import android.location.GnssStatus;

/**
 * GnssStatus.Callback is an abstract class, which pyjnius cannot extend: this adapter forwards it to an
 * interface that Python implements (mobile/platform/android.py, _GnssListener). Added to the APK by
 * buildozer.spec's android.add_src.
 */
public class GnssWatch extends GnssStatus.Callback {
    public interface Listener {
        void onSatellites(int used, int visible);

        void onStopped();
    }

    private final Listener listener;

    public GnssWatch(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void onSatelliteStatusChanged(GnssStatus status) {
        int used = 0;
        for (int i = 0; i < status.getSatelliteCount(); i++) {
            if (status.usedInFix(i)) {
                used++;
            }
        }
        listener.onSatellites(used, status.getSatelliteCount());
    }

    @Override
    public void onStopped() {
        listener.onStopped();
    }
}
