"""Tracks: the fixes of a patrol, their compact wire encoding, GPX reading and analysis.

Run by the phone (to tell the inspector before upload whether a patrol will count) and
by the server (to judge it), so both give the same verdict. Imports neither Flask,
SQLAlchemy nor Kivy, nor Shapely or pyproj (python-for-android builds neither in a usable
version): numpy and the standard library only (geometry.py is the numpy geometry).
"""
from .errors import TrackDecodeError, TrackError
from .model import Track

__all__ = ["Track", "TrackDecodeError", "TrackError"]
