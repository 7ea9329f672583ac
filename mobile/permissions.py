"""Runtime permissions in Android's order, each with one plain sentence of why, and what a refusal means.

Asked when first needed, as Android's guidance and ODK Collect do: before the first patrol, precise location
while the app is in use, then background location as its own step (Android 10+; from Android 11 only on the
settings page, so the app says exactly what to tap: 始终允许), then notifications (Android 13+); the camera
when a photo is first taken, the microphone when a voice note is first recorded. A refused permission leaves a
sentence saying what will not work and one button that fixes it (the app's settings page). Without precise
location no patrol starts, so nothing is recorded that may not be.

``system`` is the platform: ``sdk()``, ``granted(permission)``, ``request(permissions, callback)`` (the
callback gets the permissions and a list of booleans), ``open_settings()``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

FINE = "android.permission.ACCESS_FINE_LOCATION"
COARSE = "android.permission.ACCESS_COARSE_LOCATION"
BACKGROUND = "android.permission.ACCESS_BACKGROUND_LOCATION"
NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
CAMERA = "android.permission.CAMERA"
MICROPHONE = "android.permission.RECORD_AUDIO"
STORAGE = "android.permission.WRITE_EXTERNAL_STORAGE"


@dataclass(frozen=True)
class Step:
    key: str
    permissions: tuple[str, ...]
    why: str  # shown before Android's own question
    refused: str  # what will not work without it
    fix: str  # the one button that fixes it
    required: bool  # without it the action does not go ahead
    min_sdk: int = 23
    settings_only_from: int | None = None  # from this Android version, only the settings page grants it
    max_sdk: int | None = None  # not asked after this Android version


LOCATION = Step("location", (FINE, COARSE), "巡河要记录您走过的路线，请允许河巡使用手机的精确位置。",
                "没有精确位置，无法记录巡河。", "去设置里打开位置权限", required=True)
BACKGROUND_LOCATION = Step(
    "background", (BACKGROUND,), "关掉屏幕后也要接着记录：请在接下来的页面点「位置信息」，选「始终允许」。",
    "没有选「始终允许」：关掉屏幕后，有的手机会停止记录巡河。", "去设置里选「始终允许」", required=False,
    min_sdk=29, settings_only_from=30)
NOTIFICATION = Step("notifications", (NOTIFICATIONS,), "通知栏会显示「正在记录巡河」，您随时能看到记录没有中断。",
                    "通知栏不会显示记录提示，巡河照常记录。", "去设置里打开通知", required=False, min_sdk=33)
CAMERA_STEP = Step("camera", (CAMERA,), "拍问题照片要用相机，请允许河巡使用相机。",
                   "没有相机权限，不能拍照；问题仍可以先不带照片上报。", "去设置里打开相机权限", required=True)

PHOTO_STORAGE = Step("storage", (STORAGE,), "拍下的照片要先存进手机再交给河巡，请允许河巡存储照片。",
                     "没有存储权限，不能拍照；问题仍可以先不带照片上报。", "去设置里打开存储权限", required=True,
                     max_sdk=28)  # the camera app writes into MediaStore (platform/android_camera.py)

MICROPHONE_STEP = Step("microphone", (MICROPHONE,), "录一段话代替打字要用麦克风，请允许河巡使用麦克风。",
                       "没有麦克风权限，不能录音；问题可以打字说明，照样上报。", "去设置里打开麦克风权限",
                       required=True)

BEFORE_PATROL = (LOCATION, BACKGROUND_LOCATION, NOTIFICATION)
BEFORE_PHOTO = (CAMERA_STEP, PHOTO_STORAGE)
BEFORE_VOICE = (MICROPHONE_STEP,)


@dataclass
class Outcome:
    """What the flow ended with: ``go`` (the action may go ahead) and the sentences of what was refused."""

    go: bool
    refused: list[Step]


class Permissions:
    def __init__(self, system) -> None:
        self.system = system

    def applies(self, step: Step) -> bool:
        sdk = self.system.sdk()
        return sdk >= step.min_sdk and (step.max_sdk is None or sdk <= step.max_sdk)

    def has(self, step: Step) -> bool:
        if step is LOCATION:
            return self.system.granted(FINE)  # "approximate" (coarse only) cannot record a patrol
        return all(self.system.granted(p) for p in step.permissions)

    def missing(self, steps: tuple[Step, ...]) -> list[Step]:
        return [s for s in steps if self.applies(s) and not self.has(s)]

    def via_settings(self, step: Step) -> bool:
        return step.settings_only_from is not None and self.system.sdk() >= step.settings_only_from

    def ask(self, step: Step, on_answer: Callable[[bool], None]) -> None:
        """Android's question (or, where Android sends the user there itself, its settings page)."""
        self.system.request(list(step.permissions), lambda _perms, _results: on_answer(self.has(step)))

    def fix(self, step: Step) -> None:
        self.system.open_settings()

    def run(self, steps: tuple[Step, ...], explain: Callable[[Step, Callable[[], None]], None],
            done: Callable[[Outcome], None]) -> None:
        """For each missing step in order: ``explain(step, go_on)`` shows the sentence, and ``go_on()`` asks
        Android; a refused required step ends the flow with ``go`` False."""
        todo = self.missing(steps)
        refused: list[Step] = []

        def next_step() -> None:
            if not todo:
                done(Outcome(True, refused))
                return
            step = todo.pop(0)

            def answered(ok: bool) -> None:
                if ok:
                    next_step()
                    return
                refused.append(step)
                if step.required:
                    done(Outcome(False, refused))
                else:
                    next_step()

            explain(step, lambda: self.ask(step, answered))

        next_step()
