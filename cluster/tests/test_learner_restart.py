"""A learner pod lost mid-run, as Kubernetes replaces it: the learner's container command runs with
its run directory on the claim, is killed with SIGKILL after a checkpoint, and a new pod (fresh
volumes but the claim, its init container run again) runs the identical command while the actors
keep running. --resume-if-present continues from the newest checkpoint and the run finishes the
steps of its config."""

from __future__ import annotations

import json
import re
import signal
import time

from kube import http_get, metric, wait_for

TOTAL_STEPS = 20480  # 40 updates of 512 steps


def scrape(cluster):
    status, body = http_get(cluster.metrics_port, "/metrics")
    return body if status == 200 else ""


def test_a_killed_learner_pod_is_replaced_and_resumes_from_the_claim(cluster):
    extra = ("--set", f"total_timesteps={TOTAL_STEPS}", "--set", "checkpoint_every=2", "--set", "stall_timeout=30")
    first = cluster.start_learner(*extra)
    actors = [cluster.start_actor(i) for i in (0, 1)]
    # A first start: no checkpoint on the claim, a new run. Killed between two checkpoints, with
    # versions published past the newest one.
    def between_checkpoints():
        body = scrape(cluster)
        checkpoint = metric(body, "fleet_checkpoint_version") or 0
        return body if checkpoint >= 10 and (metric(body, "fleet_policy_version") or 0) > checkpoint else None

    body = wait_for(between_checkpoints, 120, interval=0.02)
    assert body, first.text()
    steps_at_kill = metric(body, "fleet_env_steps_total")
    version_at_kill = metric(body, "fleet_policy_version")
    first.kill(signal.SIGKILL)
    killed_at = time.monotonic()

    second = cluster.start_learner(*extra)  # the identical command, in a new pod, on the same claim
    assert wait_for(lambda: scrape(cluster), 60), second.text()
    assert second.wait(timeout=300) == 0, second.text()
    for actor in actors:
        assert actor.wait(timeout=60) == 0, actor.text()
    elapsed = time.monotonic() - killed_at

    log = second.text()
    match = re.search(r"resumed from version-(\d+) \((\d+) updates, (\d+) steps\)", log)
    assert match, log
    resumed_from, resumed_updates, resumed_steps = (int(group) for group in match.groups())
    summary = json.loads((cluster.run_dir() / "summary.json").read_text())
    assert summary["env_steps"] == TOTAL_STEPS, summary
    assert summary.get("steps_planned", TOTAL_STEPS) == TOTAL_STEPS
    assert summary.get("steps_short", 0) == 0 and summary.get("complete", True) is True, summary
    # The same two actor processes throughout (they said Hello to each learner): none restarted.
    assert summary["actors"]["restarts"] == 0, summary["actors"]
    assert 0 < resumed_from <= version_at_kill
    print(
        f"\nK8S learner restart | killed at v{version_at_kill:.0f} ({steps_at_kill:.0f} steps scraped); "
        f"resumed from checkpoint v{resumed_from} ({resumed_updates} updates, {resumed_steps} steps): {steps_at_kill - resumed_steps:.0f} steps "
        f"lost; trained {summary['env_steps']} of {TOTAL_STEPS} planned; ended {summary.get('ended')}, "
        f"updates {summary.get('updates')}/{summary.get('updates_planned')}, partial {summary.get('partial_updates')}; "
        f"{elapsed:.1f} s from the kill to the end; the actors ran on (no restarts: {summary['actors'].get('restarts')})"
    )
