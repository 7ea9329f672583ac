"""The wire contract between the phone and the server: what each upload carries, what the phone reads
back, and which refusals it tries again.

The phone builds its bodies with the functions here (not by hand), the server's schemas accept
exactly these fields (``tests/test_wire.py`` holds them to it), and the verdict on a patrol is read
from one list of fields wherever it comes from: the upload's answer or the changes feed.
"""
from __future__ import annotations

import datetime as dt

# the server's verdict on one patrol, in the upload's answer and in GET /api/v1/me/changes
VERDICT_FIELDS = ("valid", "flagged", "flags", "distance_m", "duration_s", "coverage", "reasons", "review_status",
                  "review_note", "counts")
# the supervisor's decision, as the phone says it
REVIEW_WORDS = {"cleared": "网格长核实后计入", "rejected": "网格长驳回，不计入"}
# what GET /api/v1/me/changes answers (the phone replaces its copy of each)
CHANGES_FIELDS = ("cursor", "cards", "patrols", "tasks", "categories", "problems", "basemap")
# each upload's fields, as the server's schema names them
PATROL_FIELDS = ("uuid", "card_id", "segment_ids", "started_at", "ended_at", "track", "checklist", "notes",
                 "lifecycle_events")
PROBLEM_FIELDS = ("uuid", "category", "severity", "description", "lon", "lat", "accuracy_m", "reported_at",
                  "photo_uuids", "patrol_uuid")
CASE_STEP_FIELDS = ("action", "client_uuid", "base_version", "at", "lon", "lat", "note", "photo_uuids")
# what a photo keeps of the moment it was taken (the phone's record, beside the picture's EXIF)
PHOTO_CAPTURE_FIELDS = ("captured_at", "capture_lon", "capture_lat", "capture_accuracy", "source")
PHOTO_FIELDS = ("uuid", "size", "sha256", "patrol_uuid", "problem_uuid", *PHOTO_CAPTURE_FIELDS)

# refusals the phone sends again later (with backoff); every other 4xx is kept with its reason
RETRYABLE_CODES = frozenset({"photo.offset_mismatch", "voice.offset_mismatch", "auth.rate_limited", "auth.busy",
                             "internal_error", "service.unavailable", "photo.storage_full"})
# refusals after which the phone asks its inspector to sign in again (nothing is lost meanwhile)
SIGN_IN_AGAIN = frozenset({"auth.token_revoked", "auth.token_expired", "auth.token_invalid", "auth.account_inactive"})


def iso(epoch: float) -> str:
    """An instant of the phone's clock (seconds) as the server reads times: ISO 8601 in UTC."""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def patrol_upload(*, uuid: str, card_id: int, segment_ids: list[int], started_at: float, ended_at: float,
                  track_b64: str, checklist: dict, notes: str, events: list[dict]) -> dict:
    """POST /api/v1/patrols."""
    return {"uuid": uuid, "card_id": card_id, "segment_ids": segment_ids, "started_at": iso(started_at),
            "ended_at": iso(ended_at), "track": track_b64, "checklist": checklist, "notes": notes,
            "lifecycle_events": [{"at": iso(e["at"]), "event": e["event"]} for e in events]}


def problem_report(*, uuid: str, category: str, severity: str, description: str, lon: float, lat: float,
                   accuracy_m: float | None, reported_at: float, photo_uuids: list[str],
                   patrol_uuid: str | None) -> dict:
    """POST /api/v1/problems."""
    return {"uuid": uuid, "category": category, "severity": severity, "description": description, "lon": lon,
            "lat": lat, "accuracy_m": accuracy_m, "reported_at": iso(reported_at), "photo_uuids": photo_uuids,
            "patrol_uuid": patrol_uuid}


def case_step(*, action: str, client_uuid: str, base_version: int, at: float, lon: float | None, lat: float | None,
              note: str, photo_uuids: list[str]) -> dict:
    """POST /api/v1/cases/{case_no}/transitions, a step done on site (a re-check; a rectification, where the phone
    may not know where it is: then without a position)."""
    where = {"lon": lon, "lat": lat} if lon is not None and lat is not None else {}
    return {"action": action, "client_uuid": client_uuid, "base_version": base_version, "at": iso(at), **where,
            "note": note, "photo_uuids": photo_uuids}


PHOTO_SOURCES = ("camera", "gallery")  # taken in the app now, or picked from the phone's pictures


def photo_upload(*, uuid: str, size: int, sha256: str, patrol_uuid: str | None, problem_uuid: str | None,
                 captured_at: float | None = None, capture_lon: float | None = None, capture_lat: float | None = None,
                 capture_accuracy: float | None = None, source: str | None = None) -> dict:
    """POST /api/v1/photos, before the chunks: with what the phone recorded when the photo was taken (its time in
    epoch seconds, the recorder's position and accuracy then, camera or gallery), where it knows them."""
    return {"uuid": uuid, "size": size, "sha256": sha256, "patrol_uuid": patrol_uuid, "problem_uuid": problem_uuid,
            "captured_at": None if captured_at is None else iso(captured_at), "capture_lon": capture_lon,
            "capture_lat": capture_lat, "capture_accuracy": capture_accuracy, "source": source}


def voice_upload(*, uuid: str, size: int, sha256: str, problem_uuid: str | None, recorded_at: float | None) -> dict:
    """POST /api/v1/voice-notes, before the chunks: a recording telling of a problem (instead of typing)."""
    return {"uuid": uuid, "size": size, "sha256": sha256, "problem_uuid": problem_uuid,
            "recorded_at": None if recorded_at is None else iso(recorded_at)}


def verdict(answer: dict) -> dict:
    """The verdict's fields out of an answer that carries them (the upload's, or one of /me/changes)."""
    return {k: answer[k] for k in VERDICT_FIELDS if k in answer}


def retryable(status: int, code: str | None) -> bool:
    """Whether a refused call is tried again later: the server or the line failed, or it said so."""
    return status >= 500 or status == 429 or code in RETRYABLE_CODES
