"""What the cluster tests need of Kubernetes, done on one machine: the manifests read as the API
server receives them (kustomization.yaml applied), the kubelet's layout of a Secret volume and its
atomic update, and a container's command line run as a real process with the pod's paths mapped
to local directories."""

from __future__ import annotations

import copy
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import yaml

TOP = Path(__file__).resolve().parents[2]
KUBERNETES = TOP / "cluster" / "kubernetes"
MULTI_HOST_CONFIG = TOP / "cluster" / "multihost-cartpole-ppo.yaml"
# The oldest Kubernetes the manifests are written for: elastic Indexed Jobs (changing completions
# and parallelism of a running Job) are generally available from 1.31.
KUBERNETES_VERSION = "1.31"


def fleet_binary() -> Path:
    """The `fleet` executable under test: FLEET_BINARY, else the checkout's debug build."""
    return Path(os.environ.get("FLEET_BINARY", TOP / ".build" / "debug" / "fleet"))


# MARK: - Manifests


def manifest_files() -> list[Path]:
    """The manifests kustomization.yaml lists, in its order."""
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    return [KUBERNETES / name for name in kustomization["resources"]]


def documents() -> dict[str, dict]:
    """Every document of every manifest as written, by "Kind/name"."""
    found: dict[str, dict] = {}
    for path in manifest_files():
        for document in yaml.safe_load_all(path.read_text()):
            key = f"{document['kind']}/{document['metadata']['name']}"
            assert key not in found, f"{key} twice"
            found[key] = document
    return found


def _json_pointer_set(document: dict, pointer: str, value) -> None:
    parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.lstrip("/").split("/")]
    node = document
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        assert last in node, f"replace of a missing field {pointer}"
        node[last] = value


def _matches(document: dict, selector: dict) -> bool:
    group, _, version = document["apiVersion"].rpartition("/")
    return (
        selector.get("kind", document["kind"]) == document["kind"]
        and selector.get("name", document["metadata"]["name"]) == document["metadata"]["name"]
        and selector.get("group", group) == group
        and selector.get("version", version) == version
    )


def _field(document: dict, path: str):
    node = document
    for part in path.split("."):
        node = node[part]
    return node


def built(kustomization: dict | None = None) -> dict[str, dict]:
    """The documents as `kubectl apply -k` sends them, for the features kustomization.yaml uses:
    `images` (name, newName, newTag), JSON 6902 `patches` of `replace` operations, then
    `replacements` of one field into others (kustomize runs replacements after patches). Any other
    kustomization field fails here, so that this stays the whole of what is applied. A given
    `kustomization` stands for the file's."""
    if kustomization is None:
        kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    known = {"apiVersion", "kind", "resources", "images", "patches", "replacements"}
    assert set(kustomization) <= known, f"kustomization fields not emulated: {set(kustomization) - known}"
    result = copy.deepcopy(documents())
    images = {image["name"]: image for image in kustomization.get("images", [])}
    for document in result.values():
        spec = document.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            name, _, tag = container["image"].partition(":")
            if name in images:
                container["image"] = f"{images[name].get('newName', name)}:{images[name].get('newTag', tag)}"
    for patch in kustomization.get("patches", []):
        targets = [d for d in result.values() if _matches(d, patch["target"])]
        assert len(targets) == 1, patch["target"]
        for operation in yaml.safe_load(patch["patch"]):
            assert operation["op"] == "replace", operation
            _json_pointer_set(targets[0], operation["path"], operation["value"])
    for replacement in kustomization.get("replacements", []):
        source = replacement["source"]
        sources = [d for d in result.values() if _matches(d, source)]
        assert len(sources) == 1, source
        value = _field(sources[0], source["fieldPath"])
        for target in replacement["targets"]:
            for document in (d for d in result.values() if _matches(d, target["select"])):
                for path in target["fieldPaths"]:
                    _json_pointer_set(document, "/" + path.replace(".", "/"), value)
    return result


def pod_spec(job: dict) -> dict:
    return job["spec"]["template"]["spec"]


def only_container(job: dict) -> dict:
    containers = pod_spec(job)["containers"]
    assert len(containers) == 1
    return containers[0]


def config_of(configmap: dict) -> dict:
    return yaml.safe_load(configmap["data"]["config.yaml"])


def arg_value(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def set_overrides(args: list[str]) -> dict[str, str]:
    """The `--set key=value` pairs of a command line."""
    return dict(args[i + 1].split("=", 1) for i, arg in enumerate(args) if arg == "--set")


# MARK: - The kubelet's Secret volume


class SecretVolume:
    """A Secret volume laid out as the kubelet's atomic writer does: the data in a directory named
    for the time of the write (`..2026_01_31_12_00_00.123456789`), a symlink `..data` to it, and each
    key a symlink `KEY -> ..data/KEY` at the top of the mount; every file of mode `defaultMode`.
    An update writes a new timestamped directory, points a fresh `..data_tmp` link at it and renames
    that over `..data` (one atomic step), adds or removes the top-level links, and removes the old
    directory. The volume's top directory is a world-writable sticky tmpfs directory, as the
    kubelet's is."""

    def __init__(self, mount: Path, data: dict[str, bytes], default_mode: int):
        self.mount, self.default_mode = mount, default_mode
        mount.mkdir(parents=True)
        os.chmod(mount, 0o1777)
        self.update(data)

    def update(self, data: dict[str, bytes]) -> None:
        stamp = time.strftime("..%Y_%m_%d_%H_%M_%S", time.gmtime()) + f".{secrets.randbelow(10**9):09d}"
        directory = self.mount / stamp
        directory.mkdir(mode=0o755)
        os.chmod(directory, 0o755)
        for name, content in data.items():
            path = directory / name
            path.write_bytes(content)
            os.chmod(path, self.default_mode)
        data_link = self.mount / "..data"
        old = os.readlink(data_link) if data_link.is_symlink() else None
        temporary = self.mount / "..data_tmp"
        os.symlink(stamp, temporary)
        os.rename(temporary, data_link)
        for name in data:
            link = self.mount / name
            if not link.is_symlink():
                os.symlink(f"..data/{name}", link)
        for entry in self.mount.iterdir():
            if not entry.name.startswith("..") and entry.name not in data:
                entry.unlink()
        if old:
            shutil.rmtree(self.mount / old)


# MARK: - Containers as processes


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def command_line(container: dict, mounts: dict[str, Path], env: dict[str, str]) -> list[str]:
    """The container's command and args with `$(VAR)` expanded from `env` (as the kubelet does)
    and every path under a mount point moved to its local directory; `fleet` is the binary under test."""
    words = list(container.get("command", [])) + list(container.get("args", []))
    mapped = []
    for word in words:
        for name, value in env.items():
            word = word.replace(f"$({name})", value)
        for pod_path in sorted(mounts, key=len, reverse=True):
            if word == pod_path or word.startswith(pod_path + "/") or f"={pod_path}/" in word:
                word = word.replace(pod_path, str(mounts[pod_path]), 1)
                break
        mapped.append(word)
    if mapped[0] == "fleet":
        mapped[0] = str(fleet_binary())
    return mapped


def local_mounts(pod: dict, container: dict, volumes: dict[str, Path]) -> dict[str, Path]:
    """mountPath -> local directory for the container's volume mounts (volumes by name)."""
    return {mount["mountPath"]: volumes[mount["name"]] for mount in container.get("volumeMounts", [])}


class Container:
    """A container's main process: started with its command line in its working directory, its
    output to a log file."""

    def __init__(self, name: str, argv: list[str], cwd: Path, log: Path):
        self.name, self.argv, self.log = name, argv, log
        self._out = open(log, "ab")
        self.process = subprocess.Popen(argv, cwd=cwd, stdout=self._out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._out.flush()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def close(self) -> None:
        self.kill()
        self._out.close()


def run_init(container: dict, mounts: dict[str, Path], env: dict[str, str]) -> None:
    """An init container: runs to completion, or the test fails with its output."""
    argv = command_line(container, mounts, env)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"init container {container['name']}: {argv}\n{result.stdout}{result.stderr}"


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, str]:
    """What a kubelet's httpGet probe sees: the status code and body (0 when nothing answers)."""
    import http.client

    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except OSError:
        return 0, ""


def metric(text: str, name: str, labels: str = "") -> float | None:
    """A sample's value from Prometheus text (`name{labels} value`)."""
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.split()[-1])
    return None


def wait_for(condition, timeout: float, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()
