"""A throwaway OpenLDAP (Debian's slapd) for the directory tests: a temporary slapd.conf and mdb database filled
by slapadd from generated LDIF, on a free port of 127.0.0.1, started once per test session.

Like Active Directory (MaxPageSize 1,000) it refuses to return more than SIZE_LIMIT (1,000) entries to one plain
search; a paged search (RFC 2696) reads all USERS (5,000), loaded by slapadd in a second. Installed by tests/services/ldap.sh (CI: .ci/run); skipped locally with
a reason when slapd is missing, a failure under CI=true.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import need

SUFFIX = "dc=corp,dc=example"
ADMIN_DN, ADMIN_PW = f"cn=admin,{SUFFIX}", "admin-secret"
READER_DN, READER_PW = f"cn=reader,{SUFFIX}", "reader-secret"
PEOPLE = f"ou=People,{SUFFIX}"
SIZE_LIMIT = 1000  # Active Directory's MaxPageSize: a plain search gets no more
USERS = 5000
START_TIMEOUT_S = 10.0
SLAPD = shutil.which("slapd") or ("/usr/sbin/slapd" if Path("/usr/sbin/slapd").exists() else None)
SLAPADD = shutil.which("slapadd") or ("/usr/sbin/slapadd" if Path("/usr/sbin/slapadd").exists() else None)

CONF = """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
sizelimit size.soft={limit} size.hard={limit} size.prtotal=unlimited
database mdb
maxsize 104857600
suffix "{suffix}"
rootdn "{admin}"
rootpw {admin_pw}
directory {dir}/data
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
"""


@dataclass(frozen=True)
class Slapd:
    url: str


def person(i: int) -> str:
    dept = "Finance" if i % 10 == 0 else "Engineering"
    lines = [f"dn: uid=u{i},{PEOPLE}", "objectClass: inetOrgPerson", f"uid: u{i}", f"cn: User {i}", f"sn: {i}",
             f"mail: u{i}@corp.example", f"employeeNumber: E{i}", f"departmentNumber: {dept}"]
    if i > 1:
        lines.append(f"manager: uid=u{1 if i <= 10 else 2 + i % 8},{PEOPLE}")
    if i == 1:
        lines.append("businessCategory: pmsbot-admins")
    return "\n".join(lines)


def ldif() -> str:
    head = [f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: corp\no: Corp",
            f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\n"
            f"userPassword: {READER_PW}",
            f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: People"]
    return "\n\n".join(head + [person(i) for i in range(1, USERS + 1)]) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    need(SLAPD is not None and SLAPADD is not None and Path("/etc/ldap/schema/inetorgperson.schema").exists(),
         "OpenLDAP's slapd is not installed (bash tests/services/ldap.sh install)")
    assert SLAPD is not None and SLAPADD is not None
    base = tmp_path_factory.mktemp("slapd")
    (base / "data").mkdir()
    conf = base / "slapd.conf"
    conf.write_text(CONF.format(dir=base, limit=SIZE_LIMIT, suffix=SUFFIX, admin=ADMIN_DN, admin_pw=ADMIN_PW))
    (base / "people.ldif").write_text(ldif())
    subprocess.run([SLAPADD, "-q", "-f", str(conf), "-l", str(base / "people.ldif")], check=True,
                   capture_output=True, timeout=60)
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    # -d 0: stay in the foreground, so the process is ours to stop
    log = (base / "slapd.log").open("wb")
    proc = subprocess.Popen([SLAPD, "-f", str(conf), "-h", f"{url}/", "-d", "0"], stdout=subprocess.DEVNULL,
                            stderr=log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _answers(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(f"slapd did not start: {(base / 'slapd.log').read_text(errors='replace')[-500:]}")
        time.sleep(0.05)  # polling a port that is not open yet: the condition is the open port
    try:
        yield Slapd(url=url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
