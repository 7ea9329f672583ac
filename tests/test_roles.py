"""Roles as capabilities held at org units: one person may patrol and supervise (a township chief), and an admin
sets what each person holds; what is still in use cannot be taken away."""
from __future__ import annotations

from sqlalchemy import select

from server.auth.models import User
from server.extensions import db

from .patrol_data import INSP_A, card_of, patrol_body, second_county, walk_on

ADMIN, SUP_OWN, SUP_OTHER, ADMIN_OTHER = "13900000001", "13900000012", "13900000011", "13900000901"


def _uid(phone: str) -> int:
    return db.session.scalar(select(User.id).where(User.phone == phone))


def _roles(answer: dict) -> set[tuple[str, str]]:
    return {(r["role"], r["org_unit"]["name"]) for r in answer["roles"]}


def test_a_township_chief_patrols_and_supervises(engine_name, api):
    card_a = card_of(INSP_A)
    township, village, segment = card_a.grid.parent, card_a.grid, card_a.segments[0]
    chief, admin = _uid(SUP_OWN), api.token(ADMIN)
    issue = {"inspector_id": chief, "grid_id": village.id, "segment_ids": [segment.id], "valid_from": "2026-11-01",
             "reason": "乡级河长巡河"}
    # a supervisor alone holds no patrol duty: no card for them, said in words
    r = api.post("/api/v1/cards", token=admin, json=issue)
    assert r.status_code == 422 and "巡查员" in r.json()["errors"]["inspector_id"]

    r = api.put(f"/api/v1/users/{chief}/roles", token=admin, json={"roles": [
        {"role": "supervisor", "org_unit_id": township.id}, {"role": "inspector", "org_unit_id": township.id}]})
    assert r.status_code == 200, r.text
    assert _roles(r.json()) == {("supervisor", township.name), ("inspector", township.name)}
    assert r.json()["role"] == "supervisor"  # the widest, first
    card = api.post("/api/v1/cards", token=admin, json=issue)
    assert card.status_code == 201, card.text

    token = api.token(SUP_OWN)
    mine = api.get("/api/v1/me/cards", token=token).json()["cards"]
    assert [c["id"] for c in mine] == [card.json()["id"]]
    card_obj = db.session.get(type(card_a), card.json()["id"])
    patrol = api.post("/api/v1/patrols", token=token, json=patrol_body(walk_on(card_obj), card_obj))
    assert patrol.status_code == 201 and patrol.json()["valid"] is True, patrol.text
    # ... and still supervises: the township's inspector's patrol is theirs to see, and their own is listed too
    insp = api.post("/api/v1/patrols", token=api.token(INSP_A), json=patrol_body(walk_on(card_a, seed=3), card_a))
    seen = {p["uuid"] for p in api.get("/api/v1/patrols", token=token).json()}
    assert {insp.json()["uuid"], patrol.json()["uuid"]} <= seen
    # the other township's supervisor sees neither
    other = {p["uuid"] for p in api.get("/api/v1/patrols", token=api.token(SUP_OTHER)).json()}
    assert other.isdisjoint({insp.json()["uuid"], patrol.json()["uuid"]})


def test_what_is_in_use_cannot_be_taken_away(engine_name, api):
    second_county()
    card_a = card_of(INSP_A)
    admin, insp = api.token(ADMIN), _uid(INSP_A)

    def put(uid, roles, token=admin):
        return api.put(f"/api/v1/users/{uid}/roles", token=token, json={"roles": roles})

    r = put(insp, [{"role": "supervisor", "org_unit_id": card_a.grid.id}])
    assert r.status_code == 422 and "责任卡" in r.json()["errors"]["roles"]
    r = put(_uid(SUP_OWN), [{"role": "inspector", "org_unit_id": card_a.grid.id}])
    assert r.status_code == 422 and "改派" in r.json()["errors"]["roles"]
    r = put(_uid(ADMIN), [{"role": "supervisor", "org_unit_id": card_a.grid.parent.id}])
    assert r.status_code == 422 and "自己" in r.json()["errors"]["roles"]
    r = put(insp, [{"role": "admin", "org_unit_id": card_a.grid.id},
                   {"role": "inspector", "org_unit_id": card_a.grid.id}])
    assert r.status_code == 422 and "本级" in r.json()["errors"]["role"]
    other_county = db.session.scalar(select(User).where(User.phone == ADMIN_OTHER)).org_unit_id
    r = put(insp, [{"role": "inspector", "org_unit_id": other_county}])
    assert r.status_code == 422 and "org_unit_id" in r.json()["errors"]
    r = put(insp, [])
    assert r.status_code == 422
    r = put(insp, [{"role": "inspector", "org_unit_id": card_a.grid.id}, {"role": "inspector",
                                                                          "org_unit_id": card_a.grid.id}])
    assert r.status_code == 422 and "一次" in r.json()["errors"]["roles"]
    # nothing was changed by any of them
    me = api.get("/api/v1/me", token=api.token(INSP_A)).json()
    assert [(g["role"], g["org_unit"]["id"]) for g in me["roles"]] == [("inspector", card_a.grid.id)]
    # and another county's admin cannot even find the person
    assert put(insp, [{"role": "inspector", "org_unit_id": card_a.grid.id}],
               token=api.token(ADMIN_OTHER)).status_code == 404


def test_the_list_filters_by_a_role_held_beside_another(engine_name, api):
    card_a = card_of(INSP_A)
    township = card_a.grid.parent
    admin = api.token(ADMIN)
    before = {u["phone"] for u in api.get("/api/v1/users?role=inspector", token=admin).json()}
    assert SUP_OWN not in before and INSP_A in before
    assert api.put(f"/api/v1/users/{_uid(SUP_OWN)}/roles", token=admin, json={"roles": [
        {"role": "inspector", "org_unit_id": township.id},
        {"role": "supervisor", "org_unit_id": township.id}]}).status_code == 200
    after = {u["phone"] for u in api.get("/api/v1/users?role=inspector", token=admin).json()}
    assert after == before | {SUP_OWN}
    assert SUP_OWN in {u["phone"] for u in api.get("/api/v1/users?role=supervisor", token=admin).json()}
