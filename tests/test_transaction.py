"""The one transaction boundary (server/transaction.py), on both engines: a block commits once, at the
outermost level; what is announced after commit is never announced for work that was rolled back; a
refusal that is itself a record keeps what it wrote; a lost race undoes only its own insert."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.errors import ApiError
from server.extensions import db
from server.grids.models import OrgUnit
from server.transaction import after_commit, savepoint, unit_of_work


def _unit(code: str) -> OrgUnit:
    unit = OrgUnit(code=code, name=f"单元{code}", level="county", path=f"/{code}/")
    db.session.add(unit)
    db.session.flush()  # written, not yet committed
    return unit


def _stored() -> list[str]:
    """What another connection sees: only what was committed."""
    with db.engine.connect() as other:
        return sorted(other.scalars(sa.select(OrgUnit.code)))


def test_nested_blocks_commit_once_and_events_follow_the_commit(engine_name, app):
    announced = []
    with unit_of_work():
        _unit("100001")
        with unit_of_work():  # a service's own block joins the caller's
            _unit("100002")
            after_commit(lambda: announced.append(_stored()))
        assert _stored() == []  # the inner block committed nothing
        assert announced == []
    assert _stored() == ["100001", "100002"]
    assert announced == [["100001", "100002"]]  # sent once everything it announces is stored


def test_a_refusal_rolls_back_everything_and_announces_nothing(engine_name, app):
    announced = []
    with pytest.raises(ApiError), unit_of_work():
        _unit("100003")
        after_commit(announced.append, "should not be sent")
        raise ApiError("validation_error", 422)
    assert _stored() == [] and announced == []
    with unit_of_work():  # the forgotten announcement does not leak into the next unit of work
        _unit("100004")
    assert announced == [] and _stored() == ["100004"]


def test_a_refusal_that_is_a_record_keeps_what_it_wrote(engine_name, app):
    with pytest.raises(ApiError) as refused, unit_of_work():
        _unit("100005")
        raise ApiError("photo.checksum_mismatch", 422, keep=True)
    assert refused.value.status == 422 and _stored() == ["100005"]


def test_work_announced_after_commit_is_its_own_unit_of_work(engine_name, app):
    def subscriber():
        _unit("100007")  # a subscriber writes; its own block commits it

    with unit_of_work():
        _unit("100006")
        after_commit(subscriber)
    assert _stored() == ["100006", "100007"]


def test_after_commit_outside_a_unit_of_work_is_refused(engine_name, app):
    with pytest.raises(RuntimeError, match="unit_of_work"):
        after_commit(print, "never")


def test_a_lost_race_undoes_only_its_own_insert(engine_name, app):
    """A savepoint as the first statement of a block (SQLite would otherwise commit it on release)."""
    with pytest.raises(ApiError), unit_of_work():
        with savepoint():
            _unit("100008")
        assert _stored() == []  # released, not committed: still part of the block
        raise ApiError("validation_error", 422)
    assert _stored() == []
    with unit_of_work():
        _unit("100009")
        with pytest.raises(IntegrityError), savepoint():
            _unit("100009")  # the same code again: a unique key taken
        _unit("100010")
    assert _stored() == ["100009", "100010"]
