"""deploy/: the Kubernetes example and the systemd unit parse, and every path, port and
command they name exists in the image layout (Dockerfile), the install layout and the
sup.toml they ship. supd itself validates that sup.toml (`supd --check`)."""
import os
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SUP_BUILD_DIR") or os.path.join(ROOT, "build")
KUBE = os.path.join(ROOT, "deploy", "kubernetes")
UNIT = os.path.join(ROOT, "deploy", "systemd", "supd.service")
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
INSTALLED_BIN = "/usr/local/bin"  # the Dockerfile installs with --prefix /usr/local


def manifests():
    docs = []
    for name in sorted(os.listdir(KUBE)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(KUBE, name)) as f:
                docs += [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def one(kind):
    found = [d for d in manifests() if d["kind"] == kind]
    assert len(found) == 1, f"exactly one {kind} in {KUBE}"
    return found[0]


def container():
    containers = one("Deployment")["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def sup_toml():
    return one("ConfigMap")["data"]["sup.toml"]


def seconds(duration):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", str(duration))
    assert m, f"a duration: {duration}"
    return int(m.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def dockerfile():
    with open(DOCKERFILE) as f:
        return f.read()


def unit():
    """The unit's [Section] Key=value pairs (a key may repeat: the last one wins here)."""
    sections, current = {}, None
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                current = sections.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return sections


def test_every_manifest_parses_and_names_its_kind():
    docs = manifests()
    assert {d["kind"] for d in docs} == {"ConfigMap", "Deployment"}
    for d in docs:
        assert d["apiVersion"] and d["metadata"]["name"]


def test_the_configmap_sup_toml_is_a_valid_config_for_supd(tmp_path):
    path = tmp_path / "sup.toml"
    path.write_text(sup_toml())
    supd = os.path.join(BUILD, "bin", "supd")
    r = subprocess.run([supd, "--check", "-c", str(path)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    for name, program in tomllib.loads(sup_toml())["program"].items():
        command = program["command"]
        argv0 = command[0] if isinstance(command, list) else command.split()[0]
        assert argv0.startswith("/") and os.path.exists(argv0), f"{name}: {argv0} (Debian 12 base)"


def test_the_http_endpoint_port_is_the_one_probes_and_prometheus_use():
    host, _, port = tomllib.loads(sup_toml())["supervisor"]["http"].rpartition(":")
    assert host == "0.0.0.0", "the kubelet and Prometheus reach the pod's IP, not its loopback"
    port = int(port)
    c = container()
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert port in ports.values()
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")):
        get = c[probe]["httpGet"]
        assert get["path"] == path, probe
        assert ports.get(get["port"], get["port"]) == port, probe
    annotations = one("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) == port
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_config_is_mounted_where_supd_is_told_to_read_it():
    c = container()
    assert "command" not in c, "the image's ENTRYPOINT (supd) must stay"
    args = c["args"]
    config = args[args.index("-c") + 1]
    volume = {v["name"]: v for v in one("Deployment")["spec"]["template"]["spec"]["volumes"]}
    mounts = [m for m in c["volumeMounts"] if config.startswith(m["mountPath"].rstrip("/") + "/")]
    assert len(mounts) == 1, f"{config} is under exactly one mount"
    key = os.path.relpath(config, mounts[0]["mountPath"])
    configmap = volume[mounts[0]["name"]]["configMap"]["name"]
    assert configmap == one("ConfigMap")["metadata"]["name"]
    assert key in one("ConfigMap")["data"]
    # The image reads the same path by default, and its entrypoint is supd.
    assert 'ENTRYPOINT ["supd"]' in dockerfile()
    assert re.search(r"^COPY \S+ " + re.escape(config) + "$", dockerfile(), re.M)


def test_supd_and_supctl_are_where_the_image_and_the_unit_expect_them():
    text = dockerfile()
    assert "--prefix /usr/local" in text and "COPY --from=build /out/usr/local/ /usr/local/" in text
    for binary in ("supd", "supctl"):
        assert os.access(os.path.join(BUILD, "bin", binary), os.X_OK), f"{binary} is built"
    # Any exec probe names an installed binary (the HTTP probes need none).
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        if "exec" in container()[probe]:
            assert container()[probe]["exec"]["command"][0] in ("supd", "supctl")


def test_the_grace_period_exceeds_shutdown_timeout():
    timeout = seconds(tomllib.loads(sup_toml())["supervisor"].get("shutdown_timeout", "30s"))
    grace = one("Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > timeout


def test_the_systemd_unit_is_type_notify_and_reloads_with_supctl():
    service = unit()["Service"]
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "main"
    start = service["ExecStart"].split()
    assert start[0] == os.path.join(INSTALLED_BIN, "supd")
    assert start[start.index("-c") + 1] == "/etc/sup/sup.toml"
    assert service["ExecReload"] == os.path.join(INSTALLED_BIN, "supctl") + " reload"
    # Only supd gets SIGTERM; its own shutdown (default 30s) ends before systemd's SIGKILL.
    assert service["KillMode"] == "mixed"
    assert seconds(service["TimeoutStopSec"]) > 30
    assert unit()["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_the_systemd_unit_verifies(tmp_path):
    # The binaries as built here stand in for the installed ones.
    text = open(UNIT).read().replace(INSTALLED_BIN + "/", os.path.join(BUILD, "bin") + "/")
    path = tmp_path / "supd.service"
    path.write_text(text)
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True,
                       timeout=60)
    complaints = [l for l in (r.stdout + r.stderr).splitlines() if "supd.service" in l]
    assert not complaints, complaints


# --- Hardening (SPEC §9.4) ---------------------------------------------------------------

def test_kubernetes_runs_with_a_restrictive_security_context():
    pod = one("Deployment")["spec"]["template"]["spec"]
    c = container()
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert "add" not in sc["capabilities"]
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    # The demo config sets no `user` (that would need a root supd).
    assert "user" not in tomllib.loads(sup_toml()).get("program", {}).get("web", {})
    for program in tomllib.loads(sup_toml())["program"].values():
        assert "user" not in program


def test_kubernetes_gives_supd_every_writable_path_it_needs_as_a_volume():
    """With a read-only root: the socket and logs (XDG dirs of a non-root supd), /dev/shm (the
    status segment) and /tmp are volumes the Deployment declares."""
    pod = one("Deployment")["spec"]["template"]["spec"]
    c = container()
    volumes = {v["name"] for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert all(m["name"] in volumes for m in c["volumeMounts"])
    env = {e["name"]: e["value"] for e in c["env"]}
    for path in (env["XDG_RUNTIME_DIR"], env["XDG_STATE_HOME"], "/dev/shm", "/tmp"):
        assert path in mounts and not mounts[path].get("readOnly"), path
    assert mounts["/etc/sup"]["readOnly"] is True


def unit_for_here(tmp_path):
    """The unit with its binaries at the build's paths, so that verify finds them."""
    text = open(UNIT).read().replace(INSTALLED_BIN + "/", os.path.join(BUILD, "bin") + "/")
    path = tmp_path / "supd.service"
    path.write_text(text)
    return str(path)


def test_systemd_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/setup.sh installs systemd"
    r = subprocess.run([analyze, "verify", unit_for_here(tmp_path)], capture_output=True, text=True, timeout=60)
    ours = [line for line in (r.stdout + r.stderr).splitlines() if "supd.service" in line]
    assert r.returncode == 0 and not ours, r.stdout + r.stderr


def test_systemd_unit_is_rated_ok_by_systemd_analyze_security(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: scripts/setup.sh installs systemd"
    r = subprocess.run([analyze, "security", "--offline=true", "--no-pager", unit_for_here(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for supd\.service: (\d+\.\d+) (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    assert float(m.group(1)) <= 4.0 and m.group(2) == "OK", r.stdout
