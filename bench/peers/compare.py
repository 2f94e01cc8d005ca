"""Fleet against the Python peers on CartPole-v1, same machine, same settings, interleaved.

Runs, in rounds (seed = round number, the order rotated every round so that none always goes first
on a warm or cold machine):
  fleet launch  `fleet launch cluster/cartpole-ppo.yaml --actors 2` (a learner and 2 actor processes,
                synchronous: max_policy_lag 0, CleanRL's algorithm exactly)
  fleet launch, max_policy_lag 1   the same, with actors acting during the update (batches at
                most one version old, corrected by their behaviour log-probs)
  fleet train   `fleet train cluster/cartpole-ppo.yaml` (one process, synchronous, CleanRL's algorithm)
  CleanRL       CleanRL's released ppo.py (`python -m cleanrl.ppo`, its defaults are these settings)
  SB3           Stable-Baselines3 PPO with the same settings (sb3_ppo.py)

Every one trains PPO for the same steps with CleanRL's hyperparameters (4 envs x 128 steps, 4
minibatches, 4 epochs, lr 2.5e-4 annealed, gamma 0.99, lambda 0.95, clip 0.2 on policy and value,
ent 0.01, vf 0.5, max grad norm 0.5, 64-64 tanh actor and critic). The solve criterion is the same
for all: the mean return of the last 100 finished episodes reaches CartPole-v1's reward threshold
(475). Measured for each run:
  steps/s        as the system reports its training loop (Fleet: summary.json `sps`; CleanRL and
                 SB3: their last `SPS:` line)
  wall           the process's whole life, interpreter start-up and imports included
  time to solve  process start to the moment the criterion is first met (Fleet: the wall_time of
                 the first metrics.jsonl row whose return_mean100 reaches it; the peers: arrival of
                 the episode line that makes it)
  final return   mean return of the last 100 finished episodes
and, per system, the medians over the rounds, with Fleet's ratio to each peer (peer time / Fleet
time, Fleet steps/s / peer steps/s). Prints a Markdown table and writes JSON beside it.
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THRESHOLD = 475.0
EPISODE = re.compile(r"global_step=(\d+), episodic_return=\[?([-0-9.e+]+)\]?")
SPS = re.compile(r"^SPS: (\d+)")


def fleet_run(name, args, fleet, seed, steps, workdir):
    run_dir = workdir / f"{name}-{seed}"
    command = [str(fleet), *args, str(ROOT / "cluster/cartpole-ppo.yaml"), "--seed", str(seed),
               "--set", f"total_timesteps={steps}", "--run-dir", str(run_dir)]
    start = time.time()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    wall = time.time() - start
    summary = json.loads((run_dir / "summary.json").read_text())
    solve = None
    with open(run_dir / "metrics.jsonl") as rows:
        for line in rows:
            row = json.loads(line)
            if row.get("charts/return_mean100", -1e9) >= THRESHOLD:
                solve = row["wall_time"] - start
                break
    return {"steps": summary["env_steps"], "sps": summary["sps"], "wall": wall, "solve": solve,
            "final_return": summary["final_return_mean100"]}


def python_run(command, workdir):
    """Runs a peer that prints CleanRL-shaped lines; reads them as they arrive."""
    start = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               cwd=workdir, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    window, solve, sps, steps = deque(maxlen=100), None, None, 0
    for line in process.stdout:
        if match := EPISODE.search(line):
            steps = int(match.group(1))
            window.append(float(match.group(2)))
            if solve is None and len(window) == 100 and statistics.fmean(window) >= THRESHOLD:
                solve = time.time() - start
        elif match := SPS.match(line):
            sps = float(match.group(1))
    if process.wait() != 0:
        raise SystemExit(f"{command} exited with {process.returncode}")
    return {"steps": steps, "sps": sps, "wall": time.time() - start, "solve": solve,
            "final_return": statistics.fmean(window) if window else None}


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    memory = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return f"{model}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB, {platform.system()} {platform.release()}"


def versions(python):
    script = ("import importlib.metadata as m\nfor p in ['torch','gym','gymnasium','stable-baselines3','cleanrl','numpy']:\n"
              "    print(p, m.version(p))")
    return subprocess.run([python, "-c", script], capture_output=True, text=True, check=True).stdout.split("\n")[:-1]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500_000)
    parser.add_argument("--fleet", default=str(ROOT / ".build/release/fleet"))
    parser.add_argument("--python", default=sys.executable, help="the peers' interpreter")
    parser.add_argument("--out", default=str(ROOT / ".build-peers/results"))
    args = parser.parse_args()

    systems = {
        "fleet launch --actors 2": lambda seed, dir: fleet_run("launch", ["launch", "--actors", "2"], args.fleet, seed, args.steps, dir),
        "fleet launch --actors 2, max_policy_lag 1": lambda seed, dir: fleet_run(
            "launch-lag1", ["launch", "--actors", "2", "--set", "max_policy_lag=1"], args.fleet, seed, args.steps, dir),
        "fleet train": lambda seed, dir: fleet_run("train", ["train"], args.fleet, seed, args.steps, dir),
        "CleanRL ppo.py": lambda seed, dir: python_run(
            [args.python, "-m", "cleanrl.ppo", "--seed", str(seed), "--total-timesteps", str(args.steps), "--cuda", "False"], dir),
        "Stable-Baselines3 PPO": lambda seed, dir: python_run(
            [args.python, str(Path(__file__).with_name("sb3_ppo.py")), "--seed", str(seed), "--total-timesteps", str(args.steps)], dir),
    }
    names = list(systems)
    load_before = open("/proc/loadavg").read().split()[:3]
    results = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="fleet-peers-") as temp:
        for round in range(1, args.rounds + 1):
            order = names[round - 1:] + names[:round - 1]
            for name in order:
                workdir = Path(temp) / f"{round}-{names.index(name)}"
                workdir.mkdir()
                result = systems[name](round, workdir)
                result["seed"] = round
                results[name].append(result)
                solve = f"{result['solve']:.1f} s" if result["solve"] is not None else "not solved"
                print(f"round {round} {name}: {result['sps']:.0f} steps/s, wall {result['wall']:.1f} s, "
                      f"solved {solve}, final return {result['final_return']:.1f}", file=sys.stderr, flush=True)
                shutil.rmtree(workdir)
    load_after = open("/proc/loadavg").read().split()[:3]

    summary = {}
    for name in names:
        runs = results[name]
        summary[name] = {
            "sps": median([r["sps"] for r in runs]), "wall": median([r["wall"] for r in runs]),
            "solve": median([r["solve"] for r in runs]), "solved": sum(r["solve"] is not None for r in runs),
            "final_return": median([r["final_return"] for r in runs]), "runs": runs,
        }
    fleet = summary[names[0]]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    header = (f"{date}, {machine()}; load average {' '.join(load_before)} before, {' '.join(load_after)} after; "
              f"{args.rounds} rounds of {args.steps:,} steps, medians; ratios are fleet launch's speed-up over each")
    lines = [header, "",
             "| system | steps/s | Fleet's ratio | wall | Fleet's ratio | time to solve (solved) | Fleet's ratio | final return |",
             "|---|---|---|---|---|---|---|---|"]

    def ratio(a, b):
        return f"{a / b:.1f}x" if a and b else "-"

    for name in names:
        s = summary[name]
        solve = f"{s['solve']:.1f} s ({s['solved']}/{args.rounds})" if s["solve"] is not None else f"- (0/{args.rounds})"
        lines.append(f"| {name} | {s['sps']:,.0f} | {ratio(fleet['sps'], s['sps'])} | {s['wall']:.1f} s | "
                     f"{ratio(s['wall'], fleet['wall'])} | {solve} | {ratio(s['solve'], fleet['solve'])} | "
                     f"{s['final_return']:.1f} |")
    table = "\n".join(lines)
    print(table)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"peers-{stamp}.md").write_text(table + "\n")
    (out / f"peers-{stamp}.json").write_text(json.dumps(
        {"date": date, "machine": machine(), "load_before": load_before, "load_after": load_after,
         "rounds": args.rounds, "steps": args.steps, "versions": versions(args.python),
         "fleet_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip(),
         "systems": summary}, indent=2))
    print(f"\nwritten: {out}/peers-{stamp}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
