"""Photos on the wire, measured on the real photos in tests/data/photos (issue 15).

``photo_wire_kb_median`` / ``_max``: what the phone queues (mobile/controller.py's prepare_photo: 1600 px,
PHOTO_QUALITY); ``photo_wire_kb_median_q85``: the same photos as the app encoded them before (quality 85), in
the same run, and the ratio; ``photo_psnr_db_median``: the loss against the 1600 px picture, in dB (above 35
is invisible on a phone screen); ``patrol_3_photos_upload_s_256kbit``: the seconds a 2-hour 1 Hz patrol and
3 photos of median size take at 256 kbit/s (a weak rural 3G/EDGE link), computed from bytes (the patrol's
track travels base64 inside JSON).
"""
from __future__ import annotations

import io
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tracks import two_hour_patrol  # noqa: E402
from mobile.controller import PHOTO_LONG_EDGE, Controller  # noqa: E402
from shared_models.track import codec  # noqa: E402

PHOTOS = ROOT / "tests" / "data" / "photos"
LINK_BPS = 256_000


def _psnr(reference: Image.Image, data: bytes) -> float:
    ref = np.asarray(reference, dtype=float)
    got = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)
    return float(10 * np.log10(255 ** 2 / ((ref - got) ** 2).mean()))


def main() -> None:
    originals = sorted(PHOTOS.glob("*.jpg"))
    now, before, psnr = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        controller = Controller(Path(tmp) / "phone", "http://127.0.0.1:9")
        for path in originals:
            made = controller.prepare_photo(path)
            data = Path(made["path"]).read_bytes()
            with Image.open(path) as img:
                upright = ImageOps.exif_transpose(img).convert("RGB")
            upright.thumbnail((PHOTO_LONG_EDGE, PHOTO_LONG_EDGE))
            old = io.BytesIO()
            upright.save(old, "JPEG", quality=85)
            now.append(len(data))
            before.append(len(old.getvalue()))
            psnr.append(_psnr(upright, data))
    track, _segments, _grid = two_hour_patrol()
    patrol = len(codec.encode(track)) * 4 / 3 + 2_000  # base64 in the JSON body, plus the rest of the body
    median, median_before = statistics.median(now), statistics.median(before)
    print(f"photo_count: {len(originals)}")
    print(f"photo_wire_kb_median: {median / 1024:.0f}")
    print(f"photo_wire_kb_max: {max(now) / 1024:.0f}")
    print(f"photo_wire_kb_median_q85: {median_before / 1024:.0f}")
    print(f"photo_wire_ratio_to_q85: {median / median_before:.2f}")
    print(f"photo_psnr_db_median: {statistics.median(psnr):.1f}")
    print(f"patrol_3_photos_upload_s_256kbit: {(patrol + 3 * median) * 8 / LINK_BPS:.1f}")
    print(f"patrol_3_photos_upload_s_256kbit_q85: {(patrol + 3 * median_before) * 8 / LINK_BPS:.1f}")


if __name__ == "__main__":
    main()
