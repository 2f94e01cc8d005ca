"""The Secrets as the kubelet mounts them (timestamped directory, `..data`, per-key symlinks, modes
from defaultMode), used by the real `fleet`: the learner and two actors started with the manifests'
command lines (init containers included) train CartPole over CURVE on loopback; then the learner's
Secret is updated the kubelet's way without actor-1 on the allow-list, and the learner cuts it off."""

from __future__ import annotations

import json
import time

import pytest

from kube import fleet_supports, http_get, metric, wait_for
from pods import LocalCluster

TOTAL_STEPS = 16384


@pytest.fixture
def cluster(tmp_path):
    why = fleet_supports("--resume-if-present")
    if why:
        pytest.skip(why)
    cluster = LocalCluster(tmp_path, ["actor-0", "actor-1"])
    yield cluster
    cluster.close()


def test_the_kubelets_layout_before_fleet_reads_it(cluster):
    learner = cluster.start_learner("--set", f"total_timesteps={TOTAL_STEPS}")
    mount = cluster.learner_secret_volume.mount
    data = mount / "..data"
    assert data.is_symlink() and data.resolve().name.startswith("..20")
    for name in ("learner.key", "authorized_actors"):
        assert (mount / name).is_symlink() and str((mount / name).readlink()) == f"..data/{name}"
        assert (mount / name).stat().st_mode & 0o777 == 0o440
    # The init container's owner-only copy, in the emptyDir where the config's path points.
    work_keys = cluster.root / "learner-pod" / "work" / "keys"
    assert (work_keys / "learner.key").stat().st_mode & 0o777 == 0o400
    learner.kill()


def test_actors_train_and_a_revocation_synced_by_the_kubelet_cuts_one_off(cluster):
    # stall_timeout shortened so that a stalled run fails the test in 30 s rather than 120 s.
    learner = cluster.start_learner("--set", f"total_timesteps={TOTAL_STEPS}", "--set", "stall_timeout=30")
    # The readiness probe: the learner answers on /metrics before any actor has joined.
    status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(http_get(cluster.metrics_port, "/metrics")), 30)
    assert status == 200, learner.text()
    assert "fleet_updates_planned" in body
    actors = [cluster.start_actor(i, "--set", "learner_timeout=20") for i in (0, 1)]

    def accepted(actor_id):
        status, body = http_get(cluster.metrics_port, "/metrics")
        return metric(body, "fleet_actor_batches_accepted_total", f'actor="{actor_id}"') or 0

    assert wait_for(lambda: accepted("actor-0") >= 1 and accepted("actor-1") >= 1, 60), learner.text()
    _, body = http_get(cluster.metrics_port, "/metrics")
    updates_at_revocation = metric(body, "fleet_updates_total")

    # The Secret without actor-1, written as the kubelet syncs an updated Secret.
    listed = cluster.learner_secret["authorized_actors"].decode().splitlines(keepends=True)
    kept = "".join(line for line in listed if "actor-1" not in line)
    assert kept != "".join(listed)
    revoked_at = time.monotonic()
    cluster.learner_secret_volume.update({**cluster.learner_secret, "authorized_actors": kept.encode()})
    assert wait_for(lambda: "revoked actor-1" in learner.text(), 5), learner.text()
    noticed = time.monotonic() - revoked_at
    accepted_then = accepted("actor-1")

    # actor-1 gives up (refused, or the learner silent for its learner_timeout); actor-0 trains on.
    status_1 = actors[1].wait(timeout=60)
    gave_up = time.monotonic() - revoked_at
    assert status_1 in (4, 5), actors[1].text()
    assert learner.wait(timeout=300) == 0, learner.text()
    assert actors[0].wait(timeout=60) == 0, actors[0].text()
    assert accepted("actor-1") in (0, accepted_then)  # nothing of actor-1's taken after the revocation

    summary = json.loads((cluster.run_dir() / "summary.json").read_text())
    assert summary["env_steps"] == TOTAL_STEPS
    print(
        f"\nK8S secret-mount | revocation noticed {noticed:.2f} s after the ..data swap (at update "
        f"{updates_at_revocation:.0f}); actor-1 exited {status_1} {gave_up:.1f} s after it; run "
        f"{summary['env_steps']} of {TOTAL_STEPS} steps, learner and actor-0 exited 0; "
        f"rejected {summary.get('rejected')}"
    )
