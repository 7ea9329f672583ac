"""The track analysis's thresholds, each with its reason (analysis.py, measure.py and detectors.py apply them)."""
from __future__ import annotations

import datetime as dt

# Filtering
MAX_ACCURACY_M = 50.0  # a phone reporting worse than 50 m is guessing (no GNSS fix): the fix is not used
LOW_ACCURACY_SHARE = 0.3  # more than 30% of fixes that poor: the track as a whole is doubtful
SPIKE_SPEED_MPS = 50.0  # out to a point and straight back faster than 180 km/h: a GNSS glitch, dropped
JITTER_M = 5.0  # standing still, fixes wander a few metres: distance ignores wiggles below this
MOVING_MPS = 0.3  # net progress slower than this over half a minute is standing, not walking (1/4 of a stroll)
MOVING_WINDOW_S = 30.0
STANDSTILL_S = 60.0  # standing still this long: the wandering fixes are not distance walked
MAX_SPEED_WINDOW_S = 10.0  # speeds are net displacement over a window, which jitter cannot inflate
SUSTAINED_WINDOW_S = 120.0  # "sustained" speed: the best two minutes

# vehicle_speed. Walking is 3-6 km/h, a bicycle ridden while looking at the water 10-12
# km/h; a patrol whose typical speed (half of its distance covered faster) is above 12
# km/h was not inspected on foot or by bicycle. "Typical" is the distance-weighted median
# of half-minute speeds (MOVING_WINDOW_S), so short fast stretches do not decide it: the Cerknica walk's
# two stretches at 17-20 km/h on average (peaks near 30) are a walk with a ride in it,
# while the Visnjan car (median 28 km/h) is driven all along.
WALK_OR_CYCLE_TYPICAL_MPS = 12 / 3.6
# Faster than China's e-bike cap (25 km/h, GB 17761-2018) over half a minute: a motor
# vehicle. Such stretches are not flagged by themselves (see above), but a patrol that
# reaches its minimum distance or coverage only thanks to them is: that is driving the
# route to make the patrol count. Domain heuristic in the same spirit: "<=15 min but
# >4 km" (above 16 km/h) means driven.
VEHICLE_STRETCH_MPS = 25 / 3.6

# travel mode (travel.py). Walking is 3-6 km/h; a half-minute faster than 8 km/h is on wheels (or running).
FOOT_MAX_KMH = 8.0
STRETCH_MIN_S = 60.0  # a stretch of one kind lasts a minute at least: shorter runs join their neighbours ...
STRETCH_MIN_M = 300.0  # ... unless they go this far (a minute's drive on an open road is a drive)
# A motor vehicle pulls away at 1-2 m/s2 (the project's car drives: 95th percentile 0.92-1.15 m/s2), a cyclist
# at under half that (its bicycle rides: 0.29-0.52, a phone's scatter included); counted where the stretch also
# reaches car speeds (90th percentile of its half-minute speeds), so that a jolt at walking pace is not a car.
MOTOR_ACCEL_MPS2 = 0.75
MOTOR_ACCEL_MIN_KMH = 25.0
# nobody pedals a median 40 km/h, nor holds 80 for half a minute
MOTOR_SUSTAINED_KMH = 40.0
# an e-bike cruises just under its cap (GB 17761-2018: 25 km/h), steadily, and hardly ever above it; the project's
# bicycle rides have a long tail instead (95th percentile 28.6-45.7 km/h, 99th 35-52)
EBIKE_CAP_KMH = 25.0
EBIKE_MIN_P50_KMH = 15.0
EBIKE_MAX_P95_KMH = 26.5
EBIKE_MAX_P99_KMH = 28.0
EBIKE_MIN_S = 600.0  # ten minutes of riding to tell: less, and the doubt goes to the bicycle
WALK_BETWEEN_RIDES_S = 180.0  # walking pace between two rides this long or shorter: slowing for lights, not a walk

# teleport
TELEPORT_SPEED_MPS = 50.0  # a jump that does not come back, faster than 180 km/h ...
TELEPORT_MIN_JUMP_M = 300.0  # ... and long enough not to be GNSS noise (multipath jumps are tens of metres)

# stationary
STATIONARY_RADIUS_M = 50.0  # all fixes within 50 m of one spot ...
STATIONARY_MIN_S = 600.0  # ... for ten minutes or more (the shortest valid patrol, Guangzhou): nobody walked
STATIONARY_MOVING_SHARE = 0.1  # or moving less than a tenth of a claimed 20 minutes or more
# within that circle but moving more than half the time: a walk round a village pond, not a phone left still
STATIONARY_LOOP_SHARE = 0.5

# time_gap
GAP_MIN_S = 120.0  # a silence longer than two minutes (and 10x the usual interval) is a gap

# coverage / off_segment
COVERAGE_STEP_M = 5.0  # segments are measured in pieces of at most 5 m
OFF_SEGMENT_M = 100.0  # a bank path can be tens of metres from the mapped centre line; 100 m is elsewhere
OFF_SEGMENT_SHARE = 0.5  # most of the track beyond that: not on the assigned river

# synthetic: mock apps draw straight legs at constant speed, interval, accuracy, bearing;
# real GNSS never holds any of these still. Two signs together are needed.
SYNTHETIC_MIN_FIXES = 30
SYNTHETIC_SPACING_CV = 0.05  # real 1 Hz walking varies step length by 20-50%
SYNTHETIC_STRAIGHT_SHARE = 0.7  # real tracks turn by more than half a degree at most fixes
SYNTHETIC_STRAIGHT_DEG = 0.5

# clock
CLOCK_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()  # GNSS phones postdate this
# The receiver's own times against the wall clock (phones from this release): a phone's clock set by the network
# agrees with GNSS within seconds, so two minutes apart is a clock set by hand; the wall clock running more than
# 30 s away from the time since boot between two fixes is a clock moved during the patrol.
CLOCK_GNSS_OFFSET_S = 120.0
CLOCK_JUMP_S = 30.0
CLOCK_MOVES_LISTED = 5

# time_gap evidence: the analysis lists this many gaps (and counts all of them)
GAPS_LISTED = 100
