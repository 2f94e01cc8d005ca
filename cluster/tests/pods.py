"""The manifests' pods as local processes: each pod's volumes are directories (the ConfigMap's file,
the kubelet's Secret layout, an emptyDir, the learner's claim), its init container and its
container run their command lines from the manifests with the pod's paths mapped to those
directories, and the endpoints are on loopback with free ports instead of the Service's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kube import (
    Container,
    SecretVolume,
    built,
    command_line,
    fleet_binary,
    free_ports,
    local_mounts,
    only_container,
    pod_spec,
    run_init,
)


class LocalCluster:
    def __init__(self, root: Path, actor_ids: list[str]):
        self.root = root
        self.docs = built()
        self.processes: list[Container] = []
        config_dir = root / "configmap"
        config_dir.mkdir()
        (config_dir / "config.yaml").write_text(self.docs["ConfigMap/fleet-config"]["data"]["config.yaml"])
        self.config_dir = config_dir
        self.claim = root / "claim"  # the PersistentVolumeClaim: outlives every learner pod
        self.claim.mkdir()
        # The keys, made as cluster/README.md says, and split into the two Secrets.
        keys = root / "keys"
        fleet = str(fleet_binary())
        subprocess.run([fleet, "keygen", "--out", str(keys), "--name", "learner"], check=True, capture_output=True)
        names = [arg for actor in actor_ids for arg in ("--name", actor)]
        subprocess.run(
            [fleet, "keygen", "--out", str(keys), *names, "--authorize", str(keys / "authorized_actors")],
            check=True, capture_output=True,
        )
        self.keys = keys
        self.learner_secret = {name: (keys / name).read_bytes() for name in ("learner.key", "authorized_actors")}
        self.actor_secret = {"learner.pub": (keys / "learner.pub").read_bytes()}
        self.actor_secret.update({f"{a}.key": (keys / f"{a}.key").read_bytes() for a in actor_ids})
        self.batches, self.weights, self.control, self.metrics_port = free_ports(4)
        self.learner_secret_volume: SecretVolume | None = None
        self.pods = 0

    @property
    def endpoint_overrides(self) -> list[str]:
        return [
            "--set", f"endpoints.batches=tcp://127.0.0.1:{self.batches}",
            "--set", f"endpoints.weights=tcp://127.0.0.1:{self.weights}",
            "--set", f"endpoints.control=tcp://127.0.0.1:{self.control}",
        ]

    def _pod(self, name: str, job_key: str, secret: dict[str, bytes], env: dict[str, str]):
        """A new pod of the Job: fresh volumes but the ConfigMap's and the claim, its init
        container run; returns (container spec, mounts, working directory, Secret volume, log).
        A pod that replaces another of the same name sees its volumes at the same local paths
        (in the cluster, the same mount paths), emptied."""
        self.pods += 1
        pod_dir = self.root / name
        if pod_dir.exists():
            shutil.rmtree(pod_dir)
        pod_dir.mkdir()
        job = self.docs[job_key]
        spec = pod_spec(job)
        volumes: dict[str, Path] = {}
        secret_volume = None
        for volume in spec["volumes"]:
            if "configMap" in volume:
                volumes[volume["name"]] = self.config_dir
            elif "persistentVolumeClaim" in volume:
                volumes[volume["name"]] = self.claim
            elif "secret" in volume:
                secret_volume = SecretVolume(pod_dir / volume["name"], secret, volume["secret"]["defaultMode"])
                volumes[volume["name"]] = secret_volume.mount
            elif "emptyDir" in volume:
                path = pod_dir / volume["name"]
                path.mkdir()
                os.chmod(path, 0o777)  # the kubelet's emptyDir
                volumes[volume["name"]] = path
            else:
                raise AssertionError(f"a volume the test does not lay out: {volume}")
        for init in spec.get("initContainers", []):
            run_init(init, local_mounts(spec, init, volumes), env)
        container = only_container(job)
        mounts = local_mounts(spec, container, volumes)
        log = self.root / f"{name}.{self.pods}.log"
        return container, mounts, mounts[container["workingDir"]], secret_volume, log

    def start_learner(self, *extra: str) -> Container:
        container, mounts, workdir, secret_volume, log = self._pod(
            "learner-pod", "Job/fleet-learner", self.learner_secret, {})
        self.learner_secret_volume = secret_volume
        argv = command_line(container, mounts, {}) + self.endpoint_overrides + [
            "--set", f"metrics_port={self.metrics_port}", "--set", "metrics_address=127.0.0.1", *extra,
        ]
        process = Container("learner", argv, workdir, log)
        self.processes.append(process)
        return process

    def start_actor(self, index: int, *extra: str) -> Container:
        env = {"FLEET_ACTOR_INDEX": str(index)}
        container, mounts, workdir, _, log = self._pod(f"actor-{index}-pod", "Job/fleet-actors", self.actor_secret, env)
        argv = command_line(container, mounts, env)
        argv[argv.index("--connect") + 1] = "tcp://127.0.0.1"  # the Service, here the learner's loopback ports
        argv += self.endpoint_overrides + list(extra)
        process = Container(f"actor-{index}", argv, workdir, log)
        self.processes.append(process)
        return process

    def run_dir(self) -> Path:
        """The learner's run directory on the claim, as its command names it."""
        args = only_container(self.docs["Job/fleet-learner"])["args"]
        run_dir = args[args.index("--run-dir") + 1]
        mount = next(m["mountPath"] for m in only_container(self.docs["Job/fleet-learner"])["volumeMounts"]
                     if m["name"] == "runs")
        return self.claim / Path(run_dir).relative_to(mount)

    def close(self) -> None:
        for process in self.processes:
            process.close()
