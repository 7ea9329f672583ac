"""The Chinese font the field app ships covers every character the app can show (scripts/subset_font.py)."""
import importlib.util
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "mobile" / "fonts" / "riverpatrol-cjk.ttf"


def _script():
    spec = importlib.util.spec_from_file_location("subset_font", ROOT / "scripts" / "subset_font.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_font_has_every_character_of_the_app_and_of_gb2312():
    have = {chr(c) for c in TTFont(str(FONT)).getBestCmap()}
    script = _script()
    missing = sorted(script.app_strings() - have)
    assert missing == [], f"run `.venv/bin/python scripts/subset_font.py`: the app now shows {''.join(missing)}"
    assert len(script.gb2312() - have) < 10  # the names of people and places
    assert FONT.stat().st_size < 1_500_000  # a subset, not the 5 MB font
