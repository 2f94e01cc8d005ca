"""Fleet against the Python peers, same machine, same settings, interleaved, in three parts
(`--only cartpole,updates,grpo`, all by default, in that order).

cartpole: training CartPole-v1. Runs, in rounds (seed = round number, the order rotated every round
so that none always goes first on a warm or cold machine):
  fleet launch  `fleet launch cluster/cartpole-ppo.yaml --actors 2` (a learner and 2 actor processes,
                synchronous: max_policy_lag 0, CleanRL's algorithm exactly)
  fleet launch, max_policy_lag 1   the same, with actors acting during the update (batches at
                most one version old, corrected by their behaviour log-probs)
  fleet train   `fleet train cluster/cartpole-ppo.yaml` (one process, synchronous, CleanRL's algorithm)
  CleanRL       CleanRL's released ppo.py (`python -m cleanrl.ppo`, its defaults are these settings)
  SB3           Stable-Baselines3 PPO with the same settings (sb3_ppo.py)
  JAX           PPO with the whole training loop in one jitted JAX function, PureJaxRL's design, on
                gymnax's CartPole-v1 (jax_ppo.py, in its own venv: --jax-python)

Every one trains PPO for the same steps with CleanRL's hyperparameters (4 envs x 128 steps, 4
minibatches, 4 epochs, lr 2.5e-4 annealed, gamma 0.99, lambda 0.95, clip 0.2 on policy and value,
ent 0.01, vf 0.5, max grad norm 0.5, 64-64 tanh actor and critic). The solve criterion is the same
for all: the mean return of the last 100 finished episodes reaches CartPole-v1's reward threshold
(475). Measured for each run:
  steps/s        as the system reports its training loop (Fleet: summary.json `sps`; CleanRL and
                 SB3: their last `SPS:` line; JAX: its steady state, a second run of the compiled
                 loop, compilation excluded)
  wall           the process's whole life, interpreter start-up and imports included (JAX: process
                 start to the end of its first training run, imports, tracing and compiling
                 included; its process then trains once more to time the steady state, and that
                 whole-process figure is in the JAX table and the JSON)
  time to solve  process start to the moment the criterion is first met (Fleet: the wall_time of
                 the first metrics.jsonl row whose return_mean100 reaches it; CleanRL and SB3:
                 arrival of the episode line that makes it; JAX, whose loop cannot be watched from
                 outside: the step at which the criterion is met inside the scan, placed in the
                 first run's time by proportion, marked ~)
  final return   mean return of the last 100 finished episodes
  peak RSS       the process's (Fleet launch: its largest process's) maximum resident set, from wait4
and, per system, the medians over the rounds, with Fleet's ratio to each peer (peer time / Fleet
time, Fleet steps/s / peer steps/s), then the JAX loop's own times (import, trace, compile, first
and steady run) and every Fleet system's ratio to it. The header gives the CPU model and the BLAS
kernels Fleet ran (summary.json `blas_kernels`).

updates: the PPO update of CleanRL's CartPole agent. Each program times whole updates (4 epochs x 4
minibatches of 128 on a 512-step batch) and prints the median:
  Fleet         `fleet bench-peer ppo-update`: PPOLearner.update, the learner's own code, on a rollout
                of 4 CartPoles, with learner_threads 1 and 2 (BLAS on one thread, as a deterministic
                learner runs); the update also computes the batch's values and GAE
  PyTorch       torch_ppo_update.py: CleanRL ppo.py's minibatch loop, on 1 thread and on torch's default
The table gives each one's time per whole update and per minibatch step, and Fleet's speed-up (the
peer's time over Fleet's at its best thread count), and Fleet at its best against PyTorch at its best.

grpo: GRPO on the tiny GPT-2 shape of the prompt tasks (2 layers, width 64, 4 heads, vocabulary 45,
context 32), 8 prompts of 8 tokens x G 8 responses of at most 8 new tokens. Each program repeats
"sample 64 responses, score them, one GRPO update on them", timing sampling and the update apart, and
prints their medians:
  Fleet         `fleet bench-peer grpo`: ResponseSampler (key/value cache) and GRPOLearner.update
  PyTorch       torch_grpo.py: a hand-written GPT-2 with a preallocated cache and the same GRPO step,
                on 1 thread and on torch's default
  TRL           trl_grpo.py: TRL's GRPOTrainer on transformers' GPT2LMHeadModel, timed with TRL's own
                profiling blocks (generation; the step less its input preparation), 1 thread and default
The table gives sampling and update rates in responses/s (64 / median seconds) and Fleet's speed-up
(Fleet's rate over the peer's), and the speed-ups against each peer at its best thread count.

In every part each system runs `--rounds` times (the order rotated every round) and a figure is the
median of its runs; every ratio is against peers measured in the same invocation. Each part's header
names the date, the CPU, the BLAS kernels Fleet ran and the peers' versions and kernels. Prints
Markdown tables and writes them, with JSON, to `--out`.
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
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=workdir)
    rss = wait(process, command)
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
            "final_return": summary["final_return_mean100"], "peak_rss_mib": rss,
            "blas_kernels": summary.get("blas_kernels")}


def wait(process, command):
    """Waits for the process with wait4; its peak RSS in MiB (Linux: the largest of it and of the
    children it waited for). Raises if it failed."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command} exited with {process.returncode}")
    return usage.ru_maxrss / 1024


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
    rss = wait(process, command)
    return {"steps": steps, "sps": sps, "wall": time.time() - start, "solve": solve,
            "final_return": statistics.fmean(window) if window else None, "peak_rss_mib": rss}


def jax_run(python, seed, steps, workdir):
    """Runs jax_ppo.py, which prints one JSON line at the end."""
    command = [python, str(Path(__file__).with_name("jax_ppo.py")), "--seed", str(seed), "--total-timesteps", str(steps)]
    start = time.time()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=workdir)
    out = process.stdout.read()
    rss = wait(process, command)
    whole = time.time() - start
    report = json.loads(out.strip().splitlines()[-1])
    wall = report["first_run_end_epoch"] - start  # one training: imports, tracing, compiling, the first run
    solve = None
    if report["solved_at_step"] is not None:
        solve = wall - report["first_run_seconds"] * (1 - report["solved_at_step"] / report["steps"])
    return {"steps": report["steps"], "sps": report["steady_sps"], "wall": wall, "solve": solve,
            "final_return": report["final_return"], "peak_rss_mib": rss, "whole_process": whole,
            "jax": report}


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    memory = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return f"{model}, {os.cpu_count()} cores, {memory / 2**20:.0f} GiB, {platform.system()} {platform.release()}"


def versions(python, packages):
    """The packages' versions in that interpreter's environment ("absent" for one not installed)."""
    script = ("import importlib.metadata as m, sys\nfor p in sys.argv[1:]:\n"
              "    try: print(p, m.version(p))\n    except m.PackageNotFoundError: print(p, 'absent')")
    result = subprocess.run([python, "-c", script, *packages], capture_output=True, text=True)
    return result.stdout.split("\n")[:-1] if result.returncode == 0 else [f"{python}: not runnable"]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# The systems, in the order of the table: a short key for --systems, the row's name.
SYSTEMS = [
    ("launch", "fleet launch --actors 2"),
    ("launch-lag1", "fleet launch --actors 2, max_policy_lag 1"),
    ("train", "fleet train"),
    ("cleanrl", "CleanRL ppo.py"),
    ("sb3", "Stable-Baselines3 PPO"),
    ("jax", "JAX PPO, whole loop jitted (gymnax)"),
]


def cartpole(args):
    """The CartPole training tables: every system trained in rounds; (Markdown, JSON)."""
    runners = {
        "launch": lambda seed, dir: fleet_run("launch", ["launch", "--actors", "2"], args.fleet, seed, args.steps, dir),
        "launch-lag1": lambda seed, dir: fleet_run(
            "launch-lag1", ["launch", "--actors", "2", "--set", "max_policy_lag=1"], args.fleet, seed, args.steps, dir),
        "train": lambda seed, dir: fleet_run("train", ["train"], args.fleet, seed, args.steps, dir),
        "cleanrl": lambda seed, dir: python_run(
            [args.python, "-m", "cleanrl.ppo", "--seed", str(seed), "--total-timesteps", str(args.steps), "--cuda", "False"], dir),
        "sb3": lambda seed, dir: python_run(
            [args.python, str(Path(__file__).with_name("sb3_ppo.py")), "--seed", str(seed), "--total-timesteps", str(args.steps)], dir),
        "jax": lambda seed, dir: jax_run(args.jax_python, seed, args.steps, dir),
    }
    chosen = [key.strip() for key in args.systems.split(",") if key.strip()]  # checked by main
    keys = [key for key, _ in SYSTEMS if key in chosen]
    label = dict(SYSTEMS)
    load_before = open("/proc/loadavg").read().split()[:3]
    results = {key: [] for key in keys}
    with tempfile.TemporaryDirectory(prefix="fleet-peers-") as temp:
        for round in range(1, args.rounds + 1):
            order = keys[(round - 1) % len(keys):] + keys[:(round - 1) % len(keys)]
            for key in order:
                workdir = Path(temp) / f"{round}-{key}"
                workdir.mkdir()
                result = runners[key](round, workdir)
                result["seed"] = round
                results[key].append(result)
                approx = "~" if key == "jax" else ""
                solve = f"{approx}{result['solve']:.1f} s" if result["solve"] is not None else "not solved"
                extra = ""
                if key == "jax":
                    j = result["jax"]
                    extra = (f" (import {j['import_seconds']:.1f} s, trace {j['trace_seconds']:.1f} s, compile "
                             f"{j['compile_seconds']:.1f} s, first run {j['first_run_seconds']:.1f} s, steady run "
                             f"{j['steady_seconds']:.2f} s, whole process {result['whole_process']:.1f} s)")
                print(f"round {round} {label[key]}: {result['sps']:.0f} steps/s, wall {result['wall']:.1f} s, "
                      f"solved {solve}, final return {result['final_return']:.1f}, peak RSS "
                      f"{result['peak_rss_mib']:.0f} MiB{extra}", file=sys.stderr, flush=True)
                shutil.rmtree(workdir)
    load_after = open("/proc/loadavg").read().split()[:3]

    summary = {}
    for key in keys:
        runs = results[key]
        summary[key] = {
            "name": label[key],
            "sps": median([r["sps"] for r in runs]), "wall": median([r["wall"] for r in runs]),
            "solve": median([r["solve"] for r in runs]), "solved": sum(r["solve"] is not None for r in runs),
            "final_return": median([r["final_return"] for r in runs]),
            "peak_rss_mib": median([r["peak_rss_mib"] for r in runs]), "runs": runs,
        }
        if key == "jax":
            for field in ["import_seconds", "trace_seconds", "compile_seconds", "first_run_seconds",
                          "steady_seconds", "steady_cpu_seconds"]:
                summary[key][field] = median([r["jax"][field] for r in runs])
            summary[key]["whole_process"] = median([r["whole_process"] for r in runs])
    fleet_keys = [key for key in keys if key in ("launch", "launch-lag1", "train")]
    reference = summary[keys[0]]
    kernels = sorted({r["blas_kernels"] or "not reported" for key in fleet_keys for r in results[key]})
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    header = (f"{date}, {machine()}; Fleet's BLAS kernels: {'; '.join(kernels) if kernels else '- (no Fleet run)'}; "
              f"load average {' '.join(load_before)} before, {' '.join(load_after)} after; "
              f"{args.rounds} rounds of {args.steps:,} steps, medians; ratios are {reference['name']}'s speed-up over each")
    jax_info = None
    if "jax" in keys:
        j = results["jax"][0]["jax"]
        jax_info = (f"JAX: jax {j['jax']}, jaxlib {j['jaxlib']}, gymnax {j['gymnax']}, devices {', '.join(j['devices'])}, "
                    f"{j['cpus']} CPUs visible, XLA_FLAGS {j['xla_flags'] or 'unset (XLA defaults: its CPU thread pool sized to the cores)'}")
        header += "\n" + jax_info
    lines = [header, "",
             "| system | steps/s | Fleet's ratio | wall | Fleet's ratio | time to solve (solved) | Fleet's ratio | final return | peak RSS |",
             "|---|---|---|---|---|---|---|---|---|"]

    def ratio(a, b):
        return f"{a / b:.1f}x" if a and b else "-"

    for key in keys:
        s = summary[key]
        approx = "~" if key == "jax" else ""
        solve = (f"{approx}{s['solve']:.1f} s ({s['solved']}/{args.rounds})" if s["solve"] is not None
                 else f"- (0/{args.rounds})")
        name = f"{s['name']}, steady state" if key == "jax" else s["name"]
        lines.append(f"| {name} | {s['sps']:,.0f} | {ratio(reference['sps'], s['sps'])} | {s['wall']:.1f} s | "
                     f"{ratio(s['wall'], reference['wall'])} | {solve} | {ratio(s['solve'], reference['solve'])} | "
                     f"{s['final_return']:.1f} | {s['peak_rss_mib']:.0f} MiB |")
    if "jax" in keys:
        j = summary["jax"]
        lines += ["", "The JAX loop's times (medians; the wall above is process start to the end of its first run):", "",
                  "| import (jax, gymnax) | trace | compile | first run | steady run | steady run's CPU time | "
                  "wall, one training | whole process (two trainings) |",
                  "|---|---|---|---|---|---|---|---|",
                  f"| {j['import_seconds']:.2f} s | {j['trace_seconds']:.2f} s | {j['compile_seconds']:.2f} s | "
                  f"{j['first_run_seconds']:.2f} s | {j['steady_seconds']:.2f} s ({j['sps']:,.0f} steps/s) | "
                  f"{j['steady_cpu_seconds']:.2f} s | {j['wall']:.1f} s | {j['whole_process']:.1f} s |"]
        if fleet_keys:
            lines += ["", "Fleet against the JAX loop (Fleet steps/s / JAX steady steps/s; JAX wall / Fleet wall):", "",
                      "| Fleet system | steady state | wall, one training | wall, JAX's whole process |",
                      "|---|---|---|---|"]
            for key in fleet_keys:
                f = summary[key]
                lines.append(f"| {f['name']} | {ratio(f['sps'], j['sps'])} | {ratio(j['wall'], f['wall'])} | "
                             f"{ratio(j['whole_process'], f['wall'])} |")
    table = "\n".join(lines)
    data = {"date": date, "machine": machine(), "blas_kernels": kernels, "jax": jax_info,
            "load_before": load_before, "load_after": load_after,
            "rounds": args.rounds, "steps": args.steps,
            "versions": versions(args.python, ["torch", "gym", "gymnasium", "stable-baselines3", "cleanrl", "numpy"]),
            "jax_versions": versions(args.jax_python, ["jax", "jaxlib", "gymnax", "flax", "numpy"]),
            "systems": summary}
    return table, data


# The PPO update and GRPO parts: Fleet's learner code (`fleet bench-peer ppo-update`, `grpo`) against
# PyTorch and TRL doing the same work, each program printing one JSON line of medians.

PEER_THREADS = ["1", "default"]  # torch's intra-op threads: one, and torch's own choice
# (timed repetitions, untimed warm-up ones) per run of each program
PPO_REPETITIONS = {"fleet": (200, 20), "torch": (50, 10)}
GRPO_REPETITIONS = {"fleet": (50, 5), "torch": (30, 5), "trl": (20, 3)}
GRPO_SHAPE = ["--prompts", "8", "--group-size", "8", "--prompt-length", "8", "--max-new-tokens", "8"]


def json_run(command):
    """Runs a program that prints its report as the last line of its output, one JSON object."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited with {result.returncode}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_rounds(rounds, systems, label, progress):
    """Runs every system's command once per round, the order rotated every round; key -> reports."""
    keys = list(systems)
    results = {key: [] for key in keys}
    for round in range(1, rounds + 1):
        for key in keys[(round - 1) % len(keys):] + keys[:(round - 1) % len(keys)]:
            report = json_run(systems[key])
            results[key].append(report)
            print(f"round {round} {label[key]}, {threads_of(report)} thread(s): {progress(report)}", file=sys.stderr, flush=True)
    return results


def threads_of(report):
    """The threads a run worked on: Fleet's PPO learner threads, else torch's or Fleet's BLAS threads."""
    return report.get("learner_threads", report["threads"])


def load_average():
    return open("/proc/loadavg").read().split()[:3]


def ratio(a, b):
    return f"{a / b:.1f}x" if a and b else "-"


def peer_script(name):
    return str(Path(__file__).with_name(name))


def fleet_kernels(runs):
    kernels = sorted({f"{r['blas_kernels']}, {r['threads']} BLAS thread(s)" for r in runs})
    return "; ".join(kernels)


UPDATE_SYSTEMS = [
    ("fleet-1", "Fleet `PPOLearner.update`"),
    ("fleet-2", "Fleet `PPOLearner.update`"),
    ("torch-1", "PyTorch, CleanRL's update loop"),
    ("torch-default", "PyTorch, CleanRL's update loop"),
]


def updates(args):
    """The PPO update table: Fleet's whole update against CleanRL's loop in PyTorch; (Markdown, JSON)."""
    timed, warmup = PPO_REPETITIONS["fleet"]
    systems = {}
    for threads in ("1", "2"):  # learner_threads: the critic's half of each minibatch on a second thread or not
        systems[f"fleet-{threads}"] = [args.fleet, "bench-peer", "ppo-update", "--learner-threads", threads,
                                       "--repetitions", str(timed), "--warmup", str(warmup)]
    timed, warmup = PPO_REPETITIONS["torch"]
    for threads in PEER_THREADS:
        systems[f"torch-{threads}"] = [args.python, peer_script("torch_ppo_update.py"), "--threads", threads,
                                       "--repetitions", str(timed), "--warmup", str(warmup)]
    label = dict(UPDATE_SYSTEMS)
    load_before = load_average()
    results = run_rounds(args.rounds, systems, label,
                         lambda r: f"{r['update_seconds_median'] * 1e3:.2f} ms per update, "
                                   f"{r['minibatch_seconds_median'] * 1e6:.0f} µs per minibatch step")
    load_after = load_average()

    summary = {}
    for key, runs in results.items():
        summary[key] = {"name": label[key], "threads": threads_of(runs[0]),
                        "update_seconds": median([r["update_seconds_median"] for r in runs]),
                        "minibatch_seconds": median([r["minibatch_seconds_median"] for r in runs]), "runs": runs}

    def fastest(prefix):
        return min((key for key in summary if key.startswith(prefix)), key=lambda key: summary[key]["minibatch_seconds"])

    fleet, best = summary[fastest("fleet-")], fastest("torch-")
    torch_run = results[best][0]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    header = (f"{date}, {machine()}; Fleet's BLAS kernels: {fleet_kernels(results['fleet-1'])}, its threads "
              f"the PPO learner's (learner_threads); PyTorch "
              f"{torch_run['torch']} ({torch_run['blas']}); load average {' '.join(load_before)} before, "
              f"{' '.join(load_after)} after; {args.rounds} runs of each program, each the median of "
              f"{PPO_REPETITIONS['fleet'][0]} (Fleet) or {PPO_REPETITIONS['torch'][0]} (PyTorch) whole updates; "
              f"the medians of the runs; Fleet's speed-up is the peer's time over Fleet's at its best thread "
              f"count ({fleet['threads']})")
    lines = [header, "",
             "| system | threads | whole update (4 epochs x 4 minibatches of 128) | per minibatch step | "
             "minibatch steps/s | Fleet's speed-up |",
             "|---|---|---|---|---|---|"]
    for key, s in summary.items():
        lines.append(f"| {s['name']} | {s['threads']} | {s['update_seconds'] * 1e3:.2f} ms | "
                     f"{s['minibatch_seconds'] * 1e6:.0f} µs | {1 / s['minibatch_seconds']:,.0f} | "
                     f"{ratio(s['minibatch_seconds'], fleet['minibatch_seconds'])} |")
    lines += ["", f"Fleet at its best thread count ({fleet['threads']}) against PyTorch at its best ({summary[best]['threads']}): "
                  f"{ratio(summary[best]['minibatch_seconds'], fleet['minibatch_seconds'])} per minibatch update "
                  f"(goal >= 15x). Fleet's update also computes the batch's values and GAE; PyTorch's timing leaves them out."]
    data = {"date": date, "machine": machine(), "load_before": load_before, "load_after": load_after,
            "rounds": args.rounds, "repetitions": PPO_REPETITIONS, "systems": summary}
    return "\n".join(lines), data


GRPO_SYSTEMS = [
    ("fleet", "Fleet `ResponseSampler`, `GRPOLearner.update`"),
    ("torch-1", "PyTorch, hand-written GPT-2 and GRPO step"),
    ("torch-default", "PyTorch, hand-written GPT-2 and GRPO step"),
    ("trl-1", "TRL `GRPOTrainer`, transformers `GPT2LMHeadModel`"),
    ("trl-default", "TRL `GRPOTrainer`, transformers `GPT2LMHeadModel`"),
]


def grpo(args):
    """The GRPO table: sampling and the update against PyTorch and TRL; (Markdown, JSON)."""
    def repetitions(system):
        timed, warmup = GRPO_REPETITIONS[system]
        return ["--repetitions", str(timed), "--warmup", str(warmup)]

    systems = {"fleet": [args.fleet, "bench-peer", "grpo", *GRPO_SHAPE, *repetitions("fleet")]}
    for threads in PEER_THREADS:
        systems[f"torch-{threads}"] = [args.python, peer_script("torch_grpo.py"), "--threads", threads,
                                       *GRPO_SHAPE, *repetitions("torch")]
    for threads in PEER_THREADS:
        systems[f"trl-{threads}"] = [args.python, peer_script("trl_grpo.py"), "--threads", threads,
                                     *GRPO_SHAPE, *repetitions("trl")]
    label = dict(GRPO_SYSTEMS)
    load_before = load_average()
    results = run_rounds(args.rounds, systems, label,
                         lambda r: f"sampling {r['sampling_responses_per_second']:,.0f} responses/s, update "
                                   f"{r['update_responses_per_second']:,.0f} responses/s, mean length "
                                   f"{r['mean_response_length']:.2f}")
    load_after = load_average()

    summary = {}
    for key, runs in results.items():
        summary[key] = {"name": label[key], "threads": runs[0]["threads"]}
        for field in ("sampling_responses_per_second", "sampling_tokens_per_second", "update_responses_per_second",
                      "mean_response_length", "step_responses_per_second"):
            summary[key][field] = median([r.get(field) for r in runs])
        summary[key]["runs"] = runs
    fleet = summary["fleet"]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    torch_run, trl_run = results["torch-1"][0], results["trl-1"][0]
    header = (f"{date}, {machine()}; Fleet's BLAS kernels: {fleet_kernels(results['fleet'])}; PyTorch "
              f"{torch_run['torch']} ({torch_run['blas']}), transformers {trl_run['transformers']}, TRL "
              f"{trl_run['trl_version']}; load average {' '.join(load_before)} before, {' '.join(load_after)} after; "
              f"vocabulary 45, context 32, width 64, 4 heads, 2 layers; 8 prompts of 8 tokens x G 8 = 64 responses "
              f"of at most 8 tokens; {args.rounds} runs of each program, each the median of its repetitions; the "
              f"medians of the runs; Fleet's speed-up is Fleet's responses/s over the peer's")
    lines = [header, "",
             "| system | threads | sampling, responses/s | tokens/s | Fleet's speed-up | update, responses/s | "
             "Fleet's speed-up | mean response length |",
             "|---|---|---|---|---|---|---|---|"]
    for key, s in summary.items():
        lines.append(f"| {s['name']} | {s['threads']} | {s['sampling_responses_per_second']:,.0f} | "
                     f"{s['sampling_tokens_per_second']:,.0f} | "
                     f"{ratio(fleet['sampling_responses_per_second'], s['sampling_responses_per_second'])} | "
                     f"{s['update_responses_per_second']:,.0f} | "
                     f"{ratio(fleet['update_responses_per_second'], s['update_responses_per_second'])} | "
                     f"{s['mean_response_length']:.2f} |")
    lines.append("")
    for peer, name in (("torch", "the hand-written PyTorch GRPO"), ("trl", "TRL")):
        keys = [key for key in summary if key.startswith(peer + "-")]
        best_sampling = max(keys, key=lambda key: summary[key]["sampling_responses_per_second"])
        best_update = max(keys, key=lambda key: summary[key]["update_responses_per_second"])
        lines.append(
            f"Fleet against {name} at its best thread count: sampling "
            f"{ratio(fleet['sampling_responses_per_second'], summary[best_sampling]['sampling_responses_per_second'])} "
            f"({summary[best_sampling]['threads']} thread(s)), update "
            f"{ratio(fleet['update_responses_per_second'], summary[best_update]['update_responses_per_second'])} "
            f"({summary[best_update]['threads']} thread(s)) (goal >= 3x each).")
    trl_steps = ", ".join(f"{summary[key]['step_responses_per_second']:,.0f} responses/s on {summary[key]['threads']} "
                          f"thread(s)" for key in summary if key.startswith("trl-"))
    lines.append(f"TRL's whole trainer step (generation, rewards, advantages, the update, the Trainer's work): {trl_steps}.")
    data = {"date": date, "machine": machine(), "load_before": load_before, "load_after": load_after,
            "rounds": args.rounds, "repetitions": GRPO_REPETITIONS, "shape": GRPO_SHAPE, "systems": summary}
    return "\n".join(lines), data


PARTS = {"cartpole": cartpole, "updates": updates, "grpo": grpo}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts, of: cartpole (training CartPole-v1), updates (the PPO update), "
                             "grpo (GRPO sampling and update) (default: all, in that order)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every system in every part")
    parser.add_argument("--steps", type=int, default=500_000, help="cartpole: training steps")
    parser.add_argument("--fleet", default=str(ROOT / ".build/release/fleet"))
    parser.add_argument("--python", default=sys.executable, help="the peers' interpreter (CleanRL, SB3, PyTorch, TRL)")
    parser.add_argument("--jax-python", default=str(ROOT / ".build-peers/jax-venv/bin/python"),
                        help="the JAX peer's interpreter (jax, gymnax)")
    parser.add_argument("--systems", default=",".join(key for key, _ in SYSTEMS),
                        help="cartpole: comma-separated, of: " + ", ".join(key for key, _ in SYSTEMS) + " (default: all)")
    parser.add_argument("--out", default=str(ROOT / ".build-peers/results"))
    args = parser.parse_args()
    # The runs' working directories are temporary: relative paths are made absolute here.
    for field in ("fleet", "python", "jax_python"):
        if os.sep in getattr(args, field):
            setattr(args, field, os.path.abspath(getattr(args, field)))
    parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if unknown or not parts:
        parser.error(f"unknown parts {unknown}; choose among {', '.join(PARTS)}")
    systems = [key.strip() for key in args.systems.split(",") if key.strip()]
    unknown = [key for key in systems if key not in dict(SYSTEMS)]
    if "cartpole" in parts and (unknown or not systems):
        parser.error(f"unknown systems {unknown}; choose among {', '.join(key for key, _ in SYSTEMS)}")

    tables = []
    data = {"fleet_commit": subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                           capture_output=True, text=True).stdout.strip(),
            "versions": versions(args.python, ["torch", "transformers", "trl", "numpy"])}
    for part, run in PARTS.items():
        if part not in parts:
            continue
        table, data[part] = run(args)
        print(("\n" if tables else "") + table, flush=True)
        tables.append(table)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"peers-{stamp}.md").write_text("\n\n".join(tables) + "\n")
    (out / f"peers-{stamp}.json").write_text(json.dumps(data, indent=2))
    print(f"\nwritten: {out}/peers-{stamp}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
