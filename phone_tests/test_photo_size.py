"""Photos leave the phone small enough for a weak network: 1600 px, a median under 300 KB on real photos."""
import statistics
from pathlib import Path

from PIL import Image

from mobile.controller import Controller

PHOTOS = Path(__file__).resolve().parent.parent / "tests" / "data" / "photos"


def test_real_photos_go_out_at_1600_px_and_a_median_under_300_kb(tmp_path):
    controller = Controller(tmp_path / "phone", "http://127.0.0.1:9")
    originals = sorted(PHOTOS.glob("*.jpg"))
    assert len(originals) >= 8
    made = [controller.prepare_photo(p) for p in originals]
    sizes = [m["size"] / 1024 for m in made]
    assert statistics.median(sizes) <= 300 and max(sizes) < 600
    for original, m in zip(originals, made, strict=True):
        with Image.open(m["path"]) as small, Image.open(original) as big:
            assert max(small.size) == 1600 and small.format == "JPEG"
            if "xiaomi" in original.name:  # the phone's own EXIF time stays (the server reads it)
                assert small.getexif().get(306) == big.getexif().get(306)
