"""GPS lost / regained from satellites and silence, as an inspector under a bridge or in a wood would see it."""
from mobile.platform.signal_watch import SignalWatch


class Clock:
    def __init__(self) -> None:
        self.now = 1_796_000_000.0

    def __call__(self) -> float:
        return self.now


def _watch():
    clock, said = Clock(), []
    return SignalWatch(said.append, clock=clock), clock, said


def test_nothing_is_lost_before_the_first_fix():
    watch, clock, said = _watch()
    for _ in range(120):  # two minutes of a cold start, no satellites yet
        clock.now += 1
        watch.satellites(0)
    assert said == []


def test_few_satellites_for_ten_seconds_is_lost_even_with_fixes_and_the_first_good_fix_regains():
    watch, clock, said = _watch()
    watch.satellites(9)
    watch.fix(clock.now)
    for second in range(1, 15):  # the phone still reports fixes (from 3 satellites): not trustworthy
        clock.now += 1
        watch.satellites(3)
        watch.fix(clock.now)
        if second == 9:
            assert said == []
    assert said == ["gps_lost"]
    clock.now += 1
    watch.fix(clock.now)  # still three: not back yet
    watch.satellites(8)
    watch.fix(clock.now)
    assert said == ["gps_lost", "gps_regained"]


def test_silence_and_the_switch_are_lost_once_each():
    watch, clock, said = _watch()
    watch.fix(clock.now)
    clock.now += 10
    watch.tick()
    watch.tick()
    watch.provider(False)
    assert said == ["gps_lost"]
