"""The Kubernetes manifests: valid against the API's schemas in strict mode, and consistent with
each other, with the config they carry and with the Dockerfile."""

from __future__ import annotations

import copy
import re

import kubernetes_validate
import pytest
import yaml

from kube import (
    KUBERNETES,
    KUBERNETES_VERSION,
    MULTI_HOST_CONFIG,
    arg_value,
    built,
    config_of,
    documents,
    manifest_files,
    only_container,
    pod_spec,
    set_overrides,
)


def validate(document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("key", sorted(documents()))
def test_every_document_validates_strictly(key):
    validate(documents()[key])
    validate(built()[key])


def test_strict_validation_refuses_what_the_api_server_would():
    job = copy.deepcopy(documents()["Job/fleet-learner"])
    job["spec"]["template"]["spec"]["containers"][0]["probe"] = {}  # no such field
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(job)
    job = copy.deepcopy(documents()["Job/fleet-learner"])
    del job["spec"]["podFailurePolicy"]["rules"][1]["onPodConditions"][0]["status"]
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(job)


def test_the_kustomization_lists_every_manifest():
    on_disk = {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert {path.name for path in manifest_files()} == on_disk
    assert set(documents()) == {
        "ConfigMap/fleet-config",
        "PersistentVolumeClaim/fleet-runs",
        "Service/fleet-learner",
        "Job/fleet-learner",
        "Job/fleet-actors",
    }


def test_the_configmap_is_the_multi_host_config_and_elastic():
    config = config_of(documents()["ConfigMap/fleet-config"])
    assert config == yaml.safe_load(MULTI_HOST_CONFIG.read_text())
    assert config["envs_per_actor"] >= 1 and config["num_envs"] % config["envs_per_actor"] == 0


def test_one_value_scales_the_actors():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    (patch,) = kustomization["patches"]
    (operation,) = yaml.safe_load(patch["patch"])
    assert operation["path"] == "/spec/parallelism"
    for value in (operation["value"], 8, 1):
        scaled = copy.deepcopy(kustomization)
        scaled["patches"][0]["patch"] = patch["patch"].replace(f"value: {operation['value']}", f"value: {value}")
        spec = built(scaled)["Job/fleet-actors"]["spec"]
        assert (spec["completions"], spec["parallelism"]) == (value, value)
    # The config does not name the count: any number of actors fits an elastic run.
    config = config_of(documents()["ConfigMap/fleet-config"])
    assert "envs_per_actor" in config
    assert "num_actors" not in set_overrides(only_container(documents()["Job/fleet-actors"])["args"])


def test_the_service_reaches_the_learner_on_the_configs_ports():
    docs = documents()
    config = config_of(docs["ConfigMap/fleet-config"])
    config_ports = []
    for channel in ("batches", "weights", "control"):
        endpoint = config["endpoints"][channel]
        assert endpoint.startswith("tcp://*:"), endpoint
        config_ports.append(int(endpoint.rsplit(":", 1)[1]))
    service = docs["Service/fleet-learner"]["spec"]
    assert [port["port"] for port in service["ports"]] == config_ports
    learner = only_container(docs["Job/fleet-learner"])
    named = {port["name"]: port["containerPort"] for port in learner["ports"]}
    assert [named[port["targetPort"]] for port in service["ports"]] == config_ports

    selector = service["selector"]
    learner_labels = docs["Job/fleet-learner"]["spec"]["template"]["metadata"]["labels"]
    actor_labels = docs["Job/fleet-actors"]["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= learner_labels.items()
    assert not selector.items() <= actor_labels.items()
    # The actors connect to the Service by name.
    actor_args = only_container(docs["Job/fleet-actors"])["args"]
    assert arg_value(actor_args, "--connect") == f"tcp://{docs['Service/fleet-learner']['metadata']['name']}"


def test_the_probes_ask_the_metrics_endpoint_the_learner_serves():
    learner = only_container(documents()["Job/fleet-learner"])
    overrides = set_overrides(learner["args"])
    port = int(overrides["metrics_port"])
    assert overrides["metrics_address"] == "0.0.0.0"  # the kubelet probes the pod's address
    named = {p["name"]: p["containerPort"] for p in learner["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        get = learner[probe]["httpGet"]
        assert get["path"] == "/metrics"
        assert named.get(get["port"], get["port"]) == port


def test_the_learner_keeps_its_run_on_the_claim_and_resumes():
    docs = documents()
    job = docs["Job/fleet-learner"]
    learner = only_container(job)
    assert learner["command"] == ["fleet"]
    args = learner["args"]
    assert args[:2] == ["learner", "/etc/fleet/config.yaml"]
    assert "--resume-if-present" in args and "--resume" not in args
    run_dir = arg_value(args, "--run-dir")
    volumes = {v["name"]: v for v in pod_spec(job)["volumes"]}
    claim = next(
        m for m in learner["volumeMounts"] if "persistentVolumeClaim" in volumes[m["name"]]
    )
    assert run_dir.startswith(claim["mountPath"].rstrip("/") + "/")
    assert not claim.get("readOnly", False)
    claim_name = volumes[claim["name"]]["persistentVolumeClaim"]["claimName"]
    assert f"PersistentVolumeClaim/{claim_name}" in docs
    assert not any("emptyDir" in volumes[m["name"]] for m in learner["volumeMounts"] if m["mountPath"] == "/runs")


def test_both_read_the_config_where_the_configmap_is_mounted():
    docs = documents()
    for name in ("Job/fleet-learner", "Job/fleet-actors"):
        job = docs[name]
        container = only_container(job)
        volumes = {v["name"]: v for v in pod_spec(job)["volumes"]}
        (mount,) = [
            m for m in container["volumeMounts"]
            if volumes[m["name"]].get("configMap", {}).get("name") == "fleet-config"
        ]
        assert container["args"][1] == f"{mount['mountPath']}/config.yaml", name


def test_job_lifecycle_follows_the_exit_codes():
    docs = documents()
    for name, container, fail_codes, action in (
        ("Job/fleet-learner", "learner", {3, 64}, "FailJob"),
        ("Job/fleet-actors", "actor", {5, 64}, "FailIndex"),
    ):
        job = docs[name]
        spec = job["spec"]
        assert pod_spec(job)["restartPolicy"] == "Never", "podFailurePolicy needs restartPolicy Never"
        assert spec["activeDeadlineSeconds"] > 0
        rules = spec["podFailurePolicy"]["rules"]
        by_code = {}
        for rule in rules:
            codes = rule.get("onExitCodes")
            if codes:
                assert codes["containerName"] == container and codes["operator"] == "In"
                by_code.update({code: rule["action"] for code in codes["values"]})
        assert {code for code, a in by_code.items() if a == action} == fail_codes, name
        # 4 ("learner gone", an actor's) and 1, 130 are retried: no rule settles them.
        assert not {1, 4, 130} & set(by_code), name
        disruption = [r for r in rules if r.get("onPodConditions")]
        assert [r["action"] for r in disruption] == ["Ignore"]
        assert disruption[0]["onPodConditions"] == [{"type": "DisruptionTarget", "status": "True"}]
    assert docs["Job/fleet-learner"]["spec"]["backoffLimit"] >= 1, "a lost learner pod is replaced"
    actors = docs["Job/fleet-actors"]["spec"]
    assert actors["completionMode"] == "Indexed" and actors["backoffLimitPerIndex"] >= 1


def test_each_pod_mounts_its_own_secret_whole_and_copies_its_keys_owner_only():
    docs = documents()
    config = config_of(docs["ConfigMap/fleet-config"])
    curve = config["curve"]
    secrets_used = {}
    for name, role in (("Job/fleet-learner", "learner"), ("Job/fleet-actors", "actor")):
        job = docs[name]
        spec = pod_spec(job)
        volumes = {v["name"]: v for v in spec["volumes"]}
        (secret_volume,) = [v for v in spec["volumes"] if "secret" in v]
        secret = secret_volume["secret"]
        assert "items" not in secret, f"{name}: the Secret is mounted whole"
        assert secret["defaultMode"] == 0o440
        secrets_used[role] = secret["secretName"]
        (init,) = spec["initContainers"]
        container = only_container(job)
        workdir = container["workingDir"]
        # The init container writes the owner-only copies where the config's paths point.
        assert init["command"][:6] == ["install", "-D", "-m", "0400", "-t", f"{workdir}/keys"]
        secret_mount = next(m["mountPath"] for m in init["volumeMounts"] if m["name"] == secret_volume["name"])
        copied = [path.removeprefix(secret_mount + "/") for path in init["command"][6:]]
        work_volume = next(m for m in container["volumeMounts"] if m["mountPath"] == workdir)
        assert "emptyDir" in volumes[work_volume["name"]]
        assert any(m["mountPath"] == workdir for m in init["volumeMounts"])
        if role == "learner":
            assert copied == [curve["learner_secret_key_file"].removeprefix("keys/")]
            # The allow-list is read in place, where the kubelet keeps it in sync.
            assert set_overrides(container["args"])["curve.authorized_actors"] == f"{secret_mount}/authorized_actors"
            assert any(m["mountPath"] == secret_mount for m in container["volumeMounts"])
        else:
            assert copied == [
                curve["learner_public_key_file"].removeprefix("keys/"),
                curve["actor_secret_key_file"].removeprefix("keys/").replace("{actor_id}", "actor-$(FLEET_ACTOR_INDEX)"),
            ]
            assert not any(m["mountPath"] == secret_mount for m in container["volumeMounts"])
            index_env = {e["name"]: e for e in init["env"]}["FLEET_ACTOR_INDEX"]
            assert index_env["valueFrom"]["fieldRef"]["fieldPath"] == (
                "metadata.annotations['batch.kubernetes.io/job-completion-index']"
            )
            assert arg_value(container["args"], "--index") == "$(FLEET_ACTOR_INDEX)"
    assert secrets_used["learner"] != secrets_used["actor"]


def test_pods_run_as_the_images_non_root_user():
    dockerfile = (KUBERNETES / "Dockerfile").read_text()
    (user,) = re.findall(r"^USER (\d+):(\d+)$", dockerfile, re.M)
    workdir = re.findall(r"^WORKDIR (\S+)$", dockerfile, re.M)[-1]
    for name in ("Job/fleet-learner", "Job/fleet-actors"):
        job = documents()[name]
        context = pod_spec(job)["securityContext"]
        assert context["runAsNonRoot"] is True
        assert (str(context["runAsUser"]), str(context["runAsGroup"])) == user
        assert str(context["fsGroup"]) == user[1]
        for container in pod_spec(job)["containers"] + pod_spec(job)["initContainers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["image"].split(":")[0] == "fleet"
        assert only_container(job)["workingDir"] == workdir


def test_the_image_is_pinned():
    dockerfile = (KUBERNETES / "Dockerfile").read_text()
    for image in re.findall(r"^FROM (\S+)", dockerfile, re.M):
        tag = image.split(":", 1)[1]
        assert re.match(r"\d+\.\d+", tag), f"{image}: a version tag, not a moving one"
    installs = re.findall(r"apt-get install[^&]*", dockerfile)
    assert installs
    for install in installs:
        packages = [w for w in install.replace("\\", " ").split() if not w.startswith("-")][2:]
        assert packages and all("=" in p for p in packages), packages
    ignored = (KUBERNETES.parents[1] / ".dockerignore").read_text().split()
    assert {".build", ".git", "runs", "keys"} <= set(ignored)
