"""River chiefs at every level hold cards in their duty (村级 / 乡级 / 县级河长, 总河长, 保洁员): the county's rules
name the duty (Henan 2018: county >= 1 a quarter, township >= 1 a month, village >= 1 a week); a chief's
assistant named on the card patrols on the chief's behalf (代巡, Guangzhou 2021), counted for the chief where
the county's frequency rule says so, with both names wherever the patrol shows."""
from __future__ import annotations

import datetime as dt
import json

from geoalchemy2.shape import to_shape
from sqlalchemy import delete, select

from server.auth.models import User
from server.cards.models import ResponsibilityCard
from server.extensions import db
from server.grids.models import OrgUnit
from server.rules.models import FrequencyRule, Plan

from .patrol_data import INSP_A, card_of, patrol_body
from .test_console import _session
from .tracks import walk_along

CN = dt.timezone(dt.timedelta(hours=8))
ADMIN, CHIEF, ASSISTANT = "13900000001", "13900000012", "13900000103"
NOV = "2026-11"


def _user(phone: str) -> User:
    return db.session.scalar(select(User).where(User.phone == phone))


def _county() -> OrgUnit:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))


def _ok(r, status=201):
    assert r.status_code == status, r.text
    return r.json()


def _henan(api) -> None:
    """Henan's rules by chief level, in place of the demo county's."""
    db.session.execute(delete(FrequencyRule))
    db.session.execute(delete(Plan))
    db.session.commit()
    admin, county = api.token(ADMIN), _county().id
    for role, window, name in (("county_chief", "quarter", "县级河长每季度"),
                               ("township_chief", "month", "乡级河长每月"),
                               ("village_chief", "week", "村级河长每周"), ("inspector", "week", "巡查员每周")):
        _ok(api.post("/api/v1/rules/frequency", token=admin, json={
            "org_unit_id": county, "role": role, "name": name, "window": window, "min_count": 1,
            "valid_from": "2026-01-01"}))


def _make_township_chief(api) -> tuple[dict, OrgUnit]:
    """The township's supervisor also patrols as its 乡级河长: a card on the township grid."""
    village_card = card_of(INSP_A)
    township = village_card.grid.parent
    admin, chief = api.token(ADMIN), _user(CHIEF)
    _ok(api.put(f"/api/v1/users/{chief.id}/roles", token=admin, json={"roles": [
        {"role": "supervisor", "org_unit_id": township.id}, {"role": "inspector", "org_unit_id": township.id}]}), 200)
    card = _ok(api.post("/api/v1/cards", token=admin, json={
        "inspector_id": chief.id, "grid_id": township.id, "duty": "township_chief",
        "segment_ids": [village_card.segments[0].id], "valid_from": "2026-11-01", "reason": "乡级河长"}))
    return card, township


def _walk(card_id: int, when: dt.datetime, seed: int = 0):
    card = db.session.get(ResponsibilityCard, card_id)
    return card, walk_along(to_shape(card.segments[0].geom), when.timestamp(), seed=seed)


def _upload(api, phone: str, card_id: int, when: dt.datetime, seed: int = 0) -> dict:
    card, track = _walk(card_id, when, seed)
    return _ok(api.post("/api/v1/patrols", token=api.token(phone), json=patrol_body(track, card)))


def _line(api, phone: str) -> dict | None:
    result = _ok(api.get(f"/api/v1/assessments/{NOV}", token=api.token(ADMIN)), 200)
    return next((x for x in result["lines"] if x["phone"] == phone), None)


def test_a_chief_card_belongs_at_the_chiefs_level(engine_name, api):
    village_card = card_of(INSP_A)
    admin, insp = api.token(ADMIN), _user(INSP_A)
    body = {"inspector_id": insp.id, "grid_id": village_card.grid.parent.id, "duty": "village_chief",
            "valid_from": "2026-11-01"}
    r = api.post("/api/v1/cards", token=admin, json=body)
    assert r.status_code == 422 and "村级河长的责任卡须在村/社区网格上" in r.json()["errors"]["duty"]
    r = api.post("/api/v1/cards", token=admin, json={**body, "duty": "party_secretary"})
    assert r.status_code == 422 and "duty" in r.json()["errors"]["json"]
    # an inspector's card names no assistant: only a chief patrols through one
    r = api.post("/api/v1/cards", token=admin, json={**body, "grid_id": village_card.grid.id, "duty": "inspector",
                                                     "assistant_id": _user(ASSISTANT).id})
    assert r.status_code == 422 and "河长" in r.json()["errors"]["assistant_id"]
    # nor is a chief their own assistant
    r = api.post("/api/v1/cards", token=admin, json={**body, "grid_id": village_card.grid.id, "assistant_id": insp.id})
    assert r.status_code == 422 and "本人" in r.json()["errors"]["assistant_id"]
    made = _ok(api.post("/api/v1/cards", token=admin, json={**body, "grid_id": village_card.grid.id,
                                                            "segment_ids": [village_card.segments[0].id]}))
    assert (made["duty"], made["duty_label"], made["assistant"]) == ("village_chief", "村级河长", None)
    assert db.session.scalar(select(ResponsibilityCard.duty).where(ResponsibilityCard.id == made["id"])) == \
        "village_chief"


def test_a_township_chief_is_held_to_the_monthly_rule_and_scored_without_pay(engine_name, api):
    _henan(api)
    admin, county = api.token(ADMIN), _county().id
    # the county scores its chiefs but pays only its inspectors (the chiefs are officials)
    scoring = {"base": 0, "items": [{"label": "频次完成率", "metric": "completion_rate", "bands": [[0, 0], [1, 100]]}]}
    for kind, role, definition in (("scoring", "township_chief", scoring), ("scoring", "inspector", scoring),
                                   ("pay", "inspector", {"base": 600})):
        _ok(api.post("/api/v1/rules/plans", token=admin, json={
            "org_unit_id": county, "kind": kind, "role": role, "name": f"{role} {kind}", "valid_from": "2026-01-01",
            "definition": definition}))
    card, township = _make_township_chief(api)
    chief = api.token(CHIEF)
    mine = _ok(api.get("/api/v1/me/cards", token=chief), 200)["cards"]
    assert [(c["id"], c["duty_label"]) for c in mine] == [(card["id"], "乡级河长")]
    _upload(api, CHIEF, card["id"], dt.datetime(2026, 11, 10, 9, tzinfo=CN))
    line = _line(api, CHIEF)
    # one patrol in the month meets the township chief's rule (a weekly rule would have wanted four)
    assert [(w["rule"], w["required"], w["counted"]) for w in line["windows"]] == [("乡级河长每月", 1, 1)]
    assert (line["score"], line["pay_plan"], line["amount_fen"]) == (100, None, 0)
    assert line["grid"] == township.name
    # the inspector beside them is still paid by the weekly rule
    assert _line(api, INSP_A)["pay_plan"] == "inspector pay"
    # and the chief still supervises: the township's review queue and patrols are theirs
    insp = _upload(api, INSP_A, card_of(INSP_A).id, dt.datetime(2026, 11, 11, 9, tzinfo=CN), seed=4)
    assert insp["uuid"] in {p["uuid"] for p in _ok(api.get("/api/v1/patrols", token=chief), 200)}


def test_an_assistant_patrols_on_the_chiefs_behalf(engine_name, api):
    _henan(api)
    card, _ = _make_township_chief(api)
    admin, chief, assistant = api.token(ADMIN), _user(CHIEF), _user(ASSISTANT)
    # the admin names the assistant on a new version of the chief's card
    v2 = _ok(api.post(f"/api/v1/cards/{card['id']}/revisions", token=admin, json={
        "effective_from": "2026-11-05", "assistant_id": assistant.id, "reason": "河长助理代巡"}))
    assert v2["assistant"]["name"] == assistant.name
    # the assistant's phone lists the chief's card beside their own
    theirs = _ok(api.get("/api/v1/me/cards", token=api.token(ASSISTANT)), 200)["cards"]
    delegated = [c for c in theirs if c["card_no"] == card["card_no"]]
    assert [(c["version"], c["inspector"]["name"]) for c in delegated] == [(2, chief.name)]
    # a patrol before the assistant was named is refused, in words
    early, track = _walk(v2["id"], dt.datetime(2026, 11, 3, 9, tzinfo=CN))
    r = api.post("/api/v1/patrols", token=api.token(ASSISTANT), json=patrol_body(track, early))
    assert r.status_code == 422 and "不属于您" in r.json()["errors"]["card_id"]

    # nobody else may: another inspector does not even find the card
    other, track = _walk(v2["id"], dt.datetime(2026, 11, 12, 9, tzinfo=CN), seed=7)
    assert api.post("/api/v1/patrols", token=api.token(INSP_A), json=patrol_body(track, other)).status_code == 404

    walked = _upload(api, ASSISTANT, v2["id"], dt.datetime(2026, 11, 12, 9, tzinfo=CN))
    assert (walked["inspector"]["name"], walked["for_user"]["name"]) == (assistant.name, chief.name)
    assert walked["walked_as"] == f"{assistant.name}（代 {chief.name} 巡河）"
    # Henan's rule does not count it for the chief: a patrol on behalf is not the chief's own
    line = _line(api, CHIEF)
    assert [(w["required"], w["counted"]) for w in line["windows"]] == [(1, 0)]
    # this county's rule (Guangzhou 2021) does: the same patrol now counts for the chief
    # this township's own rule (Guangzhou 2021) does: the nearer rule wins, and the same patrol now counts
    _ok(api.post("/api/v1/rules/frequency", token=admin, json={
        "org_unit_id": card["grid"]["id"], "role": "township_chief", "name": "乡级河长每月（助理代巡计入）",
        "window": "month", "min_count": 1, "valid_from": "2026-11-01", "counts_delegated": True}))
    line = _line(api, CHIEF)
    assert [(w["rule"], w["counted"]) for w in line["windows"]] == [("乡级河长每月（助理代巡计入）", 1)]
    # it is not the assistant's own patrol: their own weekly card gains nothing from it
    own = _line(api, ASSISTANT)
    assert sum(w["counted"] for w in own["windows"]) == 0

    # both names on the console's patrol page and in the track export
    s, _ = _session(api, ADMIN)
    page = s.get(f"{api.base}/console/patrols/{walked['uuid']}").text
    assert f"{assistant.name} 的巡河" in page and f"代 {chief.name} 巡河" in page
    gpx = api.get(f"/api/v1/patrols/{walked['uuid']}/track.gpx", token=admin)
    assert gpx.status_code == 200 and f"{assistant.name}（代 {chief.name} 巡河）" in gpx.text
    geo = json.loads(api.get(f"/api/v1/patrols/{walked['uuid']}/track.geojson", token=admin).text)
    assert (geo["properties"]["inspector"], geo["properties"]["for"]) == (assistant.name, chief.name)
    # the chief sees what was walked on their behalf (a look at the assistant's track, so it is audited)
    seen = _ok(api.get(f"/api/v1/patrols/{walked['uuid']}", token=api.token(CHIEF)), 200)
    assert seen["walked_as"] == walked["walked_as"]

