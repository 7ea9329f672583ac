"""Taking a photo: the phone's camera through plyer on Android; on the desktop a file chooser."""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from shared_models.clock import timestamp


def take_photo(on_done: Callable[[str | None, str], None]) -> None:
    """Ask for one photo; ``on_done`` gets the file path (None when cancelled) and where it came from: "camera"
    (taken now), or "gallery" (a picture chosen from the files: the desktop's stand-in)."""
    from . import on_android

    if on_android():
        from plyer import camera

        target = str(Path(tempfile.gettempdir()) / f"photo-{int(timestamp() * 1000)}.jpg")
        camera.take_picture(filename=target, on_complete=lambda path: on_done(path or None, "camera"))
        return
    _choose_file(on_done)


def _choose_file(on_done: Callable[[str | None], None]) -> None:
    from kivy.uix.filechooser import FileChooserListView
    from kivy.uix.popup import Popup

    chooser = FileChooserListView(path=str(Path.home()), filters=["*.jpg", "*.jpeg", "*.png"])
    popup = Popup(title="选择照片 Choose a photo", content=chooser, size_hint=(0.95, 0.9))

    def picked(_chooser, selection, _touch) -> None:
        popup.dismiss()
        on_done(selection[0] if selection else None, "gallery")

    chooser.bind(on_submit=picked)
    popup.open()
