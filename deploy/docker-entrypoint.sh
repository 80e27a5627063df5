#!/bin/sh
# The image's entrypoint. The first word picks what runs:
#   web | worker | clock | run   the Procfile's roles (run: all three in one process, the embedded default)
#   migrate                      `pmsbot db upgrade`: once per release, before the roles (PostgreSQL)
#   healthcheck                  exit 0 when this container's HTTP server answers /healthz (the image's
#                                HEALTHCHECK); a worker or clock container, which serves no HTTP, passes
#                                while its process runs
#   anything else                handed to pmsbot as it is (check, say, schedules, --log-format json web, ...)
set -eu
[ "$#" -gt 0 ] || set -- run

case "$1" in
  migrate)
    shift
    exec pmsbot db upgrade "$@"
    ;;
  healthcheck)
    # The pmsbot process's command line (PID 1 unless an init runs it) says whether it serves HTTP.
    serves=no
    for cmdline in /proc/[0-9]*/cmdline; do
      line=$(tr '\0' ' ' < "$cmdline" 2>/dev/null) || continue
      case " $line" in
        *"/pmsbot "*) ;;
        *) continue ;;
      esac
      case " $line " in
        *" web "*|*" run "*|*" demo "*) serves=yes ;;
      esac
    done
    [ "$serves" = yes ] || exit 0
    exec python3 -c 'import os, sys, urllib.request
url = "http://127.0.0.1:%s/healthz" % os.environ.get("PORT", "8080")
try:
    urllib.request.urlopen(url, timeout=4).read()
except Exception as exc:
    sys.exit("%s: %s" % (url, exc))'
    ;;
  pmsbot)
    shift
    exec pmsbot "$@"
    ;;
  *)
    exec pmsbot "$@"
    ;;
esac
