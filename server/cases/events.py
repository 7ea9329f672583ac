"""What the cases domain announces, after its transaction has committed (blinker signals). Other domains
subscribe (the notifications tell the people a step concerns); cases does not know who listens."""
from blinker import Namespace

_signals = Namespace()

# sender: the Case; action (a key of workflow.STEPS), actor_id, event (the applied CaseEvent). Only applied
# steps are announced: a repeated client_uuid, a refusal or a stale offline step sends nothing.
case_stepped = _signals.signal("case-stepped")
# sender: the EscalationNotice (督办单) just issued with an escalation step of an overdue case
notice_issued = _signals.signal("notice-issued")
