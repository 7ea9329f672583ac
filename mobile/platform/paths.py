"""Where the app keeps its data: one directory for the app and its recording service, kept across updates.

On Android, python-for-android gives both processes ``ANDROID_PRIVATE``, the app's private files directory
(``Context.getFilesDir()``, Kivy's ``App.user_data_dir``), and unpacks the code into ``files/app``
(``ANDROID_ARGUMENT``), which it replaces on every update: data never goes there. On the desktop: ``--data``
or ``~/.riverpatrol``.
"""
from __future__ import annotations

import os
from pathlib import Path

STORE_NAME = "riverpatrol.sqlite"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    if explicit:
        return Path(explicit)
    private = os.environ.get("ANDROID_PRIVATE")
    if private:
        return Path(private) / "riverpatrol"
    return Path.home() / ".riverpatrol"


def store_path(directory: str | os.PathLike | None = None) -> Path:
    return data_dir(directory) / STORE_NAME
