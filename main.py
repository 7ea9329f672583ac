"""Entry point for buildozer (Android): the field app in mobile/."""
import sys

from mobile.__main__ import main

if __name__ == "__main__":
    sys.exit(main([]))  # the data lives in the private files directory, not in files/app (mobile/platform/paths.py)
