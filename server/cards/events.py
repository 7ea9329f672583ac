"""What the cards domain announces, after its transaction has committed."""
from blinker import Namespace

_signals = Namespace()

# sender: the card version that changed; from_day (the first day the change applies), people (user ids
# whose patrols it touches), reason
card_changed = _signals.signal("card-changed")
