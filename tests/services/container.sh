#!/usr/bin/env bash
# A container engine and a base image for tests/test_deploy.py's image test, from Debian's packages only.
#
#   eval "$(tests/services/container.sh)"   # sets PMSBOT_IMAGE_BASE and PMSBOT_POSTGRES_IMAGE; exit 1 with the reason
#
# Installs docker.io (and debootstrap) when missing, starts dockerd when none answers, and when the Dockerfile's
# default base (python:3.11-slim-bookworm) cannot be pulled (no Docker Hub from here), makes a stand-in:
# Debian bookworm (minbase) with its Python 3.11 and venv, imported as pmsbot-base:bookworm. It trusts this
# machine's CA bundle, so pip inside the build reaches the package index the way the machine does. Likewise for
# the compose test's PostgreSQL: postgres:16-bookworm, or Debian's PostgreSQL on that base (postgres-image/).
set -euo pipefail
base=pmsbot-base:bookworm
say() { echo "container.sh: $*" >&2; }

need_pkg() {
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1; }
}

command -v dockerd >/dev/null || need_pkg docker.io || { say "cannot install docker.io"; exit 1; }
command -v docker-compose >/dev/null || need_pkg docker-compose || { say "cannot install docker-compose"; exit 1; }
if ! docker info >/dev/null 2>&1; then
  (dockerd >/tmp/pmsbot-dockerd.log 2>&1 &)
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { say "dockerd does not start here: $(tail -n 3 /tmp/pmsbot-dockerd.log)"; exit 1; }
fi

have() { docker image inspect "$1" >/dev/null 2>&1 || timeout 60 docker pull -q "$1" >/dev/null 2>&1; }

if have python:3.11-slim-bookworm && have postgres:16-bookworm; then
  echo "export PMSBOT_IMAGE_BASE=python:3.11-slim-bookworm PMSBOT_POSTGRES_IMAGE=postgres:16-bookworm"
  exit 0
fi
if ! docker image inspect "$base" >/dev/null 2>&1; then
  need_pkg debootstrap || { say "cannot install debootstrap"; exit 1; }
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$root" ${mirror:+"$mirror"} \
    >/tmp/pmsbot-debootstrap.log 2>&1 || { say "debootstrap failed: $(tail -n 3 /tmp/pmsbot-debootstrap.log)"; exit 1; }
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    - "$base" >/dev/null
fi
postgres=pmsbot-test-postgres:15
if ! docker image inspect "$postgres" >/dev/null 2>&1; then
  docker build -q --build-arg "BASE_IMAGE=$base" -t "$postgres" "$(dirname "$0")/postgres-image" >/tmp/pmsbot-postgres-image.log 2>&1 \
    || { say "cannot build the PostgreSQL stand-in: $(tail -n 3 /tmp/pmsbot-postgres-image.log)"; exit 1; }
fi
echo "export PMSBOT_IMAGE_BASE=$base PMSBOT_POSTGRES_IMAGE=$postgres"
