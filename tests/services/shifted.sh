#!/usr/bin/env bash
# Run the test suite with the machine's clock shifted to another instant (the date canary).
#
#   tests/services/shifted.sh "2028-02-29 15:59:30" [pytest arguments...]
#
# The instant is UTC. Debian's libfaketime (package `faketime`) shifts the wall clock of this process and of
# every child it starts (pytest's workers, `pmsbot` subprocesses, Redmine, Chromium), all by the same offset;
# from there time runs on at normal speed. PostgreSQL, started before, keeps the real time: the product never asks the database for
# "now", so that difference is part of what this checks.
# FAKETIME_FORCE_MONOTONIC_FIX=0: with it Chromium stalls for ~40 s. The monotonic clock is shifted too
# (FAKETIME_DONT_FAKE_MONOTONIC=0): left real, Python's time.sleep fails with EINVAL under libfaketime 0.9.10.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $# -ge 1 ]] || { echo "usage: $0 'YYYY-MM-DD HH:MM:SS' (UTC) [pytest arguments...]" >&2; exit 2; }
instant=$1
shift
lib=$(dpkg -L libfaketime 2>/dev/null | grep -m1 '/libfaketimeMT\.so\.1$' || true)
if [[ -z $lib ]]; then
  echo "shifted.sh: libfaketime is not installed (apt-get install faketime)" >&2
  exit 2
fi
echo "date canary: the suite at ${instant} UTC"
# An offset, not "@instant": with "@" every process would start at the instant anew, and a `pmsbot` started by
# a test minutes later would live minutes before the test that started it.
target_s=$(date -u -d "$instant" +%s) || { echo "shifted.sh: not an instant: $instant" >&2; exit 2; }
export TZ=UTC FAKETIME="+$(( target_s - $(date -u +%s) ))" FAKETIME_FORCE_MONOTONIC_FIX=0 FAKETIME_DONT_FAKE_MONOTONIC=0
# Chromium with its monotonic clock shifted never finishes a frame (screenshots time out): it gets the real one.
wrapper_dir=$(mktemp -d)
trap 'rm -rf "$wrapper_dir"' EXIT
printf '#!/bin/sh\nFAKETIME_DONT_FAKE_MONOTONIC=1 exec %s "$@"\n' "$(command -v chromium || echo /usr/bin/chromium)" \
  > "$wrapper_dir/chromium"
chmod +x "$wrapper_dir/chromium"
export PMSBOT_CHROMIUM="$wrapper_dir/chromium"
LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}" .venv/bin/python -m pytest "$@"
