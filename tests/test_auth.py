"""Sign-in, tokens that survive weeks offline, per-device revocation, rate limiting."""
import datetime as dt

import jwt
from sqlalchemy import select, update

from server.auth.models import DeviceSession, User
from server.extensions import db

INSPECTOR = "13900000101"
OTHER = "13900000102"


def test_login_returns_tokens_and_user(engine_name, api):
    body = api.login(INSPECTOR)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert body["refresh_token"] and body["access_token"]
    assert body["user"]["phone"] == INSPECTOR and body["user"]["role"] == "inspector"
    me = api.get("/api/v1/me", token=body["access_token"]).json()
    assert me["name"] == body["user"]["name"]
    # the refresh token is kept only as a hash
    stored = db.session.scalar(select(DeviceSession.refresh_hash).where(DeviceSession.id == body["session_id"]))
    assert body["refresh_token"] not in stored


def test_wrong_password_and_unknown_phone_look_the_same(engine_name, api):
    wrong = api.post("/api/v1/auth/login", json={"phone": INSPECTOR, "password": "nope"})
    unknown = api.post("/api/v1/auth/login", json={"phone": "13999999999", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "auth.invalid_credentials"
    assert wrong.json()["message"] == "手机号或密码错误"


def test_refresh_gives_new_access_token_and_extends_the_session(engine_name, api):
    body = api.login(INSPECTOR)
    db.session.execute(update(DeviceSession).where(DeviceSession.id == body["session_id"])
                       .values(expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)))
    db.session.commit()
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 200
    new = r.json()
    assert "refresh_token" not in new  # not rotated: a lost answer must not sign a phone out
    assert api.get("/api/v1/me/cards", token=new["access_token"]).status_code == 200
    db.session.expire_all()
    expires = db.session.get(DeviceSession, body["session_id"]).expires_at
    assert expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)


def test_refresh_token_works_after_weeks_offline_but_not_after_expiry(engine_name, api):
    body = api.login(INSPECTOR)
    sid = body["session_id"]
    # three weeks without signal: the stored session was last extended 21 days ago
    db.session.execute(update(DeviceSession).where(DeviceSession.id == sid)
                       .values(expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=9)))
    db.session.commit()
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]}).status_code == 200
    db.session.execute(update(DeviceSession).where(DeviceSession.id == sid)
                       .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    db.session.commit()
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "auth.token_expired"


def test_expired_or_forged_access_token_is_refused(engine_name, api, demo_app):
    body = api.login(INSPECTOR)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    claims["exp"] = int(dt.datetime.now(dt.UTC).timestamp()) - 5
    expired = jwt.encode(claims, demo_app.config["SECRET_KEY"], algorithm="HS256")
    r = api.get("/api/v1/me", token=expired)
    assert r.status_code == 401 and r.json()["code"] == "auth.token_expired"
    guessed = "a-guessed-secret-that-is-long-enough-for-hs256"
    forged = jwt.encode({**claims, "exp": claims["exp"] + 3600, "sub": "1"}, guessed, algorithm="HS256")
    r = api.get("/api/v1/me", token=forged)
    assert r.status_code == 401 and r.json()["code"] == "auth.token_invalid"
    r = api.get("/api/v1/me", token=body["refresh_token"])  # a refresh token is no access token
    assert r.status_code == 401 and r.json()["code"] == "auth.token_invalid"


def test_logout_revokes_this_device_only(engine_name, api):
    phone_a = api.login(INSPECTOR, device="phone-a")
    phone_b = api.login(INSPECTOR, device="phone-b")
    assert api.post("/api/v1/auth/logout", token=phone_a["access_token"]).status_code == 204
    r = api.get("/api/v1/me", token=phone_a["access_token"])
    assert r.status_code == 401 and r.json()["code"] == "auth.token_revoked"
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": phone_a["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "auth.token_revoked"
    assert api.get("/api/v1/me", token=phone_b["access_token"]).status_code == 200


def test_signing_in_again_on_the_same_device_replaces_its_session(engine_name, api):
    first = api.login(INSPECTOR, device="phone-1")
    second = api.login(INSPECTOR, device="phone-1")
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and r.json()["code"] == "auth.token_revoked"
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 200
    sessions = api.get("/api/v1/me/sessions", token=second["access_token"]).json()
    assert [s["device_id"] for s in sessions] == ["phone-1"]


def test_user_lists_and_revokes_one_of_their_devices(engine_name, api):
    lost = api.login(INSPECTOR, device="lost-phone")
    kept = api.login(INSPECTOR, device="new-phone")
    sessions = api.get("/api/v1/me/sessions", token=kept["access_token"]).json()
    assert {s["device_id"] for s in sessions} == {"lost-phone", "new-phone"}
    assert [s["current"] for s in sessions if s["device_id"] == "new-phone"] == [True]
    r = api.request("DELETE", f"/api/v1/me/sessions/{lost['session_id']}", token=kept["access_token"])
    assert r.status_code == 204
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": lost["refresh_token"]}).status_code == 401
    assert api.get("/api/v1/me", token=kept["access_token"]).status_code == 200
    # someone else's session is not found, not revoked
    other = api.login(OTHER)
    r = api.request("DELETE", f"/api/v1/me/sessions/{other['session_id']}", token=kept["access_token"])
    assert r.status_code == 404
    assert api.get("/api/v1/me", token=other["access_token"]).status_code == 200


def test_admin_signs_out_all_devices_of_a_person(engine_name, api):
    phone = api.login(INSPECTOR, device="p")
    uid = phone["user"]["id"]
    r = api.post(f"/api/v1/users/{uid}/revoke-sessions", token=api.token("13900000001"))
    assert r.status_code == 200 and r.json() == []
    assert api.get("/api/v1/me", token=phone["access_token"]).json()["code"] == "auth.token_revoked"


def test_deactivated_account_cannot_sign_in_or_refresh(engine_name, api):
    body = api.login(INSPECTOR)
    db.session.execute(update(User).where(User.phone == INSPECTOR).values(active=False))
    db.session.commit()
    r = api.post("/api/v1/auth/login", json={"phone": INSPECTOR, "password": "Demo@2026"})
    assert r.status_code == 403 and r.json()["code"] == "auth.account_inactive"
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 403 and r.json()["code"] == "auth.account_inactive"
    assert api.get("/api/v1/me", token=body["access_token"]).status_code == 403


def _attempt(api, phone, password="wrong"):
    return api.post("/api/v1/auth/login", json={"phone": phone, "password": password})


def test_login_rate_limited_per_phone(engine_name, api):
    for _ in range(5):
        assert _attempt(api, INSPECTOR).status_code == 401
    r = _attempt(api, INSPECTOR, "Demo@2026")  # even the right password waits now
    assert r.status_code == 429
    body = r.json()
    assert body["code"] == "auth.rate_limited" and body["message"] == "登录尝试过多，请稍后再试"
    retry = int(r.headers["Retry-After"])
    assert 0 < retry <= 15 * 60 and body["retry_after"] == retry
    # another person on the same office network is not locked out
    assert _attempt(api, OTHER, "Demo@2026").status_code == 200


def test_success_clears_the_phone_counter(engine_name, api):
    for _ in range(4):
        _attempt(api, INSPECTOR)
    assert _attempt(api, INSPECTOR, "Demo@2026").status_code == 200
    for _ in range(4):
        assert _attempt(api, INSPECTOR).status_code == 401
    assert _attempt(api, INSPECTOR, "Demo@2026").status_code == 200


def test_login_rate_limited_per_address(engine_name, api):
    """20 failures from one address: it may still try a phone with no failures (one guess), not more."""
    phones = [f"1390000{n:04d}" for n in range(101, 125)]
    statuses = [_attempt(api, p).status_code for p in phones[:20]]
    assert statuses == [401] * 20
    r = _attempt(api, phones[0], "Demo@2026")
    assert r.status_code == 429 and r.json()["code"] == "auth.rate_limited"
    assert _attempt(api, phones[21], "Demo@2026").status_code == 200


def test_old_failures_fall_out_of_the_window(engine_name, api, time_machine):
    now = dt.datetime.now(dt.UTC)
    time_machine.move_to(now)
    for _ in range(5):
        _attempt(api, INSPECTOR)
    assert _attempt(api, INSPECTOR, "Demo@2026").status_code == 429
    time_machine.move_to(now + dt.timedelta(minutes=14))
    assert _attempt(api, INSPECTOR, "Demo@2026").status_code == 429
    time_machine.move_to(now + dt.timedelta(minutes=16))
    assert _attempt(api, INSPECTOR, "Demo@2026").status_code == 200


def test_an_admin_resets_a_password_and_deactivates_without_deleting(engine_name, api):
    """A forgotten password: the admin sets a new one, every device signs in again. A person who
    leaves is deactivated: they cannot sign in, and what they did stays on record."""
    from server.cases.models import Problem

    admin = api.token("13900000001")
    who = api.get("/api/v1/me", token=api.token("13900000101")).json()["id"]
    old_token = api.token("13900000101")
    api.post("/api/v1/problems", token=old_token, json={
        "uuid": "dddddddd-0000-4000-8000-000000000001", "category": "garbage", "lon": 108.9, "lat": 34.33,
        "reported_at": "2026-11-20T09:30:00+08:00"})
    short = api.post(f"/api/v1/users/{who}/password", token=admin, json={"password": "short"})
    assert short.status_code == 422
    assert api.post(f"/api/v1/users/{who}/password", token=admin, json={"password": "河巡-new-2026"}).status_code == 200
    assert api.get("/api/v1/me", token=old_token).json()["code"] == "auth.token_revoked"
    assert api.post("/api/v1/auth/login", json={"phone": "13900000101", "password": "Demo@2026"}).status_code == 401
    assert api.post("/api/v1/auth/login", json={"phone": "13900000101", "password": "河巡-new-2026"}).status_code == 200
    off = api.post(f"/api/v1/users/{who}/active", token=admin, json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    r = api.post("/api/v1/auth/login", json={"phone": "13900000101", "password": "河巡-new-2026"})
    assert r.status_code == 403 and r.json()["code"] == "auth.account_inactive"
    kept = select(Problem.reporter_id).where(Problem.uuid == "dddddddd-0000-4000-8000-000000000001")
    assert db.session.scalar(kept) == who
    me = api.get("/api/v1/me", token=admin).json()["id"]
    assert api.post(f"/api/v1/users/{me}/active", token=admin, json={"active": False}).status_code == 422
