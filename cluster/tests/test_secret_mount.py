"""The Secrets as the kubelet mounts them (timestamped directory, `..data`, per-key symlinks, modes
from defaultMode), used by the real `fleet`: the learner and two actors started with the manifests'
command lines (init containers included) train CartPole over CURVE on loopback; then the learner's
Secret is updated the kubelet's way without actor-1 on the allow-list, and the learner cuts it off."""

from __future__ import annotations

import json
import signal
import time

from kube import http_get, metric, wait_for

TOTAL_STEPS = 16384
RUN_STEPS = 50_000_000  # longer than the test runs it


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
    # A run longer than the test: it is stopped with SIGTERM once the revocation has shown. (The
    # shortened stall_timeout fails a stalled run in 30 s rather than 120 s.)
    learner = cluster.start_learner("--set", f"total_timesteps={RUN_STEPS}", "--set", "stall_timeout=30")
    # The readiness probe: the learner answers on /metrics before any actor has joined.
    status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(http_get(cluster.metrics_port, "/metrics")), 30)
    assert status == 200, learner.text()
    assert "fleet_updates_planned" in body
    actors = [cluster.start_actor(i, "--set", "learner_timeout=20") for i in (0, 1)]

    def accepted(actor_id):
        _, body = http_get(cluster.metrics_port, "/metrics")
        return metric(body, "fleet_actor_batches_accepted_total", f'actor="{actor_id}"') or 0

    assert wait_for(lambda: accepted("actor-0") >= 1 and accepted("actor-1") >= 1, 60), learner.text()

    # The Secret without actor-1, written as the kubelet syncs an updated Secret.
    listed = cluster.learner_secret["authorized_actors"].decode().splitlines(keepends=True)
    kept = "".join(line for line in listed if "actor-1" not in line)
    assert kept != "".join(listed)
    revoked_at = time.monotonic()
    cluster.learner_secret_volume.update({**cluster.learner_secret, "authorized_actors": kept.encode()})
    assert wait_for(lambda: "revoked actor-1" in learner.text(), 5), learner.text()
    noticed = time.monotonic() - revoked_at

    # actor-1 keeps trying for its learner_timeout, then exits 5: refused (its handshakes denied);
    # actor-0 trains on.
    status_1 = actors[1].wait(timeout=60)
    gave_up = time.monotonic() - revoked_at
    assert status_1 == 5, actors[1].text()
    assert "allow-list denied this actor's key" in actors[1].text(), actors[1].text()
    actor_1_total, actor_0_then = accepted("actor-1"), accepted("actor-0")
    assert wait_for(lambda: accepted("actor-0") >= actor_0_then + 4, 60), learner.text()
    assert accepted("actor-1") == actor_1_total
    assert learner.process.poll() is None, learner.text()
    actor_0_total = accepted("actor-0")

    learner.kill(signal.SIGTERM)  # as the kubelet stops a container
    assert learner.process.returncode == 130, learner.text()
    summary = json.loads((cluster.run_dir() / "summary.json").read_text())
    assert summary["ended"] == "interrupted" and summary["env_steps"] > 0, summary
    print(
        f"\nK8S secret-mount | revocation noticed {noticed:.2f} s after the ..data swap; actor-1 exited "
        f"{status_1} {gave_up:.1f} s after it, {actor_1_total:.0f} of its batches taken before; actor-0 "
        f"went on ({actor_0_then:.0f} batches taken at the revocation, {actor_0_total:.0f} at the end); the learner stopped by SIGTERM exited 130 "
        f"after {summary['env_steps']} steps; rejected {summary.get('rejected')}"
    )
