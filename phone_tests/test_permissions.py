"""Runtime permissions in Android's order on the fake device: each refused in turn says, in Chinese, what will not
work and offers the one button that fixes it; without precise location no patrol is started."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parent / "fake_android" / "site"
FINE, COARSE = "android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"
BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"
NOTIFY, CAMERA = "android.permission.POST_NOTIFICATIONS", "android.permission.CAMERA"


@pytest.fixture
def device(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(SITE))
    monkeypatch.setenv("FAKE_ANDROID_DIR", str(tmp_path))
    monkeypatch.setenv("FAKE_ANDROID_ROLE", "activity")
    monkeypatch.setenv("ANDROID_PRIVATE", str(tmp_path / "files"))

    def make(sdk: int = 34, **answers) -> Path:
        (tmp_path / "device.json").write_text(json.dumps({"sdk": sdk}))
        (tmp_path / "answers.json").write_text(json.dumps(answers))
        (tmp_path / "granted.json").write_text("[]")
        (tmp_path / "log.jsonl").write_text("")
        return tmp_path

    yield make
    for name in [m for m in sys.modules if m in ("jnius", "android", "android.permissions", "android.activity",
                                                 "fakedevice", "fakemedia", "mobile.platform.android",
                                                 "mobile.platform.android_camera",
                                                 "mobile.platform.android_voice", "mobile.platform.reminders",
                                                 "fakework")]:
        del sys.modules[name]


def _run(steps):
    from mobile.permissions import Permissions
    from mobile.platform.android import AndroidSystem

    flow, shown, result = Permissions(AndroidSystem()), [], []
    flow.run(steps, lambda step, go_on: (shown.append(step.key), go_on()), result.append)
    return flow, shown, result[0]


def _requests(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines()
            if '"request_permissions"' in line]


def test_all_granted_in_androids_order(device):
    from mobile.permissions import BEFORE_PATROL

    path = device(**{FINE: True, COARSE: True, BACKGROUND: True, NOTIFY: True})
    _flow, shown, outcome = _run(BEFORE_PATROL)
    assert shown == ["location", "background", "notifications"] and outcome.go and outcome.refused == []
    asked = _requests(path)
    assert [r["permissions"] for r in asked] == [[FINE, COARSE], [BACKGROUND], [NOTIFY]]
    assert [r["page"] for r in asked] == ["dialog", "settings", "dialog"]  # Android 11+: background on settings
    assert _run(BEFORE_PATROL)[1] == []  # granted once: never asked again


def test_location_refused_stops_the_patrol_and_offers_the_settings_page(device):
    from mobile.permissions import BEFORE_PATROL

    path = device()
    flow, shown, outcome = _run(BEFORE_PATROL)
    assert shown == ["location"] and not outcome.go  # nothing more asked, nothing started
    [step] = outcome.refused
    assert step.refused == "没有精确位置，无法记录巡河。" and step.fix == "去设置里打开位置权限"
    flow.fix(step)
    [opened] = [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines() if "startActivity" in line]
    assert opened["action"] == "android.settings.APPLICATION_DETAILS_SETTINGS"
    assert opened["data"] == "package:cn.riverpatrol.riverpatrol"


def test_approximate_location_only_is_not_enough(device):
    from mobile.permissions import BEFORE_PATROL

    device(**{COARSE: True})  # Android 12+: the user picked 大致位置
    _flow, _shown, outcome = _run(BEFORE_PATROL)
    assert not outcome.go and outcome.refused[0].key == "location"


def test_background_then_notifications_refused_the_patrol_goes_on_and_says_what_is_lost(device):
    from mobile.permissions import BEFORE_PATROL

    device(**{FINE: True, COARSE: True})
    _flow, shown, outcome = _run(BEFORE_PATROL)
    assert shown == ["location", "background", "notifications"] and outcome.go
    assert [s.refused for s in outcome.refused] == ["没有选「始终允许」：关掉屏幕后，有的手机会停止记录巡河。",
                                                     "通知栏不会显示记录提示，巡河照常记录。"]
    assert "始终允许" in outcome.refused[0].why and "始终允许" in outcome.refused[0].fix


def test_older_androids_are_not_asked_what_they_do_not_have(device):
    from mobile.permissions import BEFORE_PATROL

    path = device(sdk=28, **{FINE: True, COARSE: True})
    _flow, shown, outcome = _run(BEFORE_PATROL)
    assert shown == ["location"] and outcome.go and outcome.refused == []  # Android 9: no background, no notify
    assert len(_requests(path)) == 1


def test_the_camera_refused_says_a_problem_can_still_be_reported(device):
    from mobile.permissions import CAMERA_STEP

    device()
    _flow, shown, outcome = _run((CAMERA_STEP,))
    assert shown == ["camera"] and not outcome.go
    assert outcome.refused[0].refused == "没有相机权限，不能拍照；问题仍可以先不带照片上报。"


def test_every_sentence_is_plain_chinese():
    from mobile.permissions import BEFORE_PATROL, BEFORE_PHOTO

    for step in (*BEFORE_PATROL, *BEFORE_PHOTO):
        for text in (step.why, step.refused, step.fix):
            assert text and not any("a" <= ch.lower() <= "z" for ch in text), text


def _keepalive(path: Path, **device):
    from mobile.keepalive import KeepAlive
    from mobile.platform.android import AndroidSystem
    from mobile.store import LocalStore

    (path / "device.json").write_text(json.dumps({"sdk": 34, **device}))
    return KeepAlive(AndroidSystem(), LocalStore(path / "files" / "riverpatrol.sqlite"))


def _opened(path: Path) -> list[dict]:
    return [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines() if "startActivity" in line]


XIAOMI_AUTOSTART = "com.miui.securitycenter/com.miui.permcenter.autostart.AutoStartManagementActivity"


def test_a_xiaomi_phone_gets_its_autostart_page_and_the_battery_question_once(device):
    path = device()
    keep = _keepalive(path, maker="Xiaomi", activities=[XIAOMI_AUTOSTART])
    assert keep.due() and keep.maker.name == "小米"
    assert keep.text().startswith("允许河巡在后台运行") and "自启动管理" in keep.text()
    keep.ask_battery()
    assert keep.open_maker_page() == XIAOMI_AUTOSTART
    ask, page = _opened(path)
    assert ask["action"] == "android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS"
    assert ask["data"] == "package:cn.riverpatrol.riverpatrol" and page["component"] == XIAOMI_AUTOSTART
    keep.shown()
    assert not keep.due()  # once before the first patrol; the home screen keeps the way back to it


def test_a_huawei_phone_without_the_known_pages_falls_back_to_the_app_details(device):
    path = device()
    keep = _keepalive(path, maker="HUAWEI", battery_exempt=["cn.riverpatrol.riverpatrol"])
    assert "允许河巡在后台运行" not in keep.text() and "应用启动管理" in keep.text()  # already exempt: not asked
    keep.ask_battery()
    assert keep.open_maker_page() == "app_details"
    [page] = _opened(path)
    assert page["action"] == "android.settings.APPLICATION_DETAILS_SETTINGS"


def test_every_maker_is_named_and_told_in_chinese():
    from mobile.keepalive import MAKERS, OTHER, maker_of

    for brand, name in (("Xiaomi", "小米"), ("Redmi", "小米"), ("HUAWEI", "华为"), ("HONOR", "荣耀"),
                        ("OPPO", "OPPO"), ("realme", "OPPO"), ("vivo", "vivo"), ("samsung", "三星"),
                        ("Google", "手机")):
        assert maker_of(brand).name == name
    for maker in (*MAKERS, OTHER):
        assert maker.what_to_do and not any("a" <= ch.lower() <= "z" for ch in maker.what_to_do)
        assert all(activity.startswith(package.split(".")[0]) for package, activity in maker.pages)


def _photo_file(path: Path) -> Path:
    from PIL import Image

    shot = path / "camera-app.jpg"
    Image.new("RGB", (3000, 2000), (80, 120, 90)).save(shot, "JPEG")
    return shot


def test_the_camera_app_writes_into_a_content_uri_and_the_copy_is_the_apps_alone(device):
    from mobile.platform.android_camera import take_picture

    path = device()
    (path / "device.json").write_text(json.dumps({"sdk": 34, "camera": "take", "camera_photo": str(_photo_file(path))}))
    got = []
    take_picture(path / "files" / "incoming", lambda p, origin: got.append((p, origin)))
    [(taken, origin)] = got
    assert origin == "camera" and Path(taken).read_bytes() == (path / "camera-app.jpg").read_bytes()
    log = [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines()]
    [asked] = [c for c in log if c["call"] == "startActivityForResult"]
    assert asked["output"].startswith("content://") and asked["flags"] & 3 == 3  # never file://
    assert [c["call"] for c in log if c["call"].startswith("media.")] == ["media.insert", "media.delete"]
    assert not list((path / "media").iterdir())  # nothing left in the phone's gallery


def test_coming_back_without_a_photo_adds_none(device):
    from mobile.platform.android_camera import take_picture

    for mode in ("cancel", "nothing"):
        path = device()
        (path / "device.json").write_text(json.dumps({"sdk": 34, "camera": mode,
                                                      "camera_photo": str(_photo_file(path))}))
        got: list = []
        take_picture(path / "files" / "incoming", lambda p, _origin, into=got: into.append(p))
        assert got == [None], mode


def test_a_photo_on_android_9_also_needs_storage_and_on_14_only_the_camera(device):
    from mobile.permissions import BEFORE_PHOTO

    device(sdk=28, **{CAMERA: True, "android.permission.WRITE_EXTERNAL_STORAGE": True})
    assert _run(BEFORE_PHOTO)[1] == ["camera", "storage"]
    device(sdk=34, **{CAMERA: True})
    _flow, shown, outcome = _run(BEFORE_PHOTO)
    assert shown == ["camera"] and outcome.go
