"""Sign-in limits under attack: counted before the password is checked, never a lockout of the
owner, bounded hashing, and still a wall for a guesser. Each client below comes from its own
loopback address, as phones and offices do."""
import concurrent.futures
import datetime as dt
import threading
import uuid

import pytest
from sqlalchemy import func, select

from server.auth import passwords
from server.auth.models import DeviceSession, LoginThrottle, User
from server.demo import DEMO_PASSWORD
from server.extensions import db

from .addresses import from_address

OWNER = "13900000101"


@pytest.fixture
def checks(monkeypatch):
    """How many passwords were really checked (Argon2 run), whatever the answers said."""
    seen = {"n": 0}
    lock = threading.Lock()
    real = passwords._check

    def counting(stored, password):
        with lock:
            seen["n"] += 1
        return real(stored, password)

    monkeypatch.setattr(passwords, "_check", counting)
    return seen


def _try(client, phone=OWNER, password="wrong-guess", device="unknown"):
    return client.post("/api/v1/auth/login", json={"phone": phone, "password": password, "device_id": device})


def _sessions(phone):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(DeviceSession).join(User).where(User.phone == phone))


def _refused(r, code="auth.rate_limited", status=429):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message"]
    assert int(r.headers["Retry-After"]) == body["retry_after"] > 0
    return int(r.headers["Retry-After"])


def test_owner_signs_in_after_an_attacker_elsewhere_failed_50_times(engine_name, api, checks):
    attacker = from_address(api, "127.0.0.2")
    answers = [_try(attacker).status_code for _ in range(50)]
    assert answers == [401] * 5 + [429] * 45  # only five guesses were checked
    assert checks["n"] == 5
    _refused(_try(attacker, password=DEMO_PASSWORD))  # the right password from there waits too
    assert _sessions(OWNER) == 0  # nothing was signed in
    owner = from_address(api, "127.0.0.3")  # another network, never used before
    assert owner.login(OWNER)["user"]["phone"] == OWNER
    assert _sessions(OWNER) == 1


@pytest.mark.parametrize("attempts", [14, 30])
def test_concurrent_wrong_attempts_get_at_most_the_limit_of_checks(engine_name, api, demo_app, checks, attempts):
    demo_app.config["LOGIN_HASH_WAIT_SECONDS"] = 30  # the counting under test here, not the busy answer
    attacker = from_address(api, "127.0.0.5")
    start = threading.Barrier(attempts)

    def one(_):
        start.wait()
        return _try(attacker)

    with concurrent.futures.ThreadPoolExecutor(attempts) as pool:
        answers = list(pool.map(one, range(attempts)))
    statuses = [r.status_code for r in answers]
    # one check at a time per address: the others are refused by the count (429) or busy (503)
    assert set(statuses) <= {401, 429, 503} and statuses.count(401) == checks["n"] <= 5, statuses
    for r in answers:
        if r.status_code == 429:
            assert 0 < _refused(r) <= 15 * 60
        if r.status_code == 503:
            assert r.json()["code"] == "auth.busy" and r.headers["Retry-After"] == "2"
    while checks["n"] < 5:  # a busy answer counted nothing: what is left of the five, then the wall
        assert _try(attacker).status_code == 401
    _refused(_try(attacker))
    assert checks["n"] == 5
    assert from_address(api, "127.0.0.6").login(OWNER)["user"]["phone"] == OWNER


def test_a_phone_with_no_failures_signs_in_from_an_address_with_20_failures_on_others(engine_name, api):
    office = from_address(api, "127.0.0.7")  # a village office behind one NAT
    tried = [f"1390000{n:04d}" for n in range(102, 122)]
    assert [_try(office, phone).status_code for phone in tried] == [401] * 20
    assert office.login(OWNER)["user"]["phone"] == OWNER  # no failures: not blocked by the address
    # the limits still stop a guesser at that address: a phone it already tried waits, even with the
    # right password, and a fresh phone gets one guess
    _refused(_try(office, tried[0], DEMO_PASSWORD))
    assert _try(office, "13900000122").status_code == 401
    _refused(_try(office, "13900000122"))
    assert _sessions(tried[0]) == 0
    # from elsewhere, the phone that was tried signs in
    assert from_address(api, "127.0.0.8").login(tried[0])["user"]["phone"] == tried[0]


def test_many_addresses_guessing_one_phone_are_stopped_but_not_the_owner(engine_name, api, checks):
    device = str(uuid.uuid4())
    from_address(api, "127.0.0.9").login(OWNER, device=device)  # the owner's office and phone, before
    statuses = [_try(from_address(api, f"127.0.1.{n}")).status_code for n in range(1, 12) for _ in range(5)]
    assert statuses == [401] * 50 + [429] * 5  # 50 a day from strangers, then a wall
    assert checks["n"] == 51
    assert _refused(_try(from_address(api, "127.0.2.1"), password=DEMO_PASSWORD)) > 15 * 60
    # the owner's own address and a device that signed in before still get in
    assert from_address(api, "127.0.0.9").login(OWNER)["user"]["phone"] == OWNER
    assert from_address(api, "127.0.2.2").login(OWNER, device=device)["user"]["phone"] == OWNER
    # a device id anyone could guess is no key
    _refused(_try(from_address(api, "127.0.2.3"), password=DEMO_PASSWORD, device="unknown"))


def test_busy_hashing_is_a_fast_503_that_counts_nothing(engine_name, api, demo_app, monkeypatch):
    demo_app.config.update(PASSWORD_HASH_CONCURRENCY=1, LOGIN_HASH_WAIT_SECONDS=0)
    entered, leave = threading.Event(), threading.Event()
    real = passwords._check

    def slow_first(stored, password):
        if not entered.is_set():
            entered.set()
            leave.wait(30)
        return real(stored, password)

    monkeypatch.setattr(passwords, "_check", slow_first)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(_try, from_address(api, "127.0.0.10"), "13900000102")
        try:
            assert entered.wait(30)
            busy = [_try(from_address(api, "127.0.0.11")) for _ in range(8)]
        finally:
            leave.set()
        assert first.result().status_code == 401
    for r in busy:
        assert _refused(r, "auth.busy", 503) == 2
        assert r.json()["message"] == "登录的人较多，请稍后再试"
    # none of the eight counted as a failure: the owner there still has all five tries
    assert [_try(from_address(api, "127.0.0.11")).status_code for _ in range(4)] == [401] * 4
    assert from_address(api, "127.0.0.11").login(OWNER)["user"]["phone"] == OWNER


def test_counters_stay_bounded(engine_name, api, time_machine):
    now = dt.datetime.now(dt.UTC)
    time_machine.move_to(now)
    owner = from_address(api, "127.0.0.12")
    owner.login(OWNER)
    for n in range(1, 21):
        _try(from_address(api, f"127.0.3.{n}"), f"1391111{n:04d}")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) > 60
    time_machine.move_to(now + dt.timedelta(days=2))
    owner.login(OWNER)  # sign-ins prune counters whose window is over every few minutes
    db.session.expire_all()
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert keys == {f"pa:{OWNER}|127.0.0.12", f"p:{OWNER}", "a:127.0.0.12"}  # the owner's address is kept


def test_one_address_has_one_password_check_at_a_time(engine_name, api, monkeypatch):
    """A spray from one address gets one check at a time (the rest busy at once, counting nothing);
    another address signs in meanwhile."""
    entered, release = threading.Event(), threading.Event()
    real = passwords._check

    def held_open(stored, password):
        if not entered.is_set():  # the first check waits, under way, until the test lets it go
            entered.set()
            release.wait(30)
        return real(stored, password)

    monkeypatch.setattr(passwords, "_check", held_open)
    office = from_address(api, "127.0.0.20")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(_try, office, "13900000102")
        assert entered.wait(30)
        busy = _try(office, "13900000103")
        _refused(busy, code="auth.busy", status=503)
        assert from_address(api, "127.0.0.21").login(OWNER)["user"]["phone"] == OWNER
        release.set()
        assert first.result().status_code == 401
    assert office.login("13900000103")["user"]["phone"] == "13900000103"  # the busy try counted nothing
