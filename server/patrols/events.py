"""What the patrols domain announces, after its transaction has committed (blinker signals, as Flask
itself uses). Other domains subscribe; patrols does not know who listens (the assessment proposes
corrections to a locked month)."""
from blinker import Namespace

_signals = Namespace()

# sender: the Patrol, just stored (a retry of the same upload sends nothing)
patrol_received = _signals.signal("patrol-received")
# sender: the Patrol; decision ("clear" | "reject"), note
patrol_reviewed = _signals.signal("patrol-reviewed")
