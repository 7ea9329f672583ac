"""Queries over grids and segments, scoped to the caller."""
from sqlalchemy import select

from ..auth.models import User
from ..security import scope_path
from .models import OrgUnit, RiverSegment


def segments_in_scope(user: User):
    path = scope_path(user)
    q = select(RiverSegment).order_by(RiverSegment.code)
    if path is None:
        from ..cards.models import ResponsibilityCard, card_segments

        mine = (select(card_segments.c.segment_id)
                .join(ResponsibilityCard, ResponsibilityCard.id == card_segments.c.card_id)
                .where(ResponsibilityCard.inspector_id == user.id))
        return q.where(RiverSegment.id.in_(mine))
    return q.join(OrgUnit, OrgUnit.id == RiverSegment.grid_id).where(OrgUnit.path.startswith(path, autoescape=True))
