#!/usr/bin/env bash
# OpenLDAP for the directory-sync tests (Debian's slapd + ldap-utils).
#
#   tests/services/ldap.sh install
#
# install: the Debian packages, when missing (root only); .ci/run calls it once. The tests start their own
# throwaway slapd (a temporary slapd.conf, an mdb database filled by slapadd, a free port) in a session-scoped
# fixture (tests/ldap_server.py), so nothing here keeps running and the machine's own slapd, if any, is not used.
# The package's postinst would configure a system instance: it is told not to (debconf slapd/no_configuration).
#
# Exit codes: 0 ok, 1 install failed, 2 usage, 3 needs root.
set -euo pipefail

readonly PACKAGES=(slapd ldap-utils)

log() { printf 'ldap.sh: %s\n' "$*" >&2; }

installed() {
    local status
    for p in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || return 1
        [[ $status == "install ok installed" ]] || return 1
    done
}

install() {
    if installed; then
        return 0
    fi
    [[ $(id -u) == 0 ]] || { log "slapd and ldap-utils are not installed and this is not root"; exit 3; }
    log "installing ${PACKAGES[*]}"
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}" >&2 \
        || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
             "${PACKAGES[@]}" >&2; } || { log "apt-get install failed"; exit 1; }
    # No system instance: the tests start their own.
    if command -v service >/dev/null 2>&1; then service slapd stop >/dev/null 2>&1 || true; fi
}

case "${1:-}" in
    install) install ;;
    *) printf 'usage: tests/services/ldap.sh install\n' >&2; exit 2 ;;
esac
