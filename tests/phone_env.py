"""The phone's interpreter: the app and its headless tools are started from the venv that holds only what the
APK holds (`make test` builds it: scripts/bootstrap.sh), so a window test also proves the phone's packages."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHONE_PYTHON = ROOT / ".venv-phone" / "bin" / "python"


def phone_python() -> str:
    if not PHONE_PYTHON.exists():
        raise RuntimeError(f"the phone's venv is missing ({PHONE_PYTHON}): run `bash scripts/bootstrap.sh test`")
    return str(PHONE_PYTHON)
