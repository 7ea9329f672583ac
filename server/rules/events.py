"""What the rules domain announces, after its transaction has committed."""
from blinker import Namespace

_signals = Namespace()

# sender: the Exemption (leave, 免巡) just entered
exemption_added = _signals.signal("exemption-added")
