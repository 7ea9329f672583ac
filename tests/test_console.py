"""The web console in a real browser (headless Chromium via Selenium) on a live server, and its
CSRF and authorization, page by page."""
import datetime as dt
import re
import shutil
import uuid
from pathlib import Path

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from server.auth.models import User
from server.extensions import db
from server.patrols.models import Patrol
from server.rules.models import ValidityRuleConfig
from server.rules.service import create_rule
from server.transaction import unit_of_work
from shared_models.clock import local_today

from .notify_data import note_of_phone
from .patrol_data import card_of, patrol_body, walk_on

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "console"
SUP, SUP_OTHER, ADMIN, INSP = "13900000012", "13900000011", "13900000001", "13900000101"
DEPT = "13911110009"  # staff of 区水务局 (made by _console_world)
CN = dt.timezone(dt.timedelta(hours=8))


def absent(driver, by, value) -> bool:
    """Not on the page, asked without the implicit wait (which would spend its 5 s looking)."""
    driver.implicitly_wait(0)
    try:
        return not driver.find_elements(by, value)
    finally:
        driver.implicitly_wait(5)


def wait(driver):
    # while a form post replaces the page, Chromium may answer for nodes of the old one: ask again
    return WebDriverWait(driver, 10, ignored_exceptions=(StaleElementReferenceException, WebDriverException))


def wait_text(driver, element_id, text):
    """After a form posts, the old page is still there for a moment: wait for the new one."""
    wait(driver).until(lambda d: d.find_element(By.ID, element_id).text == text)


def shot(driver, engine, name):
    folder = SHOTS / engine
    folder.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(folder / f"{name}.png"))


def sign_in(driver, api, phone):
    driver.get(api.base + "/console/login")
    driver.find_element(By.ID, "phone").send_keys(phone)
    driver.find_element(By.ID, "password").send_keys("Demo@2026")
    driver.find_element(By.ID, "login-btn").click()
    wait(driver).until(lambda d: "/console/login" not in d.current_url or d.find_elements(By.ID, "error"))


def _short_patrol_this_week(api):
    """A 20-minute patrol under Akqi's 30-minute rule set to flag: it waits for the supervisor.
    (Between 00:00 and 00:25 on a Monday it would fall in last week; it starts in this one.)"""
    county = db.session.scalar(select(ValidityRuleConfig.id))
    assert county is None
    from server.grids.models import OrgUnit

    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))
    with unit_of_work():  # as the command line does: committed
        create_rule(None, {"org_unit_id": unit.id, "name": "阿合奇县有效巡河", "min_duration_min": 30,
                           "min_distance_m": 2000, "on_fail": "flag", "valid_from": dt.date(2026, 1, 1)},
                    model=ValidityRuleConfig)
    card = card_of(INSP)
    start = dt.datetime.now(CN) - dt.timedelta(minutes=25)
    walk = walk_on(card, start, seed=5)
    n = 20 * 60
    from shared_models.track import Track

    short = Track(walk.lon[:n], walk.lat[:n], walk.t[:n], walk.accuracy[:n])
    r = api.post("/api/v1/patrols", token=api.token(INSP), json=patrol_body(short, card))
    assert r.status_code == 201 and r.json()["flagged"], r.text
    return r.json()["uuid"]


def _in_this_week(uuid_: str) -> bool:
    started = db.session.scalar(select(Patrol.started_at).where(Patrol.uuid == uuid_)).astimezone(CN).date()
    return started >= local_today() - dt.timedelta(days=local_today().weekday())


def test_a_supervisor_clears_then_the_dashboard_counts_it(engine_name, api, browser):
    """The supervisor reviews the flagged patrol on the map; cleared, it counts: the light turns green.
    (Rejecting instead leaves the week unmet: the second half of the test.)"""
    flagged = _short_patrol_this_week(api)
    sign_in(browser, api, SUP)
    assert browser.current_url.endswith("/console/")
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-phone="{INSP}"]')
    assert row.find_element(By.CLASS_NAME, "progress").text == "0/1"
    shot(browser, engine_name, "dashboard")
    browser.find_element(By.ID, "nav-queue").click()
    shot(browser, engine_name, "queue")
    browser.find_element(By.CSS_SELECTOR, "#queue a").click()
    assert flagged in browser.current_url
    flags = browser.find_element(By.ID, "flags")
    assert "未达有效标准" in flags.text and "below_rule" not in flags.text  # a supervisor reads words, not codes
    shot(browser, engine_name, "patrol")
    # the map drew the track (Leaflet's canvas or SVG paths, from the package, no CDN)
    assert browser.find_elements(By.CSS_SELECTOR, "#map .leaflet-overlay-pane *"), browser.get_log("browser")
    browser.find_element(By.ID, "note").send_keys("上游施工，绕行，已电话核实")
    browser.find_element(By.ID, "clear-btn").click()
    wait(browser).until(lambda d: d.current_url.endswith("/console/patrols"))  # it was the last one
    db.session.expire_all()
    assert db.session.scalar(select(Patrol.review_status).where(Patrol.uuid == flagged)) == "cleared"
    browser.find_element(By.ID, "nav-dashboard").click()
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-phone="{INSP}"]')
    counted = "1/1" if _in_this_week(flagged) else "0/1"  # (a Monday just after midnight: last week's)
    assert row.find_element(By.CLASS_NAME, "progress").text == counted
    # a rejection (with its reason) takes it back out: the week is unmet again
    browser.get(f"{api.base}/console/patrols/{flagged}")
    # decided: no form at first, only 改变审核结论 folded away, which asks for a reason
    assert not browser.find_element(By.ID, "review").is_displayed()
    assert browser.find_element(By.ID, "change-decision").text == "改变审核结论"
    r = api.post(f"/api/v1/patrols/{flagged}/review", token=api.token(SUP),
                 json={"decision": "reject", "note": "复核轨迹，实为车载"})
    assert r.status_code == 200
    browser.find_element(By.ID, "nav-dashboard").click()
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-phone="{INSP}"]')
    assert row.find_element(By.CLASS_NAME, "progress").text == "0/1"
    assert row.get_attribute("data-light") in ("amber", "red")


def test_sign_in_is_for_managers_and_pages_need_it(engine_name, api, browser):
    sign_in(browser, api, INSP)
    assert "巡查员请使用手机App" in browser.find_element(By.ID, "error").text
    browser.get(api.base + "/console/")
    assert "/console/login" in browser.current_url  # not signed in
    shot(browser, engine_name, "login")
    sign_in(browser, api, ADMIN)
    assert "陈卫东" in browser.find_element(By.CLASS_NAME, "who").text
    browser.find_element(By.ID, "logout").click()
    browser.get(api.base + "/console/")
    assert "/console/login" in browser.current_url


def _session(api, phone):
    """A plain HTTP session signed in through the form, as a browser would."""
    s = requests.Session()
    page = s.get(api.base + "/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(api.base + "/console/login", data={"phone": phone, "password": "Demo@2026", "csrf_token": token})
    assert r.status_code == 200 and "/console/login" not in r.url
    return s, re.search(r'name="csrf_token" value="([^"]+)"', r.text).group(1)


def test_every_form_needs_its_csrf_token(engine_name, api):
    flagged = _short_patrol_this_week(api)
    s = requests.Session()
    page = s.get(api.base + "/console/login")
    assert page.status_code == 200
    r = s.post(api.base + "/console/login", data={"phone": SUP, "password": "Demo@2026"})
    assert r.status_code == 400  # no token: refused before the password is even checked
    s, token = _session(api, SUP)
    for path, data in ((f"/console/patrols/{flagged}/review", {"decision": "clear", "note": "x"}),
                       ("/console/logout", {})):
        assert s.post(api.base + path, data=data).status_code == 400
        assert s.post(api.base + path, data={**data, "csrf_token": "forged"}).status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(Patrol.review_status).where(Patrol.uuid == flagged)) is None
    ok = s.post(api.base + f"/console/patrols/{flagged}/review", data={"decision": "clear", "note": "核实",
                                                                        "csrf_token": token})
    assert ok.status_code == 200 and ok.url.endswith("/console/patrols")


def test_every_page_against_every_role(engine_name, api):
    """Pages: anonymous -> the sign-in page; a supervisor of another township -> 404 for this
    township's patrol; the own supervisor and the admin see it."""
    flagged = _short_patrol_this_week(api)
    pages = ["/console/", "/console/patrols", f"/console/patrols/{flagged}"]
    anon = requests.Session()
    for page in pages:
        r = anon.get(api.base + page, allow_redirects=False)
        assert r.status_code == 302 and "/console/login" in r.headers["Location"]
    for phone, expected in ((SUP, [200, 200, 200]), (ADMIN, [200, 200, 200]), (SUP_OTHER, [200, 200, 404])):
        s, _ = _session(api, phone)
        assert [s.get(api.base + page).status_code for page in pages] == expected, phone
    s, token = _session(api, SUP_OTHER)
    r = s.post(api.base + f"/console/patrols/{flagged}/review", data={"decision": "reject", "note": "x",
                                                                       "csrf_token": token})
    assert r.status_code == 404
    other = requests.Session()
    other_page = other.get(api.base + "/console/login").text
    assert str(uuid.UUID(flagged)) not in other_page


def test_a_supervisor_rejects_a_patrol_and_the_inspectors_compliance_drops(engine_name, api, browser):
    from shared_models.track import Track

    card = card_of(INSP)
    start = dt.datetime.now(CN) - dt.timedelta(minutes=20)  # a 15-minute walk that ended five minutes ago
    walk = walk_on(card, start, seed=9)
    walk = Track(walk.lon[:900], walk.lat[:900], walk.t[:900], walk.accuracy[:900])
    r = api.post("/api/v1/patrols", token=api.token(INSP), json=patrol_body(walk, card))
    assert r.status_code == 201 and r.json()["valid"] and not r.json()["flagged"], r.text
    this_week = start.date() >= local_today() - dt.timedelta(days=local_today().weekday())  # (not so 00:00-00:20 Mon)
    sign_in(browser, api, SUP)
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-phone="{INSP}"]')
    assert row.find_element(By.CLASS_NAME, "progress").text == ("1/1" if this_week else "0/1")
    row.find_element(By.CLASS_NAME, "last").click()
    browser.find_element(By.ID, "reject-btn").click()  # without a reason: refused, said on the page
    wait(browser).until(lambda d: d.find_elements(By.ID, "error"))
    assert "驳回须写明理由" in browser.find_element(By.ID, "error").text
    browser.find_element(By.ID, "note").send_keys("轨迹与现场照片不符，系补录")
    browser.find_element(By.ID, "reject-btn").click()
    wait(browser).until(lambda d: d.current_url.endswith("/console/patrols"))  # back to the queue
    browser.find_element(By.ID, "nav-dashboard").click()
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-phone="{INSP}"]')
    assert row.find_element(By.CLASS_NAME, "progress").text == "0/1"
    assert row.get_attribute("data-light") in ("amber", "red")
    shot(browser, engine_name, "dashboard-after-reject")


def _report(api):
    from .test_cases import report

    return report(api)


def test_the_case_loop_and_the_month_in_the_console(engine_name, api, browser):
    from .photos import VOICE, VOICE_BYTES, upload
    from .test_cases import REPORTER, report

    told = str(uuid.uuid4())  # the report is told by a voice note (recorded on the phone, sent before the report)
    upload(api, api.token(REPORTER), VOICE_BYTES, kind=VOICE, problem_uuid=told)
    no = report(api, uuid=told)
    sign_in(browser, api, SUP)
    browser.find_element(By.ID, "nav-cases").click()
    board = browser.find_element(By.CSS_SELECTOR, 'section[data-status="reported"]')
    assert no in board.text
    shot(browser, engine_name, "cases")
    board.find_element(By.LINK_TEXT, no).click()
    player = browser.find_element(By.CSS_SELECTOR, "p.voice audio")  # the voice note plays on the case's page
    assert "语音说明 3 秒" in browser.find_element(By.CSS_SELECTOR, "p.voice").text
    wait(browser).until(lambda d: d.execute_script("return arguments[0].readyState", player) >= 1)
    assert 2.9 < browser.execute_script("return arguments[0].duration", player) < 3.2
    # one form per step it may take, each with its own fields: 受理 and 不予受理 (which asks why) for a new report
    assert [f.get_attribute("id") for f in browser.find_elements(By.CSS_SELECTOR, "form.step")] == [
        "step-accept", "step-refuse"]
    assert browser.find_element(By.ID, "refusal").get_attribute("required")
    browser.find_element(By.ID, "do-accept").click()
    wait_text(browser, "status", "已受理")
    from selenium.webdriver.support.ui import Select

    browser.find_element(By.ID, "do-assign").click()  # no one named: refused, said on the page
    wait(browser).until(lambda d: d.find_elements(By.ID, "error"))
    assert "责任人" in browser.find_element(By.ID, "error").text
    assignee = db.session.scalar(select(User.id).where(User.phone == "13900000104"))
    Select(browser.find_element(By.ID, "assignee")).select_by_value(str(assignee))
    browser.find_element(By.ID, "do-assign").click()
    wait_text(browser, "status", "已交办")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in
            browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")] == ["上报", "受理", "交办"]
    shot(browser, engine_name, "case")
    browser.find_element(By.ID, "logout").click()
    wait(browser).until(lambda d: "/console/login" in d.current_url)
    # the admin's month: last month's lines with their reasons, then locked
    sign_in(browser, api, ADMIN)
    browser.get(api.base + "/console/assessment?period=2026-10")
    assert browser.find_element(By.ID, "state").text == "预览（未锁定）"
    row = browser.find_element(By.CSS_SELECTOR, f'#lines tr[data-phone="{INSP}"]')
    row.find_element(By.TAG_NAME, "summary").click()
    assert "缺巡扣分" in row.text and "基本补贴" in row.text
    shot(browser, engine_name, "assessment")
    browser.find_element(By.ID, "lock-btn").click()
    wait_text(browser, "state", "已锁定")


def test_rectified_in_the_console_with_after_photos_and_rechecked_only_on_site(engine_name, api, browser, tmp_path):
    from server.photos.models import Photo

    from .photos import jpeg_with_exif
    from .test_cases import ASSIGNEE, REPORTER, report, step

    no = report(api)
    step(api, SUP, no, "accept")
    step(api, SUP, no, "assign", assignee_id=db.session.scalar(select(User.id).where(User.phone == ASSIGNEE)))
    before = db.session.scalar(select(func.count()).select_from(Photo))
    sign_in(browser, api, SUP)
    browser.get(f"{api.base}/console/cases/{no}")
    assert [f.get_attribute("id") for f in browser.find_elements(By.CSS_SELECTOR, "form.step")] == [
        "step-start", "step-rectify"]
    # a file that is no photo: refused on the page, nothing kept, the case where it was
    (tmp_path / "notes.jpg").write_bytes(b"%PDF-1.4 not a photo at all" * 100)
    browser.find_element(By.ID, "after-photos").send_keys(str(tmp_path / "notes.jpg"))
    browser.find_element(By.ID, "do-rectify").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "error"))
    assert browser.find_element(By.ID, "status").text == "已交办"
    assert db.session.scalar(select(func.count()).select_from(Photo)) == before
    (tmp_path / "after.jpg").write_bytes(jpeg_with_exif(size=(800, 600)))
    browser.find_element(By.ID, "after-photos").send_keys(str(tmp_path / "after.jpg"))
    browser.find_element(By.ID, "note-rectify").send_keys("垃圾已清运")
    browser.find_element(By.ID, "do-rectify").click()
    wait_text(browser, "status", "已整改待复核")
    # the re-check is not offered here: it needs the re-checker on site with the phone
    assert browser.find_elements(By.CSS_SELECTOR, "form.step") == []
    reporter = db.session.scalar(select(User.name).where(User.phone == REPORTER))
    assert f"待复核：{reporter}到现场用手机复核" in browser.find_element(By.ID, "recheck-on-site").text
    last = browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")[-1]
    assert "整改完成" in last.text and "垃圾已清运" in last.text and last.find_elements(By.CSS_SELECTOR, "img.evidence")
    assert db.session.scalar(select(func.count()).select_from(Photo)) == before + 1
    r = api.get(f"/api/v1/cases/{no}", token=api.token(REPORTER))  # the re-checker's phone gets the step
    assert r.json()["status"] == "rectified"


def test_pages_and_forms_of_cases_and_the_month_by_role(engine_name, api):
    no = _report(api)
    for phone, expected in ((SUP, [200, 200, 200, 403]), (ADMIN, [200, 200, 200, 200]),
                            (SUP_OTHER, [200, 404, 200, 403])):
        s, token = _session(api, phone)
        got = [s.get(api.base + page).status_code for page in (
            "/console/cases", f"/console/cases/{no}", "/console/assessment?period=2026-10",
            "/console/assessment/payroll.xlsx?period=2026-10")]
        assert got == expected, phone
        assert s.post(api.base + f"/console/cases/{no}", data={"action": "accept"}).status_code == 400  # no token
        assert s.post(api.base + "/console/assessment/lock", data={"period": "2026-10"}).status_code == 400
    s, token = _session(api, SUP)
    assert s.post(api.base + "/console/assessment/lock", data={"period": "2026-10", "csrf_token": token}
                  ).status_code == 403
    s, token = _session(api, SUP_OTHER)
    r = s.post(api.base + f"/console/cases/{no}", data={"action": "accept", "csrf_token": token})
    assert r.status_code == 404
    s, token = _session(api, ADMIN)
    r = s.get(api.base + "/console/assessment/payroll.xlsx?period=2026-10")
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats") and len(r.content) > 1000


def test_an_admin_imports_a_grid_issues_a_card_and_prints_it(engine_name, api, browser, tmp_path):
    import json as jsonlib

    import pypdfium2
    import requests as rq
    from PIL import Image

    from server.grids.models import OrgUnit

    # in 未央区 outside its townships (each already cut into villages, which a new village would overlap)
    box = [[108.955, 34.392], [108.957, 34.392], [108.957, 34.394], [108.955, 34.394], [108.955, 34.392]]
    town = db.session.scalar(select(OrgUnit.code).where(OrgUnit.code == "610112"))
    geojson = tmp_path / "new-village.geojson"
    geojson.write_text(jsonlib.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Polygon", "coordinates": [box]},
        "properties": {"code": "610112010901", "name": "新建村", "level": "village", "parent_code": town}}]},
        ensure_ascii=False), encoding="utf-8")
    sign_in(browser, api, ADMIN)
    browser.find_element(By.ID, "nav-import").click()
    browser.find_element(By.ID, "file").send_keys(str(geojson))
    browser.find_element(By.ID, "preview-btn").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "preview"))
    assert "将导入 1 个网格" in browser.find_element(By.ID, "preview").text
    assert db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112010901")) is None  # a preview only
    shot(browser, engine_name, "import-preview")
    browser.find_element(By.ID, "commit-btn").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "imported"))
    db.session.expire_all()
    village = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112010901"))
    assert village is not None and village.parent.code == "610112"
    # a card for inspector 102 (whose own village has no river) on the new village
    from selenium.webdriver.support.ui import Select

    from server.auth.models import User

    who = db.session.scalar(select(User).where(User.phone == "13900000102"))
    browser.find_element(By.ID, "nav-cards").click()
    browser.find_element(By.TAG_NAME, "summary").click()
    Select(browser.find_element(By.ID, "inspector")).select_by_value(str(who.id))
    Select(browser.find_element(By.ID, "grid")).select_by_value(str(village.id))
    browser.find_element(By.ID, "issue-btn").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "issued"))
    shot(browser, engine_name, "cards")
    from server.cards.models import ResponsibilityCard

    db.session.expire_all()
    card = db.session.scalar(select(ResponsibilityCard).where(ResponsibilityCard.grid_id == village.id))
    assert card.inspector_id == who.id
    link = browser.find_element(By.CSS_SELECTOR, f'tr[data-card="{card.id}"] a.pdf').get_attribute("href")
    session = rq.Session()
    for cookie in browser.get_cookies():
        session.cookies.set(cookie["name"], cookie["value"])
    pdf = session.get(link)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert b"FontFile2" in pdf.content  # the Chinese font travels inside the file
    doc = pypdfium2.PdfDocument(pdf.content)
    page = doc[0]
    text = page.get_textpage().get_text_range()
    assert "网格化管理责任卡" in text and "新建村" in text and who.name in text
    png = tmp_path / "card.png"
    page.render(scale=1.5).to_pil().save(png)
    (SHOTS / engine_name).mkdir(parents=True, exist_ok=True)
    shutil.copy(png, SHOTS / engine_name / "card-pdf-page1.png")
    with Image.open(png) as img:
        title = img.convert("L").crop((0, 0, img.width, int(img.height * 0.12)))
        import numpy as np

        dark = int((np.asarray(title) < 128).sum())
    assert dark > 500  # the title's glyphs were drawn (a missing font draws nothing or empty boxes)
    page.close()
    doc.close()


def _console_world(api):
    from .patrol_data import second_county
    from .photos import VOICE, VOICE_BYTES, jpeg_with_exif, upload

    second_county()
    admin = api.token(ADMIN)
    water = api.post("/api/v1/departments", token=admin, json={"name": "区水务局"}).json()
    assert api.post("/api/v1/users", token=admin, json={"phone": DEPT, "name": "水务局联络员", "role": "department",
                                                         "org_unit_id": water["id"], "password": "Demo@2026"}).ok
    flagged = _short_patrol_this_week(api)
    case_no = _report(api)
    photo_uuid = upload(api, api.token(INSP), jpeg_with_exif(size=(400, 300)))["uuid"]
    voice = upload(api, api.token(INSP), VOICE_BYTES, kind=VOICE)["uuid"]
    card = card_of(INSP)
    return {"flagged": flagged, "case": case_no, "photo": photo_uuid, "card": card.id, "user": card.inspector_id,
            "segment": card.segments[0].id, "voice": voice, "user_unit": card.inspector.org_unit_id}


# (method, rule, path builder, form fields, expected status by role); POSTs are also tried without a token
CONSOLE = [
    ("GET", "/console/login", lambda w: "/console/login", None, {"anon": 200}),
    ("POST", "/console/login", lambda w: "/console/login", None, {"anon": 200}),
    ("POST", "/console/logout", lambda w: "/console/logout", {}, {"sup": 302, "sup_other": 302, "admin": 302,
                                                                   "admin_other": 302}),
    ("GET", "/console/", lambda w: "/console/", None, {"dept": 302, "sup": 200, "sup_other": 200, "admin": 200,
                                                       "admin_other": 200}),
    ("GET", "/console/static/leaflet/<path:name>", lambda w: "/console/static/leaflet/leaflet.js", None,
     {"anon": 200}),
    ("GET", "/console/patrols", lambda w: "/console/patrols", None,
     {"dept": 403, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/patrols/<uuid:patrol_uuid>", lambda w: f"/console/patrols/{w['flagged']}", None,
     {"sup": 200, "sup_other": 404, "admin": 200, "admin_other": 404}),
    ("POST", "/console/patrols/<uuid:patrol_uuid>/review", lambda w: f"/console/patrols/{w['flagged']}/review",
     {"decision": "clear", "note": "核实"}, {"sup_other": 404, "admin_other": 404, "sup": 302}),
    ("GET", "/console/photos/<uuid:photo_uuid>/<any(thumbnail, image):size>",
     lambda w: f"/console/photos/{w['photo']}/thumbnail", None,
     {"dept": 404, "sup": 200, "sup_other": 404, "admin": 200, "admin_other": 404}),
    ("GET", "/console/voice-notes/<uuid:note_uuid>", lambda w: f"/console/voice-notes/{w['voice']}", None,
     {"dept": 404, "sup": 200, "sup_other": 404, "admin": 200, "admin_other": 404}),
    ("GET", "/console/cases", lambda w: "/console/cases", None,
     {"dept": 200, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/cases/<case_no>", lambda w: f"/console/cases/{w['case']}", None,
     {"dept": 404, "sup": 200, "sup_other": 404, "admin": 200, "admin_other": 404}),
    ("GET", "/console/cases/<case_no>/notices/<int:notice_id>.pdf",
     lambda w: f"/console/cases/{w['case']}/notices/1.pdf", None,
     {"dept": 404, "sup_other": 404, "admin_other": 404, "sup": 404, "admin": 404}),
    ("POST", "/console/cases/<case_no>/rectify", lambda w: f"/console/cases/{w['case']}/rectify", {"note": "已整改"},
     {"dept": 404, "sup_other": 404, "admin_other": 404, "sup": 409, "admin": 409}),
    ("POST", "/console/cases/<case_no>", lambda w: f"/console/cases/{w['case']}", {"action": "accept"},
     {"sup_other": 404, "admin_other": 404, "sup": 302}),
    ("GET", "/console/assessment", lambda w: "/console/assessment?period=2026-10", None,
     {"sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("POST", "/console/assessment/lock", lambda w: "/console/assessment/lock", {"period": "2026-10"},
     {"sup": 403, "sup_other": 403, "admin_other": 302, "admin": 302}),
    ("GET", "/console/assessment/payroll.<any(csv, xlsx):fmt>", lambda w: "/console/assessment/payroll.csv"
     "?period=2026-10", None, {"sup": 403, "sup_other": 403, "admin": 200, "admin_other": 200}),
    ("POST", "/console/assessment/signoff", lambda w: "/console/assessment/signoff", {"period": "2026-10"},
     {"sup_other": 302, "sup": 302, "admin": 422}),
    ("GET", "/console/assessment/annual.xlsx", lambda w: "/console/assessment/annual.xlsx?year=2026", None,
     {"dept": 403, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/grids/import", lambda w: "/console/grids/import", None,
     {"sup": 403, "sup_other": 403, "admin": 200, "admin_other": 200}),
    ("POST", "/console/grids/import", lambda w: "/console/grids/import", {"kind": "grids"},
     {"sup": 403, "sup_other": 403, "admin": 422, "admin_other": 422}),
    ("GET", "/console/cards", lambda w: "/console/cards", None, {"sup": 200, "sup_other": 200, "admin": 200,
                                                                 "admin_other": 200}),
    ("POST", "/console/cards", lambda w: "/console/cards", {"inspector_id": "0"},
     {"sup": 403, "sup_other": 403, "admin": 422, "admin_other": 422}),
    ("GET", "/console/patrols/<uuid:patrol_uuid>/track.<any(gpx, geojson, kml):fmt>",
     lambda w: f"/console/patrols/{w['flagged']}/track.kml", None,
     {"sup": 200, "sup_other": 404, "admin": 200, "admin_other": 404}),
    ("GET", "/console/ledger.xlsx", lambda w: "/console/ledger.xlsx", None,
     {"sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/inbox", lambda w: "/console/inbox", None,
     {"dept": 200, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("POST", "/console/inbox/<int:notification_id>/read",
     lambda w: f"/console/inbox/{note_of_phone('13900000012')}/read", {},
     {"dept": 404, "sup_other": 404, "admin_other": 404, "admin": 404, "sup": 302}),
    ("POST", "/console/inbox/read-all", lambda w: "/console/inbox/read-all", {},
     {"dept": 302, "sup_other": 302, "admin_other": 302, "admin": 302, "sup": 302}),
    ("GET", "/console/cases/overdue", lambda w: "/console/cases/overdue", None,
     {"dept": 403, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/cases/overdue-briefing-<period>.xlsx", lambda w: "/console/cases/overdue-briefing-2026-11.xlsx",
     None, {"dept": 403, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/spotcheck", lambda w: "/console/spotcheck", None,
     {"sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("GET", "/console/rules", lambda w: "/console/rules", None, {"sup": 200, "sup_other": 200, "admin": 200,
                                                                 "admin_other": 200}),
    ("POST", "/console/rules", lambda w: "/console/rules", {"window": "week"},
     {"sup": 403, "sup_other": 403, "admin": 422, "admin_other": 422}),
    ("GET", "/console/grids", lambda w: "/console/grids", None, {"sup": 200, "sup_other": 200, "admin": 200,
                                                                 "admin_other": 200}),
    ("POST", "/console/grids", lambda w: "/console/grids", lambda w: {"kind": "segment", "id": str(w["segment"]),
                                                                      "name": "新名"},
     {"sup": 403, "sup_other": 403, "admin_other": 404, "admin": 302}),
    ("POST", "/console/cards/<int:card_id>/<any(handover, end):what>", lambda w: f"/console/cards/{w['card']}/end",
     {"valid_to": "2027-12-31", "reason": "离职"}, {"sup": 403, "sup_other": 403, "admin_other": 404, "admin": 302}),
    ("GET", "/console/users", lambda w: "/console/users", None,
     {"dept": 403, "sup": 200, "sup_other": 200, "admin": 200, "admin_other": 200}),
    ("POST", "/console/users", lambda w: "/console/users", {"name": "新人", "phone": "13911110000",
                                                            "org_unit_id": "0", "password": "long-enough-1"},
     {"sup": 403, "sup_other": 403, "admin": 422, "admin_other": 422}),
    ("POST", "/console/users/<int:user_id>/<any(password, active):what>",
     lambda w: f"/console/users/{w['user']}/password", {"password": "new-password-1"},
     {"sup": 403, "sup_other": 403, "admin_other": 404, "admin": 302}),
    ("GET", "/console/audit", lambda w: f"/console/audit?phone={INSP}", None,
     {"dept": 403, "sup": 403, "sup_other": 403, "admin": 200, "admin_other": 200}),
    ("POST", "/console/users/<int:user_id>/roles", lambda w: f"/console/users/{w['user']}/roles",
     lambda w: {"role_inspector": "1", "unit_inspector": str(w["user_unit"])},
     {"sup": 403, "sup_other": 403, "admin_other": 404, "admin": 302}),
    ("GET", "/console/cards/<int:card_id>.pdf", lambda w: f"/console/cards/{w['card']}.pdf", None,
     {"sup": 200, "sup_other": 404, "admin": 200, "admin_other": 404}),
]
PHONES = {"sup": SUP, "sup_other": SUP_OTHER, "admin": ADMIN, "admin_other": "13900000901", "dept": DEPT}


def test_every_console_route_is_in_the_matrix(engine_name, demo_app):
    routes = {(m, r.rule) for r in demo_app.url_map.iter_rules() if r.rule.startswith("/console")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == {(m, rule) for m, rule, *_ in CONSOLE}


@pytest.mark.parametrize("method,rule,path,form,expected", [
    pytest.param(*row, id=f"{row[0]} {row[1]}") for row in CONSOLE if row[4] != {"anon": 200}])
def test_every_console_page_and_form_by_role(engine_name, api, method, rule, path, form, expected):
    w = _console_world(api)
    form = form(w) if callable(form) else form
    anon = requests.Session().request(method, api.base + path(w), data=form, allow_redirects=False)
    assert anon.status_code in (302, 400) and (anon.status_code == 400 or "/console/login" in
                                               anon.headers["Location"])
    for role in ("dept", "sup_other", "admin_other", "sup", "admin"):  # those who may act go last
        if role not in expected:
            continue
        s, token = _session(api, PHONES[role])
        if method == "POST":  # without the token, or with a forged one: refused before anything happens
            assert s.post(api.base + path(w), data=form, allow_redirects=False).status_code == 400
            assert s.post(api.base + path(w), data={**form, "csrf_token": "x" * 40},
                          allow_redirects=False).status_code == 400
            r = s.post(api.base + path(w), data={**form, "csrf_token": token}, allow_redirects=False)
        else:
            r = s.get(api.base + path(w), allow_redirects=False)
        assert r.status_code == expected[role], (role, r.text[:300])


def test_an_admin_deactivates_a_person_who_then_cannot_sign_in(engine_name, api, browser):
    sign_in(browser, api, ADMIN)
    browser.find_element(By.ID, "nav-users").click()
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-phone="13900000105"]')
    row.find_element(By.CLASS_NAME, "toggle").click()
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, 'tr[data-phone="13900000105"] .state').text
                        == "已停用")
    shot(browser, engine_name, "users")
    r = api.post("/api/v1/auth/login", json={"phone": "13900000105", "password": "Demo@2026"})
    assert r.status_code == 403 and r.json()["code"] == "auth.account_inactive"


def test_an_admin_gives_a_township_supervisor_patrol_duty_too(engine_name, api, browser):
    sign_in(browser, api, ADMIN)
    browser.find_element(By.ID, "nav-users").click()
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-phone="{SUP}"]')
    assert row.find_element(By.CLASS_NAME, "roles").text.startswith("网格长")
    row.find_element(By.CSS_SELECTOR, ".set-roles summary").click()
    row.find_element(By.NAME, "role_inspector").click()
    row.find_element(By.CLASS_NAME, "save-roles").click()
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, f'tr[data-phone="{SUP}"] .roles').text
                        .startswith("网格长、巡查员"))
    who = db.session.scalar(select(User).where(User.phone == SUP))
    db.session.refresh(who)
    assert who.roles == ["supervisor", "inspector"] and who.unit_for("inspector") == who.org_unit


def test_the_monthly_spot_check_is_random_but_the_same_for_everyone(engine_name, api):
    """5% (at least 5) of last month's valid patrols, seeded by unit and month: reproducible, not chosen."""
    from shared_models.track import Track

    card = card_of(INSP)
    made = []
    for day in range(1, 21):
        start = dt.datetime(2026, 10, day, 9, tzinfo=CN)
        walk = walk_on(card, start, seed=100 + day)
        walk = Track(walk.lon[:900], walk.lat[:900], walk.t[:900], walk.accuracy[:900])
        r = api.post("/api/v1/patrols", token=api.token(INSP), json=patrol_body(walk, card))
        assert r.status_code == 201 and r.json()["valid"], r.text
        made.append(r.json()["uuid"])
    pages = []
    for phone in (SUP, SUP, ADMIN):
        s, _ = _session(api, phone)
        page = s.get(api.base + "/console/spotcheck?period=2026-10").text
        pages.append(re.findall(r'data-uuid="([0-9a-f-]+)"', page))
    assert len(pages[0]) == 5 and set(pages[0]) <= set(made)
    assert pages[0] == pages[1]  # the same sample on every visit
    assert len(pages[2]) == 5 and set(pages[2]) <= set(made)
    assert "从 20 条有效巡河中随机抽取 5 条" in s.get(api.base + "/console/spotcheck?period=2026-10").text


def test_a_rule_is_previewed_on_last_month_before_it_is_saved(engine_name, api, browser, time_machine):
    """An admin drafts "twice a week" in November and sees, before saving, who would have missed what
    in October."""
    time_machine.move_to(dt.datetime(2026, 11, 10, 10, tzinfo=CN))  # "last month" is October 2026
    card = card_of(INSP)
    for day in (6, 13, 20):  # once a week in October: enough for the weekly rule, not for twice a week
        r = api.post("/api/v1/patrols", token=api.token(INSP),
                     json=patrol_body(walk_on(card, dt.datetime(2026, 10, day, 9, tzinfo=CN), seed=day), card))
        assert r.status_code == 201 and r.json()["valid"], r.text
    from server.rules.models import FrequencyRule

    before = db.session.scalar(select(func.count()).select_from(FrequencyRule))
    sign_in(browser, api, ADMIN)
    browser.find_element(By.ID, "nav-rules").click()
    browser.find_element(By.ID, "rule-name").send_keys("每周两次")
    browser.find_element(By.ID, "min-count").clear()
    browser.find_element(By.ID, "min-count").send_keys("2")
    browser.execute_script("document.getElementById('valid-from').value = arguments[0]",
                           (local_today() + dt.timedelta(days=1)).isoformat())
    browser.find_element(By.ID, "preview-btn").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "preview"))
    preview = browser.find_element(By.ID, "preview")
    row = preview.find_element(By.CSS_SELECTOR, f'tr[data-phone="{INSP}"]')
    assert row.find_elements(By.TAG_NAME, "td")[1].text == "4 → 8"
    assert "仅预览，未保存" in preview.text
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(FrequencyRule)) == before  # nothing written
    shot(browser, engine_name, "rules-preview")
    browser.find_element(By.ID, "save-btn").click()
    wait(browser).until(lambda d: absent(d, By.ID, "preview"))
    db.session.expire_all()
    rules = db.session.scalars(select(FrequencyRule).order_by(FrequencyRule.id)).all()
    assert [r.name for r in rules] == ["村级巡查员每周巡河", "每周两次"]
    assert rules[0].valid_to == local_today()  # the old rule ends the day before the new one starts


ALL_PAGES = ["/console/", "/console/patrols", "/console/spotcheck?period=2026-10", "/console/cases",
             "/console/assessment?period=2026-10", "/console/cards", "/console/grids", "/console/grids/import",
             "/console/users", "/console/rules"]


def test_a_screenshot_of_every_page(engine_name, api, browser):
    """Every page renders in a real browser with its Chinese text (saved for review)."""
    w = _console_world(api)
    sign_in(browser, api, ADMIN)
    for path in ALL_PAGES + [f"/console/patrols/{w['flagged']}", f"/console/cases/{w['case']}"]:
        browser.get(api.base + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, path
        assert not browser.title[:3].isdigit(), (path, browser.title)  # not an error page
        name = path.strip("/").replace("/", "-").split("?")[0] or "console"
        shot(browser, engine_name, f"page-{name}")
    assert browser.get_log("browser") == [] or all("favicon" in e["message"] for e in browser.get_log("browser"))


def test_an_admin_hands_a_card_over_in_the_console(engine_name, api):
    from server.auth.models import User
    from server.cards.models import ResponsibilityCard

    card = card_of(INSP)
    taker = db.session.scalar(select(User.id).where(User.phone == "13900000104"))
    s, token = _session(api, ADMIN)
    day = (local_today() + dt.timedelta(days=3)).isoformat()
    r = s.post(api.base + f"/console/cards/{card.id}/handover", data={
        "inspector_id": str(taker), "effective_from": day, "reason": "调岗", "csrf_token": token},
        allow_redirects=False)
    assert r.status_code == 302
    db.session.expire_all()
    versions = db.session.scalars(select(ResponsibilityCard).where(ResponsibilityCard.card_no == card.card_no)
                                  .order_by(ResponsibilityCard.version)).all()
    assert [(v.version, v.inspector_id) for v in versions] == [(1, card.inspector_id), (2, taker)]
    assert versions[0].valid_to == local_today() + dt.timedelta(days=2)
    old = s.post(api.base + f"/console/cards/{card.id}/handover", data={
        "inspector_id": str(taker), "effective_from": day, "csrf_token": token}, allow_redirects=False)
    assert old.status_code == 409  # only the latest version can change
    bad = s.post(api.base + f"/console/cards/{versions[-1].id}/handover", data={
        "inspector_id": str(card.inspector_id), "effective_from": "2020-01-01", "csrf_token": token},
        allow_redirects=False)
    assert bad.status_code == 422 and "生效日期" in bad.text
