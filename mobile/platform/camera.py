"""Taking a photo: the phone's camera app through a content URI on Android (android_camera.py); on the desktop
a file chooser."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def take_photo(on_done: Callable[[str | None, str], None], folder: Path) -> None:
    """Ask for one photo; ``on_done`` gets the file path (None when cancelled) and where it came from: "camera"
    (taken now, copied into ``folder``), or "gallery" (a picture chosen from the files: the desktop's stand-in)."""
    from . import on_android

    if on_android():
        from .android_camera import take_picture

        take_picture(folder, on_done)
        return
    _choose_file(on_done)


def _choose_file(on_done: Callable[[str | None], None]) -> None:
    from kivy.uix.filechooser import FileChooserListView
    from kivy.uix.popup import Popup

    chooser = FileChooserListView(path=str(Path.home()), filters=["*.jpg", "*.jpeg", "*.png"])
    popup = Popup(title="选择照片", content=chooser, size_hint=(0.95, 0.9))

    def picked(_chooser, selection, _touch) -> None:
        popup.dismiss()
        on_done(selection[0] if selection else None, "gallery")

    chooser.bind(on_submit=picked)
    popup.open()
