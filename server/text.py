"""Text people typed, as files and names may hold it.

``UNHOLDABLE``: what XML 1.0 (GPX, KML, XLSX) cannot hold at all: C0 controls but tab, LF and
CR, unpaired surrogates, U+FFFE and U+FFFF. Exports drop them (``holdable``), since text
stored before the checks below, or free text a phone queued offline, may carry one.
``CONTROL``: every control character, tab and newlines included: a name (of a person, a grid,
a river) is one plain line, and one holding such a character is refused where it is entered.
"""
from __future__ import annotations

import re

from marshmallow import ValidationError

UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
NO_CONTROL = "不能含控制字符（如换行、制表符） / no control characters"


def holdable(text: str) -> str:
    return UNHOLDABLE.sub("", text)


def plain_line(value: str) -> None:
    """A marshmallow validator: a name is one line of printable text."""
    if CONTROL.search(value):
        raise ValidationError(NO_CONTROL)
