"""Draws the problem categories' pictograms (mobile/icons/<code>.png): big, plain shapes an inspector recognises
without reading, in the manner of CyberTracker's icon screens. Run again after changing a drawing:

    .venv/bin/python scripts/make_icons.py
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "mobile" / "icons"
SIZE, K = 192, 4  # drawn at 4x, then shrunk: smooth edges
WATER, DEEP, BANK, DARK, RED = (40, 120, 200), (20, 70, 140), (150, 110, 60), (60, 60, 60), (200, 40, 30)
GREEN, GREY, WHITE, BLACKISH = (60, 150, 60), (130, 130, 130), (255, 255, 255), (50, 45, 35)


def canvas():
    img = Image.new("RGBA", (SIZE * K, SIZE * K), (0, 0, 0, 0))
    return img, ImageDraw.Draw(img)


def s(*v):  # from a 0..48 grid to pixels
    return [c * SIZE * K / 48 for c in v]


def waves(d, y=36, colour=WATER):
    for dy in (0, 6):
        for x in range(2, 46, 12):
            d.arc(s(x, y + dy - 3, x + 12, y + dy + 3), 180, 360, fill=colour, width=int(2 * K * 4))


def luan_zhan(d):  # a fence across the river: occupied
    waves(d)
    for x in (10, 20, 30, 40):
        d.rectangle(s(x - 2, 10, x + 2, 40), fill=BANK)
    d.rectangle(s(6, 16, 44, 20), fill=BANK)
    d.rectangle(s(6, 28, 44, 32), fill=BANK)


def luan_cai(d):  # a shovel in a sand heap
    d.polygon(s(4, 44, 24, 26, 44, 44), fill=(210, 170, 90))
    d.line(s(30, 6, 20, 30), fill=BANK, width=int(3 * K * 4))
    d.polygon(s(14, 28, 24, 26, 22, 38, 12, 38), fill=GREY)


def luan_dui(d):  # a pile of sacks and boxes on the bank
    waves(d, 40)
    d.rectangle(s(6, 24, 20, 36), fill=BANK)
    d.rectangle(s(22, 20, 38, 36), fill=(180, 140, 80))
    d.rectangle(s(13, 10, 29, 22), fill=(120, 90, 50))


def luan_jian(d):  # a house built by the water
    waves(d, 40)
    d.polygon(s(6, 20, 24, 6, 42, 20), fill=RED)
    d.rectangle(s(10, 20, 38, 36), fill=(200, 190, 170))
    d.rectangle(s(20, 26, 28, 36), fill=BANK)


def garbage(d):  # a bottle floating
    waves(d, 34)
    d.rounded_rectangle(s(16, 14, 32, 34), radius=12 * K, fill=(90, 180, 90))
    d.rectangle(s(21, 8, 27, 15), fill=(90, 180, 90))


def sewage_outfall(d):  # a pipe pouring dark water
    d.rectangle(s(2, 10, 22, 20), fill=GREY)
    d.polygon(s(22, 12, 30, 14, 34, 38, 24, 38), fill=BLACKISH)
    waves(d, 38, DARK)


def water_colour(d):  # black water under a cloud of smell
    d.rectangle(s(2, 26, 46, 46), fill=BLACKISH)
    for x in (12, 24, 36):
        d.arc(s(x - 4, 6, x + 4, 22), 90, 270, fill=DARK, width=int(2 * K * 4))


def dead_animals(d):  # a fish belly up
    waves(d, 38)
    d.ellipse(s(6, 14, 34, 30), fill=GREY)
    d.polygon(s(32, 22, 44, 12, 44, 32), fill=GREY)
    d.line(s(12, 18, 18, 24), fill=DARK, width=int(2 * K * 4))
    d.line(s(18, 18, 12, 24), fill=DARK, width=int(2 * K * 4))


def invasive_plants(d):  # a plant spreading over the water
    waves(d, 38)
    d.line(s(24, 36, 24, 12), fill=GREEN, width=int(3 * K * 4))
    for box in ((8, 10, 24, 22), (24, 10, 40, 22), (10, 22, 24, 32), (24, 22, 38, 32)):
        d.ellipse(s(*box), fill=GREEN)


def damaged_structure(d):  # a broken signboard
    d.rectangle(s(22, 24, 26, 46), fill=BANK)
    d.polygon(s(6, 8, 22, 8, 26, 16, 22, 24, 6, 24), fill=WATER)
    d.polygon(s(28, 10, 42, 10, 42, 26, 30, 26, 26, 18), fill=WATER)


def other(d):  # a question mark
    d.arc(s(14, 6, 34, 26), 180, 90, fill=DEEP, width=int(4 * K * 4))
    d.line(s(24, 26, 24, 32), fill=DEEP, width=int(4 * K * 4))
    d.ellipse(s(21, 36, 27, 42), fill=DEEP)


DRAWINGS = [luan_zhan, luan_cai, luan_dui, luan_jian, garbage, sewage_outfall, water_colour, dead_animals,
            invasive_plants, damaged_structure, other]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for draw in DRAWINGS:
        img, d = canvas()
        draw(d)
        img.resize((SIZE, SIZE), Image.LANCZOS).save(OUT / f"{draw.__name__}.png", optimize=True)


if __name__ == "__main__":
    main()
