"""Tracks: the fixes of a patrol, their compact wire encoding, GPX reading and analysis.

Run by the phone (to tell the inspector before upload whether a patrol will count) and
by the server (to judge it), so both give the same verdict.
"""
from .model import Track, TrackError

__all__ = ["Track", "TrackError"]
