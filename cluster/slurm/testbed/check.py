#!/usr/bin/env python3
"""Submits cluster/slurm/fleet-cluster.sbatch, unchanged, to a real Slurm cluster on this machine
(testbed.sh: slurmctld and three slurmds in network namespaces) and checks what a multi-host run
meets: a clean run, scancel (and the same run submitted again), an actor killed, a requeue, two jobs
at once, the learner killed, an actor lost for good (fixed and elastic shapes), a heterogeneous job,
the actors' whole step cancelled, a third actor host added to a running job.

    sudo python3 cluster/slurm/testbed/check.py --fleet .build/release/fleet [--only a,c] [--keep]

Prints one figure line per scenario (`SLURM | ...`) and exits non-zero if any check failed. The test
bed is torn down at the end, whatever happened. Slurm runs without accounting (no sacct): a job's
state and exit code come from `scontrol show job`, kept for MinJobAge after it ends.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
TESTBED = ROOT / "cluster/slurm/testbed/testbed.sh"
TEMPLATE = ROOT / "cluster/slurm/fleet-cluster.sbatch"

# Short CartPole runs (512 steps an update): a clean run of 80 updates, and runs of 800 updates
# (a checkpoint every 10) for the faults, long enough that a kill lands mid-run.
SHORT = 40960
LONG = 409600
COMMON = ["--set", "checkpoint_every=10"]


class CheckFailed(Exception):
    pass


class Bed:
    def __init__(self, fleet: Path, work: Path, testbed_dir: Path):
        self.fleet = fleet
        self.work = work
        self.env = dict(os.environ, TESTBED_DIR=str(testbed_dir), FLEET=str(fleet))
        self.prefix = None

    def testbed(self, *args, check=True, capture=True):
        result = subprocess.run([str(TESTBED), *args], env=self.env, cwd=self.work, text=True,
                                capture_output=capture)
        if check and result.returncode != 0:
            raise CheckFailed(f"testbed.sh {' '.join(args)}: exit {result.returncode}: {result.stderr.strip()}")
        return result

    def up(self, nodes=3):
        result = self.testbed("up", str(nodes))
        print(result.stdout.strip(), flush=True)
        state = (Path(self.env["TESTBED_DIR"]) / "testbed.env").read_text()
        self.prefix = re.search(r"prefix=(\S+)", state).group(1)

    def down(self):
        result = self.testbed("down", check=False)
        print(result.stdout.strip() or result.stderr.strip(), flush=True)

    def slurm(self, *args, check=True):
        return self.testbed("run", *args, check=check).stdout

    def sbatch(self, *args, env=None):
        full = dict(self.env, **(env or {}))
        result = subprocess.run([str(TESTBED), "run", "sbatch", "--parsable", *args], env=full,
                                cwd=self.work, text=True, capture_output=True)
        if result.returncode != 0:
            raise CheckFailed(f"sbatch: {result.stderr.strip()}")
        return result.stdout.strip().split(";")[0]

    def job(self, job_id) -> dict:
        out = self.slurm("scontrol", "show", "job", "-o", job_id, check=False)
        fields = {}
        for token in out.split():
            key, _, value = token.partition("=")
            fields.setdefault(key, value)
        return fields

    def wait_end(self, job_id, timeout=150) -> dict:
        """Waits until the job has ended (and is no longer completing) and returns its fields."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            info = self.job(job_id)
            if info.get("JobState") in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"):
                if "COMPLETING" not in self.slurm("squeue", "-h", "-j", job_id, "-o", "%T", check=False):
                    return info
            time.sleep(1)
        raise CheckFailed(f"job {job_id} still {self.job(job_id).get('JobState')} after {timeout} s")

    def node_processes(self, node, role=None):
        """The fleet processes in node `node`'s namespace: (pid, argv), of `role` (learner, actor) if given."""
        pids = subprocess.run(["ip", "netns", "pids", f"{self.prefix}-n{node}"], text=True,
                              capture_output=True).stdout.split()
        found = []
        for pid in pids:
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if len(argv) < 2 or not os.path.basename(argv[0]).startswith("fleet"):
                continue
            if role is None or argv[1] == role:
                found.append((int(pid), argv))
        return found


def run_dir(bed, job_id) -> Path:
    return bed.work / "runs" / f"slurm-{job_id}"


def steps_now(directory: Path) -> int:
    try:
        lines = (directory / "metrics.jsonl").read_text().strip().splitlines()
        return json.loads(lines[-1])["step"] if lines else 0
    except (OSError, ValueError, KeyError, IndexError):
        return 0


def wait_steps(bed, job_id, steps, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if steps_now(run_dir(bed, job_id)) >= steps:
            return
        state = bed.job(job_id).get("JobState")
        if state not in ("PENDING", "RUNNING", "CONFIGURING"):
            raise CheckFailed(f"job {job_id} {state} before step {steps}")
        time.sleep(0.2)
    raise CheckFailed(f"job {job_id} not at step {steps} after {timeout} s (at {steps_now(run_dir(bed, job_id))})")


def summary(bed, job_id) -> dict:
    path = run_dir(bed, job_id) / "summary.json"
    if not path.exists():
        raise CheckFailed(f"job {job_id}: no {path}")
    return json.loads(path.read_text())


def output(bed, job_id) -> str:
    path = bed.work / f"fleet-{job_id}.out"
    return path.read_text() if path.exists() else ""


def exit_code(info) -> str:
    return info.get("ExitCode", "?")


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_completed(job_id, info):
    """The job ended COMPLETED, exit 0:0."""
    check(info["JobState"] == "COMPLETED" and exit_code(info) == "0:0",
          f"job {job_id}: {info['JobState']} {exit_code(info)}")


def finished_run(bed, job_id, planned):
    """Waits for the job to end, and checks that it COMPLETED (exit 0:0) with `planned` steps
    trained and nothing left running; returns its fields, summary.json and output."""
    info = bed.wait_end(job_id)
    result = summary(bed, job_id)
    check_completed(job_id, info)
    check(result["env_steps"] >= planned, f"job {job_id}: {result['env_steps']} of {planned} steps")
    nothing_left(bed, job_id)
    return info, result, output(bed, job_id)


def nothing_left(bed, job_id, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        left = [p for n in (1, 2, 3) for p in bed.node_processes(n) if f"slurm-{job_id}" in " ".join(p[1])]
        if not left:
            return
        time.sleep(0.5)
    raise CheckFailed(f"job {job_id}: fleet processes left running: {[p[0] for p in left]}")


def resumed_from(text) -> list:
    return re.findall(r"resumed from (version-\d+)", text)


def figure(scenario, outcome, trained, planned, info, resumed="-", note=""):
    share = f"{100 * trained / planned:.1f}%" if planned else "?"
    line = (f"SLURM | {scenario} | {outcome} | steps {trained}/{planned} ({share}) | "
            f"job {info.get('JobState', '?')} exit {exit_code(info)} | resumed from {resumed}")
    print(line + (f" | {note}" if note else ""), flush=True)


def planned_of(result, total):
    return result.get("steps_planned", total)


# --- Scenarios ---------------------------------------------------------------------------------------

def scenario_clean(bed):
    """(a) A clean run: summary.json, exit 0. The learner binds every interface (no FLEET_BIND) and
    the actors connect to its NodeAddr."""
    job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={SHORT}", *COMMON)
    info = bed.wait_end(job)
    result = summary(bed, job)
    check_completed(job, info)
    check(result["env_steps"] >= SHORT, f"job {job}: {result['env_steps']} of {SHORT} steps")
    nothing_left(bed, job)
    figure("a clean run", "finished, summary.json written", result["env_steps"], planned_of(result, SHORT), info)


def scenario_scancel(bed):
    """(b) scancel mid-run: the learner writes its summary, nothing is left running. Then the same
    run submitted again (RUN_DIR of the cancelled job): its keys are reused, the learner resumes
    from the checkpoint written at the stop, and the run finishes."""
    job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON, env={"FLEET_BIND": "eth0"})
    wait_steps(bed, job, LONG // 4)
    bed.slurm("scancel", job)
    info = bed.wait_end(job, timeout=60)
    result = summary(bed, job)
    check(info["JobState"] == "CANCELLED", f"job {job}: {info['JobState']}")
    check(result.get("ended", "interrupted") == "interrupted", f"job {job}: ended {result.get('ended')}")
    nothing_left(bed, job)
    figure("b scancel mid-run", f"stopped cleanly, summary.json written (ended {result.get('ended', '?')})",
           result["env_steps"], planned_of(result, LONG), info)

    same = str(run_dir(bed, job).relative_to(bed.work))
    again = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON,
                       env={"FLEET_BIND": "eth0", "RUN_DIR": same})
    info = bed.wait_end(again)
    result = summary(bed, job)
    text = output(bed, again)
    resumed = resumed_from(text)
    check("CURVE keys for" not in text, f"job {again}: made new keys instead of reusing {same}-keys")
    check(resumed, f"job {again}: the learner did not resume")
    check_completed(again, info)
    check(result["env_steps"] >= LONG, f"job {again}: {result['env_steps']} of {LONG} steps")
    nothing_left(bed, again)
    figure("b' the same RUN_DIR submitted again", "keys reused, resumed, run finished", result["env_steps"],
           planned_of(result, LONG), info, resumed=resumed[-1])


def scenario_actor_kill(bed):
    """(c) kill -9 of an actor's process: the task restarts it, the run completes its steps."""
    job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON, env={"FLEET_BIND": "eth0"})
    wait_steps(bed, job, LONG // 4)
    victims = bed.node_processes(2, "actor")
    check(victims, f"job {job}: no actor process on n2")
    os.kill(victims[0][0], signal.SIGKILL)
    info, result, text = finished_run(bed, job, LONG)
    restarts = re.findall(r"actor-\d+ on n2 exited (\d+); restart", text)
    check(restarts, f"job {job}: no actor restart in the output")
    actors = result.get("actors", {})
    figure("c kill -9 of an actor", f"actor exited {restarts[0]}, restarted in its task; run finished",
           result["env_steps"], planned_of(result, LONG), info,
           note=f"actors started {actors.get('started')}, restarts {actors.get('restarts')}, lost {actors.get('lost', '?')}, "
                f"partial updates {result.get('partial_updates', '?')}")


def scenario_actor_step_cancelled(bed):
    """(i) the actors' whole step cancelled (scancel JOB.STEP): the script starts it again, the run
    completes its steps."""
    job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON, env={"FLEET_BIND": "eth0"})
    wait_steps(bed, job, LONG // 4)
    steps = bed.slurm("squeue", "-h", "-s", "-j", job, "-o", "%i %j").split("\n")
    step = next((line.split()[0] for line in steps if line.endswith(" fleet-actors")), None)
    check(step, f"job {job}: no fleet-actors step in {steps}")
    bed.slurm("scancel", step)
    info, result, text = finished_run(bed, job, LONG)
    again = re.search(r"the actors' step ended \(exit (\d+)\); starting it again", text)
    check(again, f"job {job}: the actors' step was not started again")
    actors = result.get("actors", {})
    figure(f"i scancel of the actors' step {step}", f"step ended {again.group(1)}, started again; run finished",
           result["env_steps"], planned_of(result, LONG), info,
           note=f"actors started {actors.get('started')}, lost {actors.get('lost')}, partial updates {result.get('partial_updates')}")


def scenario_requeue(bed):
    """(d) scontrol requeue: the job starts again, resumes from its checkpoint, appends its output."""
    job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON, env={"FLEET_BIND": "eth0"})
    wait_steps(bed, job, LONG // 4)
    first = output(bed, job)
    bed.slurm("scontrol", "requeue", job)
    # The requeued job goes back to PENDING, then runs again from the top of the script. Slurm holds
    # a requeued job for 120 s (its EligibleTime); the test lets it start at once.
    deadline = time.time() + 60
    while time.time() < deadline and bed.job(job).get("JobState") != "PENDING":
        time.sleep(0.5)
    bed.slurm("scontrol", "update", f"JobId={job}", "StartTime=now")
    info = bed.wait_end(job, timeout=180)
    result = summary(bed, job)
    text = output(bed, job)
    check(text.startswith(first[:200]), f"job {job}: the output file was truncated")
    check(text.count(": start ") >= 2, f"job {job}: one start in the output, not two")
    resumed = resumed_from(text)
    check(resumed, f"job {job}: the learner did not resume")
    check_completed(job, info)
    check(result["env_steps"] >= LONG, f"job {job}: {result['env_steps']} of {LONG} steps")
    nothing_left(bed, job)
    figure("d scontrol requeue", f"requeued {info.get('Restarts', '?')}x, resumed, output appended "
           f"({len(first)} bytes kept, {len(text)} now)", result["env_steps"], planned_of(result, LONG), info,
           resumed=resumed[-1])


def scenario_two_jobs(bed):
    """(e) two jobs at once on the same nodes: per-job ports, both complete."""
    jobs = [bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={SHORT}", *COMMON, env={"FLEET_BIND": "eth0"})
            for _ in range(2)]
    infos = [bed.wait_end(job) for job in jobs]
    for job, info in zip(jobs, infos):
        result = summary(bed, job)
        check_completed(job, info)
        check(result["env_steps"] >= SHORT, f"job {job}: {result['env_steps']} of {SHORT} steps")
        ports = re.search(r"tcp://\S+:(\d+-\d+)", output(bed, job)).group(1)
        nothing_left(bed, job)
        figure(f"e two jobs at once: job {job} on {info.get('NodeList')}", f"finished on ports {ports}",
               result["env_steps"], planned_of(result, SHORT), info)


def scenario_actor_lost(bed):
    """(g) kill -9 of an actor that is not restarted (ACTOR_RESTARTS=0): in the fixed shape
    (envs_per_actor null: every update waits for a batch of each actor) the updates after the loss
    train on half batches and the job says so, exit 3; elastic (the config's envs_per_actor), the
    other actor fills every batch and the run is complete, exit 0."""
    for shape, extra, want in (("fixed", ["--set", "envs_per_actor=null"], "3:0"), ("elastic", [], "0:0")):
        job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON, *extra,
                         env={"FLEET_BIND": "eth0", "ACTOR_RESTARTS": "0"})
        wait_steps(bed, job, LONG // 4)
        victims = bed.node_processes(2, "actor")
        check(victims, f"job {job}: no actor process on n2")
        os.kill(victims[0][0], signal.SIGKILL)
        info = bed.wait_end(job)
        result = summary(bed, job)
        check(exit_code(info) == want, f"job {job} ({shape}): {info['JobState']} {exit_code(info)}, expected {want}")
        nothing_left(bed, job)
        actors = result.get("actors", {})
        figure(f"g kill -9 of an actor, not restarted, {shape} shape",
               f"complete {result.get('complete')}, ended {result.get('ended')}", result["env_steps"],
               planned_of(result, LONG), info,
               note=f"updates {result.get('updates')}/{result.get('updates_planned')}, partial updates "
                    f"{result.get('partial_updates')}, actors lost {actors.get('lost')}, steps short {result.get('steps_short')}")


def scenario_hetjob(bed):
    """(h) a heterogeneous job: the learner's component (1 node) and the actors' (2 nodes)."""
    job = bed.sbatch("--nodes=1", "--cpus-per-task=2", ":", "--nodes=2", "--cpus-per-task=2", str(TEMPLATE),
                     "--set", f"total_timesteps={SHORT}", *COMMON, env={"FLEET_BIND": "eth0"})
    info = bed.wait_end(job, timeout=120)
    result = summary(bed, job)
    check_completed(job, info)
    check(result["env_steps"] >= SHORT, f"job {job}: {result['env_steps']} of {SHORT} steps")
    check("on component 1" in output(bed, job), f"job {job}: not run as a heterogeneous job")
    nothing_left(bed, job)
    figure("h heterogeneous job (learner 1 node : actors 2 nodes)", "finished", result["env_steps"],
           planned_of(result, SHORT), info)


def scenario_join(bed):
    """(j) a third actor host added to a running two-actor job: a second job with JOIN_JOB (elastic
    config). Its actor joins, the batch stays 512 steps an update, and both jobs end with the run.
    The steps/s before and after the join are printed. The environment is CartPole served from
    Python with 3 ms per step (bench/elastic/slow_env.py, when .build-python has fleet_env): a
    simulator whose steps cost time, so that the actors set the pace. Fleet's own CartPole is
    learner-bound here, where the "hosts" share two cores: a third actor would only add contention."""
    python = ROOT / ".build-python/bin/python"
    slow = ["--set", "env_id=slow_env:make", "--set", "env_kwargs='{\"delay\": 0.003}'", "--set", f"env_python={python}"]
    served = python.exists()
    total = 16384 if served else 5 * LONG
    settings = ["--set", f"total_timesteps={total}", *COMMON, *(slow if served else [])]
    env = {"PYTHONPATH": str(ROOT / "bench/elastic")}
    job = bed.sbatch(str(TEMPLATE), *settings, env={"FLEET_BIND": "eth0", **env})
    wait_steps(bed, job, 3072 if served else 20 * 512)
    joiner = bed.sbatch("--nodes=1", str(TEMPLATE), *settings, env={"JOIN_JOB": job, **env})
    deadline, joined_at = time.time() + 60, None
    while time.time() < deadline and joined_at is None:
        if "actor-2 joined" in output(bed, job):
            joined_at = time.time()
        elif bed.job(job).get("JobState") != "RUNNING":
            break
        time.sleep(0.1)
    check(joined_at, f"job {joiner}: its actor did not join job {job}")
    info = bed.wait_end(job)
    joiner_info = bed.wait_end(joiner, timeout=60)
    result = summary(bed, job)
    check_completed(job, info)
    check(exit_code(joiner_info) == "0:0", f"job {joiner}: {joiner_info['JobState']} {exit_code(joiner_info)}")
    check(result["env_steps"] >= total and result.get("partial_updates", 0) == 0,
          f"job {job}: {result['env_steps']} of {total} steps, {result.get('partial_updates')} partial updates")
    nothing_left(bed, job)
    nothing_left(bed, joiner)
    rows = [json.loads(line) for line in (run_dir(bed, job) / "metrics.jsonl").read_text().splitlines()]
    points = [(row["wall_time"], row["step"]) for row in rows if "wall_time" in row]

    def window(start, end):
        inside = [p for p in points if start <= p[0] <= end]
        if len(inside) < 2:
            return None, set()
        sps = (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
        return sps, {b[1] - a[1] for a, b in zip(inside, inside[1:])}

    # After the join, a moment for the new actor's environment worker to start.
    before, before_batches = window(joined_at - 5, joined_at) if served else window(joined_at - 4, joined_at)
    after, after_batches = window(joined_at + 3, joined_at + 9) if served else window(joined_at + 1, joined_at + 5)
    ratio = f"{after / before:.2f}x" if before and after else "?"
    figure(f"j a third actor host added (job {joiner}, JOIN_JOB={job})",
           f"actor-2 joined; steps per update before {sorted(before_batches)}, after {sorted(after_batches)}; "
           f"steps/s before {before or 0:.0f}, after {after or 0:.0f} ({ratio}; "
           f"{'CartPole served with 3 ms a step' if served else 'built-in CartPole, learner-bound'})", result["env_steps"],
           planned_of(result, total), info, note=f"joining job {joiner_info.get('JobState')} exit {exit_code(joiner_info)}")


def scenario_learner_kill(bed):
    """(f) kill -9 of the learner mid-run: the script restarts it with --resume-if-present, the actors
    reconnect, the run finishes its configured steps."""
    job = bed.sbatch(str(TEMPLATE), "--set", f"total_timesteps={LONG}", *COMMON, env={"FLEET_BIND": "eth0"})
    wait_steps(bed, job, LONG // 3)
    victims = bed.node_processes(1, "learner")
    check(victims, f"job {job}: no learner process on n1")
    at_kill = steps_now(run_dir(bed, job))
    checkpoints = sorted(p.name for p in (run_dir(bed, job) / "checkpoints").glob("version-*") if "." not in p.name)
    os.kill(victims[0][0], signal.SIGKILL)
    info = bed.wait_end(job)
    result = summary(bed, job)
    text = output(bed, job)
    check(re.search(r"the learner exited 137; restart 1", text), f"job {job}: no learner restart after exit 137")
    resumed = resumed_from(text)
    check(resumed, f"job {job}: the learner did not resume")
    check_completed(job, info)
    check(result["env_steps"] >= LONG, f"job {job}: {result['env_steps']} of {LONG} steps")
    nothing_left(bed, job)
    resumed_steps = re.search(r"resumed from version-\d+ \(\d+ updates, (\d+) steps\)", text)
    lost = at_kill - int(resumed_steps.group(1)) if resumed_steps else "?"
    figure("f kill -9 of the learner", f"learner exited 137, restarted, resumed (newest checkpoint file at the kill: "
           f"{checkpoints[-1] if checkpoints else 'none'}); run finished", result["env_steps"],
           planned_of(result, LONG), info, resumed=resumed[-1],
           note=f"steps logged at the kill {at_kill}, trained again after it {lost}")


SCENARIOS = {"a": scenario_clean, "b": scenario_scancel, "c": scenario_actor_kill, "d": scenario_requeue,
             "e": scenario_two_jobs, "f": scenario_learner_kill, "g": scenario_actor_lost, "h": scenario_hetjob,
             "i": scenario_actor_step_cancelled, "j": scenario_join}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fleet", default=str(ROOT / ".build/release/fleet"))
    parser.add_argument("--only", default="".join(SCENARIOS), help="scenarios to run, e.g. a,c")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (job outputs, run directories)")
    args = parser.parse_args()
    fleet = Path(args.fleet).resolve()
    if not os.access(fleet, os.X_OK):
        sys.exit(f"check.py: no fleet executable at {fleet} (make release)")

    work = Path(tempfile.mkdtemp(prefix="fleet-slurm-"))
    os.chmod(work, 0o755)
    (work / "cluster").symlink_to(ROOT / "cluster")   # the template's default CONFIG is relative
    bed = Bed(fleet, work, work / "testbed")
    failures = []
    started = time.time()

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        try:
            bed.up(3)
        except CheckFailed as error:
            print(f"check.py: the test bed did not start: {error}", flush=True)
            sys.exit(1)
        for key in args.only.replace(",", ""):
            began = time.time()
            try:
                SCENARIOS[key](bed)
            except CheckFailed as error:
                failures.append(f"{key}: {error}")
                print(f"SLURM | {key} | FAILED: {error}", flush=True)
            print(f"  ({key}: {time.time() - began:.0f} s)", flush=True)
    finally:
        bed.down()
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"slurm checks: {len(args.only.replace(',', '')) - len(failures)} passed, {len(failures)} failed "
          f"in {time.time() - started:.0f} s")
    for failure in failures:
        print(f"  {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
