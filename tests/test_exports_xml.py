"""Track files (GPX, KML) and names: a control character in a name broke them.

A person's name holding a control character (stored before names were checked) made the KML of
their patrols a 500 (simplekml re-parses its own XML) and their GPX a file no GIS tool opens.
Exports now drop what XML cannot hold; names are refused with such characters where they are
entered (a person, a grid or a river in an import)."""
import xml.dom.minidom

from sqlalchemy import func, select

from server.auth.models import User
from server.extensions import db
from server.grids.models import OrgUnit

from .patrol_data import card_of, patrol_body, walk_on
from .test_console import _session

INSP, SUP, ADMIN = "13900000101", "13900000012", "13900000001"


def test_track_files_open_whatever_the_inspectors_name_holds(engine_name, api):
    card = card_of(INSP)
    r = api.post("/api/v1/patrols", token=api.token(INSP), json=patrol_body(walk_on(card), card))
    assert r.status_code == 201, r.text
    uuid = r.json()["uuid"]
    person = db.session.scalar(select(User).where(User.phone == INSP))
    person.name = "刘\x0b德明\x01"  # as stored before names were checked
    db.session.commit()
    s, _ = _session(api, SUP)
    for fmt in ("gpx", "kml"):
        for got in (api.get(f"/api/v1/patrols/{uuid}/track.{fmt}", token=api.token(SUP)),
                    s.get(f"{api.base}/console/patrols/{uuid}/track.{fmt}")):
            assert got.status_code == 200, (fmt, got.text[:300])
            doc = xml.dom.minidom.parseString(got.content)  # well-formed XML
            names = [n.firstChild.data for n in doc.getElementsByTagName("name") if n.firstChild]
            assert any("刘德明" in n for n in names), (fmt, names)


def test_names_with_control_characters_are_refused_where_they_are_entered(engine_name, api):
    people = db.session.scalar(select(func.count()).select_from(User))
    grids = db.session.scalar(select(func.count()).select_from(OrgUnit))
    unit = card_of(INSP).grid_id
    r = api.post("/api/v1/users", token=api.token(ADMIN), json={
        "phone": "13900000555", "name": "张\x0b三", "role": "inspector", "org_unit_id": unit, "password": "Passw0rd!x"})
    assert r.status_code == 422 and "不能含控制字符" in str(r.json()["errors"]), r.text
    box = [[108.905, 34.345], [108.906, 34.345], [108.906, 34.346], [108.905, 34.346], [108.905, 34.345]]
    r = api.post("/api/v1/grids/import", token=api.token(ADMIN), json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [box]},
         "properties": {"code": "CTL1", "name": "新\t村", "level": "village", "parent_code": "610112010"}}]})
    assert r.status_code == 422, r.text
    [named] = [e for e in r.json()["errors"] if e["field"] == "name"]
    assert named["reason"] == "bad_value" and "不能含控制字符" in named["detail"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(User)) == people
    assert db.session.scalar(select(func.count()).select_from(OrgUnit)) == grids
