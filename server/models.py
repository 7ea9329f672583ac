"""Every model, imported in one place so Alembic and the app see the whole metadata."""
from .assessment.models import AssessmentCorrection, AssessmentLine, AssessmentLock, MonthSignoff  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .auth.models import DeviceSession, LoginThrottle, RoleGrant, User  # noqa: F401
from .basemaps.models import Basemap  # noqa: F401
from .cards.models import ResponsibilityCard, card_segments  # noqa: F401
from .cases.models import (  # noqa: F401
    CalendarDay,
    Case,
    CaseEvent,
    EscalationNotice,
    Problem,
    ProblemCategory,
)
from .grids.models import OrgUnit, River, RiverSegment  # noqa: F401
from .notifications.models import Delivery, Notification, NotificationPreference, UnitChannel  # noqa: F401
from .patrols.models import Patrol, PatrolFlag, patrol_segments  # noqa: F401
from .photos.models import Photo  # noqa: F401
from .rules.models import Exemption, FrequencyRule, Plan, RiverWarning, ValidityRuleConfig  # noqa: F401
from .voicenotes.models import VoiceNote  # noqa: F401
