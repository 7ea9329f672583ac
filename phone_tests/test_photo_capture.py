"""A photo keeps when it was taken and where the recorder was then, and whether it came from the camera."""
from PIL import Image

from mobile.controller import Controller
from shared_models.clock import timestamp


def _controller(tmp_path):
    photo = tmp_path / "shot.jpg"
    Image.new("RGB", (2400, 1800), (90, 140, 110)).save(photo, "JPEG")
    return Controller(tmp_path / "phone", "http://127.0.0.1:9"), photo


def test_a_photo_taken_during_a_patrol_keeps_the_recorders_position(tmp_path):
    controller, shot = _controller(tmp_path)
    controller.on_fix({"t": timestamp() - 3, "lon": 108.9123, "lat": 34.3456, "accuracy": 4.5})
    before = timestamp()
    photo = controller.prepare_photo(shot)
    assert photo["source"] == "camera" and before <= photo["captured_at"] <= timestamp()
    assert (photo["capture_lon"], photo["capture_lat"], photo["capture_accuracy"]) == (108.9123, 34.3456, 4.5)


def test_an_old_fix_is_not_where_the_photo_was_taken_and_a_picked_picture_says_so(tmp_path):
    controller, shot = _controller(tmp_path)
    controller.on_fix({"t": timestamp() - 600, "lon": 108.9, "lat": 34.3, "accuracy": 4.5})
    controller.last_fix_at -= 600  # received ten minutes ago
    photo = controller.prepare_photo(shot, origin="gallery")
    assert photo["source"] == "gallery" and photo["capture_lon"] is None and photo["capture_accuracy"] is None
    controller.store.add_problem(7, {"category": "luan_dui", "severity": "normal", "lon": 108.9, "lat": 34.3,
                                     "reported_at": timestamp()}, [photo])
    kept = controller.store.photo(photo["uuid"])
    assert kept["source"] == "gallery" and kept["captured_at"] == photo["captured_at"]  # queued with it
