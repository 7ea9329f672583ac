"""A font with Chinese glyphs (the phone's screens, the printed card): Kivy's Roboto and PDF's base fonts have none."""
from __future__ import annotations

import os
import subprocess

CANDIDATES = [
    "/system/fonts/NotoSansCJK-Regular.ttc",  # Android
    "/system/fonts/NotoSansSC-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
]

MISSING = ("找不到中文字体，界面文字会显示为方框。请安装 fonts-wqy-microhei 或 Noto CJK。\n"
           "No Chinese font found: text would show as boxes. Install fonts-wqy-microhei or Noto CJK.")


def find_cjk_font(candidates: list[str] = CANDIDATES, fontconfig: bool = True) -> str | None:
    for path in candidates:
        if os.path.exists(path):
            return path
    if not fontconfig:
        return None
    try:  # anything fontconfig knows with Chinese coverage
        out = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5)
        if out.returncode == 0 and out.stdout and os.path.exists(out.stdout):
            return out.stdout
    except (OSError, subprocess.SubprocessError):
        pass
    return None
