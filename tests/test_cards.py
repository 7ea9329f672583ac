"""Responsibility cards: what the phone caches, and how cards change over time."""
import datetime as dt

from shapely.geometry import shape
from sqlalchemy import select

from server.auth.models import User
from server.cards.models import ResponsibilityCard
from server.extensions import db
from shared_models.clock import local_today

INSP_A, INSP_B, ADMIN = "13900000101", "13900000102", "13900000001"


def _card_of(phone: str) -> ResponsibilityCard:
    uid = db.session.scalar(select(User.id).where(User.phone == phone))
    return db.session.scalar(select(ResponsibilityCard).where(ResponsibilityCard.inspector_id == uid))


def test_phone_gets_its_cards_with_geometry_for_offline_use(engine_name, api):
    body = api.get("/api/v1/me/cards", token=api.token(INSP_A)).json()
    assert body["today"] == local_today().isoformat()
    [card] = body["cards"]
    assert card["inspector"]["phone"] == INSP_A
    assert card["grid_path_names"] == ["未央区", "汉城街道", "阁老门村"]
    grid = shape(card["grid"]["boundary"])
    assert grid.geom_type == "MultiPolygon" and grid.is_valid
    assert len(card["segments"]) == 2
    for seg in card["segments"]:
        line = shape(seg["geometry"])
        assert line.geom_type == "LineString"
        assert grid.buffer(1e-6).contains(line)  # the segments lie in the card's grid
        assert seg["length_m"] > 150 and seg["river"]["name"]
    assert "检查清四乱（乱占、乱采、乱堆、乱建）" in card["duties"]
    assert card["supervisor"]["name"] == "李秀英" and card["supervisor"]["phone"] == "13900000012"
    assert card["frequency_summary"]


def test_another_inspectors_card_is_not_found(engine_name, api):
    other = _card_of(INSP_B)
    r = api.get(f"/api/v1/cards/{other.id}", token=api.token(INSP_A))
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    mine = _card_of(INSP_A)
    assert api.get(f"/api/v1/cards/{mine.id}", token=api.token(INSP_A)).status_code == 200


def test_handover_ends_the_old_version_and_starts_a_new_one(engine_name, api):
    card = _card_of(INSP_A)
    new_owner = db.session.scalar(select(User).where(User.phone == INSP_B))
    today = local_today()
    r = api.post(f"/api/v1/cards/{card.id}/revisions", token=api.token(ADMIN),
                 json={"effective_from": today.isoformat(), "inspector_id": new_owner.id, "reason": "人员调整"})
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["card_no"] == card.card_no and new["version"] == 2
    assert new["inspector"]["phone"] == INSP_B and new["valid_from"] == today.isoformat()
    assert [s["id"] for s in new["segments"]] == [s.id for s in card.segments]
    old = api.get(f"/api/v1/cards/{card.id}", token=api.token(ADMIN)).json()
    assert old["valid_to"] == (today - dt.timedelta(days=1)).isoformat()  # history is kept
    # the phones follow: A no longer holds the card, B does (alongside B's own)
    assert api.get("/api/v1/me/cards", token=api.token(INSP_A)).json()["cards"] == []
    b_cards = api.get("/api/v1/me/cards", token=api.token(INSP_B)).json()["cards"]
    assert card.card_no in {c["card_no"] for c in b_cards}
    # the old version can no longer change
    r = api.post(f"/api/v1/cards/{card.id}/end", token=api.token(ADMIN), json={"valid_to": "2027-01-01", "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "conflict"


def test_a_card_starting_later_is_already_on_the_phone(engine_name, api):
    card = _card_of(INSP_A)
    start = local_today() + dt.timedelta(days=10)
    r = api.post(f"/api/v1/cards/{card.id}/revisions", token=api.token(ADMIN),
                 json={"effective_from": start.isoformat(), "duties": ["巡查河面"], "reason": "职责调整"})
    assert r.status_code == 201
    cards = api.get("/api/v1/me/cards", token=api.token(INSP_A)).json()["cards"]
    assert [(c["version"], c["valid_from"]) for c in cards] == [(1, "2026-01-01"), (2, start.isoformat())]


def test_issue_card_validates_people_segments_and_dates(engine_name, api):
    from server.grids.models import RiverSegment

    a = _card_of(INSP_A)
    elsewhere = db.session.scalar(select(RiverSegment.id).where(RiverSegment.grid_id != a.grid_id))
    admin = api.token(ADMIN)
    supervisor = db.session.scalar(select(User.id).where(User.phone == "13900000012"))
    r = api.post("/api/v1/cards", token=admin, json={
        "inspector_id": supervisor,  # not an inspector
        "grid_id": a.grid_id,
        "segment_ids": [elsewhere],  # lies in another village
        "valid_from": "2026-12-01", "valid_to": "2026-11-01",
    })
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "card.invalid"
    assert set(body["errors"]) == {"inspector_id", "segment_ids", "valid_to"}
    r = api.post("/api/v1/cards", token=admin, json={
        "inspector_id": a.inspector_id, "grid_id": a.grid_id, "segment_ids": [s.id for s in a.segments],
        "supervisor_id": supervisor, "duties": ["巡查"], "valid_from": "2026-12-01"})
    assert r.status_code == 201
    assert r.json()["card_no"] != a.card_no and r.json()["version"] == 1


def test_end_card(engine_name, api):
    card = _card_of(INSP_A)
    r = api.post(f"/api/v1/cards/{card.id}/end", token=api.token(ADMIN), json={"valid_to": "2025-12-01", "reason": "x"})
    assert r.status_code == 422 and r.json()["code"] == "card.invalid"
    yesterday = local_today() - dt.timedelta(days=1)
    r = api.post(f"/api/v1/cards/{card.id}/end", token=api.token(ADMIN),
                 json={"valid_to": yesterday.isoformat(), "reason": "离职"})
    assert r.status_code == 200 and r.json()["valid_to"] == yesterday.isoformat()
    assert api.get("/api/v1/me/cards", token=api.token(INSP_A)).json()["cards"] == []


def test_ids_no_database_can_hold_are_a_422_or_a_404_never_a_crash(engine_name, api):
    a = _card_of(INSP_A)
    admin = api.token(ADMIN)
    huge = 2**64  # past SQLite's 64 bits; 2**31 is already past PostgreSQL's integer
    for grid_id in (huge, 2**31):
        r = api.post("/api/v1/cards", token=admin, json={
            "inspector_id": a.inspector_id, "grid_id": grid_id, "segment_ids": [huge], "valid_from": "2026-12-01"})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "validation_error" and body["message"] == "提交的数据有误"
        assert set(body["errors"]["json"]) == {"grid_id", "segment_ids"}
    for path in (f"/api/v1/cards/{huge}", f"/api/v1/cards/{2**31}", f"/api/v1/users/{huge}"):
        r = api.get(path, token=admin)
        assert r.status_code == 404 and r.json()["code"] == "not_found", path
    r = api.post(f"/api/v1/cards/{huge}/end", token=admin, json={"valid_to": "2026-12-31", "reason": "调岗"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api.get(f"/api/v1/cards?grid_id={huge}", token=admin)
    assert r.status_code == 422 and "grid_id" in r.json()["errors"]["query"]
    assert api.get(f"/api/v1/cards/{a.id}", token=admin).status_code == 200  # ordinary ids still work
