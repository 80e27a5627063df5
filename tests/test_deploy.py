"""The deployment files: the image's entrypoint runs the Procfile's roles, the Kubernetes base renders and its
objects validate, the systemd units verify, the compose file resolves, and the image builds and serves
/healthz as an unprivileged user where a container engine runs.

Tools: kubectl (kustomize) and systemd-analyze are on this kind of machine, so a missing one fails under CI.
A Kubernetes API server is not: `kubectl apply --dry-run=client` needs one (it asks it for the object kinds), so
the objects are checked against the Kubernetes JSON schemas (kubernetes-validate, strict) and the dry run runs only
when a cluster is reachable. The container test needs a running engine and a Python 3.11 Debian base image;
`.ci/run` provides both when the machine allows (tests/services/container.sh) and sets PMSBOT_CONTAINER_TESTS=1,
which makes a skip a failure."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import need

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
ENTRYPOINT = DEPLOY / "docker-entrypoint.sh"
K8S_VERSION = "1.32.0"
ROLES = ("web", "worker", "clock")


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return {name.strip(): command.strip() for name, command in (line.split(":", 1) for line in lines if line.strip())}


def entrypoint_runs(tmp_path: Path, *args: str) -> list[str]:
    """What the image's entrypoint executes for `docker run IMAGE args…`, with pmsbot stubbed to print its argv."""
    stub = tmp_path / "bin" / "pmsbot"
    stub.parent.mkdir(exist_ok=True)
    stub.write_text('#!/bin/sh\nprintf "%s\\n" pmsbot "$@"\n', encoding="utf-8")
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    done = subprocess.run(["sh", str(ENTRYPOINT), *args], capture_output=True, text=True, timeout=30, check=True,
                          env={**os.environ, "PATH": f"{stub.parent}:{os.environ['PATH']}"})
    return done.stdout.splitlines()


def test_the_image_entrypoint_runs_the_procfile_roles(tmp_path: Path) -> None:
    assert set(procfile()) == set(ROLES)
    for role, command in procfile().items():
        assert entrypoint_runs(tmp_path, role) == command.split()
    assert entrypoint_runs(tmp_path) == ["pmsbot", "run"], "no command: the embedded default"
    assert entrypoint_runs(tmp_path, "migrate") == ["pmsbot", "db", "upgrade"]
    assert entrypoint_runs(tmp_path, "--log-format", "json", "web") == ["pmsbot", "--log-format", "json", "web"]
    assert entrypoint_runs(tmp_path, "say", "--as", "bob", "我的 任务") == ["pmsbot", "say", "--as", "bob", "我的 任务"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["pmsbot-entrypoint"]' in dockerfile and "COPY deploy/docker-entrypoint.sh" in dockerfile
    assert 'HEALTHCHECK' in dockerfile and '"healthcheck"' in dockerfile and "\nUSER 10001" in dockerfile


# ---- Kubernetes ---------------------------------------------------------------------------------------------------
def rendered_k8s() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    need(kubectl is not None, "kubectl is not installed (it renders the kustomize base)")
    assert kubectl is not None
    done = subprocess.run([kubectl, "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def test_the_kustomize_base_renders_and_every_object_validates() -> None:
    import kubernetes_validate

    objects = rendered_k8s()
    kinds = sorted(f"{o['kind']}/{o['metadata']['name'].rsplit('-', 1)[0] if o['kind'] == 'ConfigMap' else o['metadata']['name']}"
                   for o in objects)
    assert kinds == ["ConfigMap/pmsbot-config", "Deployment/pmsbot-clock", "Deployment/pmsbot-web",
                     "Deployment/pmsbot-worker", "Ingress/pmsbot", "Job/pmsbot-migrate",
                     "PodDisruptionBudget/pmsbot-web", "PodDisruptionBudget/pmsbot-worker", "Service/pmsbot-web"]
    for obj in objects:  # strict: an unknown or misspelt field is an error, as the API server's validation would say
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    web = next(o for o in objects if o["metadata"]["name"] == "pmsbot-web" and o["kind"] == "Deployment")
    broken = json.loads(json.dumps(web))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}  # the validator does catch a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_kubernetes_objects_run_the_roles_safely() -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in rendered_k8s()}
    config_map = next(name for kind, name in objects if kind == "ConfigMap")
    for role in ROLES:
        deployment = objects[("Deployment", f"pmsbot-{role}")]
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert ["pmsbot", *container["args"]] == procfile()[role].split()
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert {"secretRef": {"name": "pmsbot-env"}} in container["envFrom"]
        assert any(v.get("configMap", {}).get("name") == config_map for v in pod["volumes"]), "the hashed name"
    assert objects[("Deployment", "pmsbot-clock")]["spec"]["replicas"] == 1
    web = objects[("Deployment", "pmsbot-web")]["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert objects[("Job", "pmsbot-migrate")]["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]
    backend = objects[("Ingress", "pmsbot")]["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "pmsbot-web"
    assert objects[("Service", "pmsbot-web")]["spec"]["selector"] == \
        objects[("Deployment", "pmsbot-web")]["spec"]["selector"]["matchLabels"]


def test_kubectl_apply_dry_run_against_a_cluster(tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None or subprocess.run([kubectl, "version", "--request-timeout=3s"], capture_output=True,
                                         timeout=30).returncode != 0:
        pytest.skip("no Kubernetes API server reachable: `kubectl apply --dry-run=client` asks one for the object "
                    "kinds; the objects are validated against the schemas instead (test above)")
    done = subprocess.run([kubectl, "apply", "--dry-run=client", "-k", str(DEPLOY / "k8s")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ---- systemd ------------------------------------------------------------------------------------------------------
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    need(analyze is not None, "systemd-analyze is not installed")
    assert analyze is not None
    # `verify` checks that ExecStart exists: point the units at this checkout's pmsbot instead of /opt/pmsbot.
    pmsbot = Path(sys.executable).parent / "pmsbot"
    need(pmsbot.exists(), f"{pmsbot} is not installed (pip install -e .)")
    units = sorted((DEPLOY / "systemd").iterdir())
    for unit in units:
        text = unit.read_text(encoding="utf-8")
        if unit.suffix == ".service":
            args = next(line for line in text.splitlines() if line.startswith("ExecStart=")).split()[1:]
            assert args in (["web"], ["worker"], ["clock"], ["run"], ["db", "upgrade"])
            assert "\nUser=pmsbot\n" in text and "\nEnvironmentFile=/etc/pmsbot/pmsbot.env\n" in text
        (tmp_path / unit.name).write_text(text.replace("/opt/pmsbot/bin/pmsbot", str(pmsbot)), encoding="utf-8")
    done = subprocess.run([analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in units)],
                          capture_output=True, text=True, timeout=120)
    # A misspelt key is only a warning (exit 0): any output at all is a failure here.
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    roles = {line.split()[1] for u in units if u.suffix == ".service"
             for line in u.read_text(encoding="utf-8").splitlines() if line.startswith("ExecStart=")}
    assert set(ROLES) <= roles


# ---- compose ------------------------------------------------------------------------------------------------------
def test_the_compose_file_starts_the_roles_after_the_migration(tmp_path: Path) -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "migrate", *ROLES}
    for role in ROLES:
        assert ["pmsbot", *services[role]["command"]] == procfile()[role].split()
        assert services[role]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert services[role]["env_file"] == ["pmsbot.env"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    # Resolved by compose itself, with the example env file, where a compose is installed.
    tool = ([shutil.which("docker-compose")] if shutil.which("docker-compose") else
            [shutil.which("docker"), "compose"] if shutil.which("docker") and subprocess.run(
                ["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0 else None)
    if tool is None or tool[0] is None:
        pytest.skip("neither docker-compose nor `docker compose` is installed: the file was checked as YAML only")
    for name in ("compose.yaml", "pmsbot.yaml"):
        shutil.copy(DEPLOY / name, tmp_path / name)
    shutil.copy(DEPLOY / "pmsbot.env.example", tmp_path / "pmsbot.env")
    done = subprocess.run([*(t for t in tool if t), "-f", str(tmp_path / "compose.yaml"), "--env-file",
                           str(tmp_path / "pmsbot.env"), "config"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)["services"]
    assert resolved["web"]["environment"]["DATABASE_URL"] == "postgresql://pmsbot:change-me@db:5432/pmsbot"


def test_the_starter_configuration_is_valid_and_the_same_everywhere() -> None:
    from bot.config import load_config

    assert (DEPLOY / "pmsbot.yaml").read_text(encoding="utf-8") == \
        (DEPLOY / "k8s" / "pmsbot.yaml").read_text(encoding="utf-8")
    assert load_config(DEPLOY / "pmsbot.yaml").timezone == "Asia/Shanghai"


# ---- the image ----------------------------------------------------------------------------------------------------
def engine_expected() -> bool:
    return os.environ.get("PMSBOT_CONTAINER_TESTS") == "1"


def docker(*args: str, timeout_s: float = 120.0, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout_s)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {done.stderr.strip()}")
    return done


def missing(reason: str) -> None:
    if engine_expected():
        pytest.fail(f"{reason} (PMSBOT_CONTAINER_TESTS=1: this must not be skipped)")
    pytest.skip(reason)


def image_present(name: str, *, env: str) -> None:
    if docker("image", "inspect", name, check=False).returncode != 0 and \
            docker("pull", name, timeout_s=300, check=False).returncode != 0:
        missing(f"image {name} cannot be pulled here; `eval \"$(tests/services/container.sh)\"` makes a Debian "
                f"stand-in and sets {env}")


def built_image() -> str:
    """This checkout's image, tagged pmsbot:test (a rebuild takes seconds: Docker's layer cache)."""
    if shutil.which("docker") is None:
        missing("no container engine: docker is not installed (tests/services/container.sh sets one up)")
    info = docker("info", "--format", "{{.ServerVersion}}", timeout_s=30, check=False)
    if info.returncode != 0:
        missing(f"no container engine running: {info.stderr.strip().splitlines()[-1] if info.stderr else 'docker info'}"
                " (tests/services/container.sh starts one)")
    base = os.environ.get("PMSBOT_IMAGE_BASE", "python:3.11-slim-bookworm")
    image_present(base, env="PMSBOT_IMAGE_BASE")
    docker("build", "-q", "--build-arg", f"BASE_IMAGE={base}", "-t", "pmsbot:test", str(ROOT), timeout_s=1200)
    return "pmsbot:test"


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_the_image_builds_runs_unprivileged_and_is_healthy() -> None:
    tag = built_image()
    container = docker("run", "-d", "--health-interval=1s", "-e", "PMSBOT_CONSOLE=1", tag).stdout.strip()
    try:
        deadline = time.monotonic() + 90
        health = ""
        while health != "healthy" and time.monotonic() < deadline:  # the image's own HEALTHCHECK says so
            state = json.loads(docker("inspect", container).stdout)[0]["State"]
            assert state["Running"], docker("logs", container).stderr
            health = state.get("Health", {}).get("Status", "")
            time.sleep(0.2)
        assert health == "healthy", docker("logs", container).stderr
        # The container's own address on the bridge (a published port goes through docker-proxy, which this
        # sandbox's loopback resets).
        address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                         container).stdout.strip()
        with urllib.request.urlopen(f"http://{address}:8080/healthz", timeout=10) as answer:
            assert json.loads(answer.read()) == {"status": "ok"}
        assert docker("exec", "-e", "PORT=1", container, "pmsbot-entrypoint", "healthcheck",
                      check=False).returncode != 0, "the check fails where nothing answers"
        assert docker("exec", container, "id", "-u").stdout.strip() == "10001"
        assert docker("exec", container, "pmsbot", "--version").stdout.startswith("pmsbot ")
        docker("stop", "-t", "20", container, timeout_s=60)
        assert json.loads(docker("inspect", container).stdout)[0]["State"]["ExitCode"] == 0, "SIGTERM: a clean stop"
    finally:
        docker("rm", "-f", container, check=False)


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_the_compose_stack_migrates_and_serves(tmp_path: Path) -> None:
    """`docker compose up` as the README says: PostgreSQL, the migration, web, worker and clock; /readyz says ok."""
    image = built_image()
    postgres = os.environ.get("PMSBOT_POSTGRES_IMAGE", "postgres:16-bookworm")
    image_present(postgres, env="PMSBOT_POSTGRES_IMAGE")
    compose = shutil.which("docker-compose")
    if compose is None:
        missing("docker-compose is not installed (apt-get install docker-compose)")
    assert compose is not None
    for name in ("compose.yaml", "pmsbot.yaml"):
        shutil.copy(DEPLOY / name, tmp_path / name)
    shutil.copy(DEPLOY / "pmsbot.env.example", tmp_path / "pmsbot.env")
    project = f"pmsbot{os.getpid()}"
    run = [compose, "-p", project, "-f", str(tmp_path / "compose.yaml"), "--env-file", str(tmp_path / "pmsbot.env")]
    environ = {**os.environ, "PMSBOT_IMAGE": image, "PMSBOT_POSTGRES_IMAGE": postgres, "PMSBOT_HTTP_PORT": "0"}

    def compose_(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*run, *args], capture_output=True, text=True, timeout=timeout_s, env=environ)

    try:
        up = compose_("up", "-d", "--no-build")
        assert up.returncode == 0, up.stderr
        migrate = json.loads(docker("inspect", f"{project}_migrate_1").stdout)[0]["State"]
        assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0), compose_("logs", "migrate").stdout
        address = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                         f"{project}_web_1").stdout.strip()
        deadline = time.monotonic() + 120
        ready: dict[str, Any] = {}
        while ready.get("status") != "ok" and time.monotonic() < deadline:  # the web role starts in seconds
            try:
                with urllib.request.urlopen(f"http://{address}:8080/readyz", timeout=5) as answer:
                    ready = json.loads(answer.read())
            except OSError:
                time.sleep(0.2)
        assert ready == {"status": "ok"}, compose_("logs").stdout[-3000:]
        check = compose_("exec", "-T", "web", "pmsbot", "check")
        assert "ok   database postgresql+asyncpg://pmsbot:***@db:5432/pmsbot: schema up to date" in check.stdout
        for role in ROLES:  # each role up, and said so
            assert f"pmsbot {role} ready" in compose_("logs", role).stdout
    finally:
        compose_("down", "-v", "--remove-orphans")
