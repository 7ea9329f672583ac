#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: system packages, then a venv with the project.
# Usage: scripts/bootstrap.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}

apt_pkgs=(libsqlite3-mod-spatialite fonts-wqy-microhei)  # the font: printed cards (PDF) in Chinese
extras="server,postgres,prod,dev"
if [ "$want" = test ] || [ "$want" = mobile ]; then
  # the field app runs in a real window: Xvfb, Mesa's GL, a Chinese font
  apt_pkgs+=(xvfb xauth libgl1-mesa-dri)
  extras="server,postgres,prod,dev,mobile"
fi
if [ "$want" = test ]; then
  # PostGIS for the second engine; Debian's Chromium and its driver for the console's browser tests
  apt_pkgs+=(postgresql-15-postgis-3 postgresql-15 chromium chromium-driver)
  # Redis for the background-job queue (RQ); nginx to check the shipped configuration
  apt_pkgs+=(redis-server nginx)
  # javac: the Java the APK adds (mobile/android/java) is compiled and run against Android's API shape
  command -v javac >/dev/null || apt_pkgs+=(openjdk-17-jdk-headless)
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

py=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$py" -m venv .venv
fi
stamp=.venv/.riverpatrol-installed
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ] || [ "$(cat "$stamp")" != "$extras" ]; then
  echo "bootstrap: installing python packages ($extras)"
  # this machine's pip.conf names local mirrors that may be absent: drop those warnings only
  quiet() { "$@" 2> >(grep -v "^WARNING: Location '" >&2); }
  quiet .venv/bin/pip install -q --upgrade pip >/dev/null
  quiet .venv/bin/pip install -q -e ".[$extras]"
  echo "$extras" > "$stamp"
fi

# The phone's environment: exactly the packages the APK holds (mobile/requirements-phone.txt, the pins of
# buildozer.spec) and nothing of the server; pytest and xdist only as the suite's tools. The phone's
# tests run in it (phone_tests/), and the app's windows and headless recorder are started from it.
if [ "$want" = test ] || [ "$want" = mobile ]; then
  if [ ! -x .venv-phone/bin/python ]; then
    echo "bootstrap: creating .venv-phone"
    "$py" -m venv .venv-phone
  fi
  pstamp=.venv-phone/.riverpatrol-installed
  if [ ! -f "$pstamp" ] || [ mobile/requirements-phone.txt -nt "$pstamp" ]; then
    echo "bootstrap: installing the phone's packages"
    quiet() { "$@" 2> >(grep -v "^WARNING: Location '" >&2); }
    quiet .venv-phone/bin/pip install -q --upgrade pip >/dev/null
    # charset-normalizer from its source: the pure-Python build a phone gets, not the mypyc wheel
    quiet .venv-phone/bin/pip install -q --no-binary charset-normalizer -r mobile/requirements-phone.txt
    quiet .venv-phone/bin/pip install -q "pytest>=8" "pytest-xdist>=3.5"
    touch "$pstamp"
  fi
fi
