"""A phone without a Chinese font still shows Chinese: the app falls back to the subset it ships."""
from PIL import ImageFont

from mobile.fonts import SHIPPED, app_font
from mobile.permissions import BEFORE_PATROL, CAMERA_STEP


def test_without_a_system_font_the_app_draws_with_its_own():
    assert app_font(candidates=["/system/fonts/NotoSansCJK-Regular.ttc"], fontconfig=False) == str(SHIPPED)
    assert app_font() != str(SHIPPED)  # where the phone (here: the desktop) has its own, that one
    font = ImageFont.truetype(str(SHIPPED), 48)
    box = bytes(font.getmask("\U0010fffd"))  # a character no font has: the "missing" box
    text = "".join(s.why + s.refused + s.fix for s in (*BEFORE_PATROL, CAMERA_STEP)) + "河巡刘德明灞河"
    drawn = [ch for ch in set(text) if not ch.isspace() and bytes(font.getmask(ch)) != box]
    assert len(drawn) == len({ch for ch in text if not ch.isspace()})  # every character a glyph of its own
