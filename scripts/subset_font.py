"""Build the Chinese font the field app ships (mobile/fonts/riverpatrol-cjk.ttf), for phones without Noto CJK.

A subset of WenQuanYi Micro Hei (Apache-2.0; Debian's fonts-wqy-microhei): every character of GB 2312 (its
6,763 hanzi cover the names of people and places the app shows, nearly always), ASCII, CJK punctuation and
full-width forms, and every character in the app's own strings (mobile/, shared_models/). Deterministic:
the same inputs give the same file. Run with the server's venv (fonttools): `.venv/bin/python
scripts/subset_font.py`; tests/test_shipped_font.py says when it must be run again.
"""
from __future__ import annotations

import contextlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
TARGET = ROOT / "mobile" / "fonts" / "riverpatrol-cjk.ttf"
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def gb2312() -> set[str]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # the code points GB 2312 leaves empty
                chars.add(bytes([hi, lo]).decode("gb2312"))
    return chars


def app_strings() -> set[str]:
    """The CJK characters in the app's code and layouts: what its screens can show."""
    found = set()
    for package in ("mobile", "shared_models"):
        for path in sorted((ROOT / package).rglob("*")):
            if path.suffix in (".py", ".kv", ".json"):
                found |= set(CJK.findall(path.read_text(encoding="utf-8")))
    return found


def wanted() -> set[str]:
    return gb2312() | app_strings() | {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0x3000, 0x3040)} \
        | {chr(c) for c in range(0xFF01, 0xFF5F)} | set("·—‘’“”…℃")


def main() -> int:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(str(SOURCE)).fonts[0]
    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline, options.hinting = [], ["*"], True, False
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(wanted())))
    subsetter.subset(font)
    font.recalcTimestamp = False  # no build time in the file: the same inputs, the same bytes
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(TARGET))
    print(f"{TARGET.relative_to(ROOT)}: {TARGET.stat().st_size} bytes, {len(font.getBestCmap())} characters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
