#!/usr/bin/env bash
# A container engine and a base image for tests/test_deploy.py's image test, from Debian's packages only.
#
#   tests/services/container.sh        # prints PMSBOT_IMAGE_BASE=... on success; exit 1 with the reason if not
#
# Installs docker.io (and debootstrap) when missing, starts dockerd when none answers, and when the Dockerfile's
# default base (python:3.11-slim-bookworm) cannot be pulled (no Docker Hub from here), makes a stand-in:
# Debian bookworm (minbase) with its Python 3.11 and venv, imported as pmsbot-base:bookworm. It trusts this
# machine's CA bundle, so pip inside the build reaches the package index the way the machine does.
set -euo pipefail
base=pmsbot-base:bookworm
say() { echo "container.sh: $*" >&2; }

need_pkg() {
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null 2>&1; }
}

command -v dockerd >/dev/null || need_pkg docker.io || { say "cannot install docker.io"; exit 1; }
if ! docker info >/dev/null 2>&1; then
  (dockerd >/tmp/pmsbot-dockerd.log 2>&1 &)
  for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { say "dockerd does not start here: $(tail -n 3 /tmp/pmsbot-dockerd.log)"; exit 1; }
fi

if docker image inspect python:3.11-slim-bookworm >/dev/null 2>&1 || timeout 60 docker pull -q python:3.11-slim-bookworm >/dev/null 2>&1; then
  echo "PMSBOT_IMAGE_BASE=python:3.11-slim-bookworm"
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
echo "PMSBOT_IMAGE_BASE=$base"
