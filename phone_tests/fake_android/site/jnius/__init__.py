"""A stand-in for pyjnius on the fake Android device (phone_tests/fake_android): ``autoclass`` answers the
Java classes the app uses with fakedevice's; ``PythonJavaClass`` and ``java_method`` keep pyjnius's shape, so
the app's listeners are the same code it runs on a phone."""
from __future__ import annotations

import fakedevice


class JavaException(Exception):
    """What pyjnius raises when Java throws (classname is the Java exception's)."""

    def __init__(self, classname: str, message: str) -> None:
        super().__init__(f"{classname}: {message}")
        self.classname = classname


fakedevice.JavaException = JavaException


class PythonJavaClass:
    __javainterfaces__: list[str] = []
    __javacontext__ = "system"

    def __init__(self, *args, **kwargs) -> None:
        if not self.__javainterfaces__:
            raise TypeError("a PythonJavaClass names the Java interfaces it implements")


def java_method(signature: str, name: str | None = None):
    def mark(func):
        func.__javasignature__ = signature
        return func
    return mark


def autoclass(name: str):
    try:
        return fakedevice.CLASSES[name]
    except KeyError:
        raise JavaException("java.lang.ClassNotFoundException", name) from None


def cast(name: str, obj):
    return obj
