#!/usr/bin/env bash
# V-trace and the policy lag: `fleet launch --actors 2` on cluster/cartpole-ppo.yaml (CleanRL's
# settings, 500k steps) with
#   max_policy_lag 4, advantage_estimator vtrace   (APPO, V-trace's lambda 1: the paper's)
#   max_policy_lag 4, advantage_estimator vtrace, vtrace_lambda 0.95   (APPO with GAE's lambda)
#   max_policy_lag 4, advantage_estimator gae      (PPO on the same stale batches, uncorrected)
#   max_policy_lag 1, advantage_estimator gae      (the usual bound)
# for each seed, and prints per run the share of what reached the learner that it trained on
# (summary.json `trained_share` = env_steps / steps_received, and the batches refused as `stale`),
# updates, the mean and largest policy lag of the batches trained on (metrics.jsonl
# `pipeline/policy_lag`, `pipeline/policy_lag_max`), the time and step at which the mean return of the last 100 episodes reached 475
# (`solved_wall_seconds`, `solved_at_step`), the final mean return and the wall time; then the
# medians per setting.
#
#   bench/vtrace/lag.sh [--seeds "1 2 3"] [--timesteps N]
#
# Needs the release build (`swift build -c release`); about 10 s a run on 2 shared cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seeds="1 2 3" timesteps=500000
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --timesteps) timesteps=$2; shift 2 ;;
    *) echo "usage: $0 [--seeds \"1 2 3\"] [--timesteps N]" >&2; exit 64 ;;
  esac
done
fleet=$root/.build/release/fleet
python=$(command -v python3)
work=$(mktemp -d /tmp/fleet-vtrace-lag-XXXXXX)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT

settings=("lag4-vtrace:max_policy_lag=4:advantage_estimator=vtrace"
          "lag4-vtrace095:max_policy_lag=4:advantage_estimator=vtrace:vtrace_lambda=0.95"
          "lag4-gae:max_policy_lag=4:advantage_estimator=gae"
          "lag1-gae:max_policy_lag=1:advantage_estimator=gae")
for seed in $seeds; do
  for setting in "${settings[@]}"; do
    IFS=: read -r -a fields <<< "$setting"
    name=${fields[0]} sets=()
    for field in "${fields[@]:1}"; do sets+=(--set "$field"); done
    "$fleet" launch "$root/cluster/cartpole-ppo.yaml" --actors 2 --seed "$seed" --run-dir "$work/$name-$seed" \
      "${sets[@]}" --set "total_timesteps=$timesteps" > "$work/$name-$seed.log" 2>&1 \
      || { echo "$name seed $seed failed:"; tail -5 "$work/$name-$seed.log"; exit 1; }
  done
done

"$python" - "$work" "$seeds" <<'PY'
import json, os, statistics, sys
work, seeds = sys.argv[1], sys.argv[2].split()
names = ["lag4-vtrace", "lag4-vtrace095", "lag4-gae", "lag1-gae"]
print(f"{'run':<16} {'trained_share':>13} {'stale':>6} {'updates':>7} {'lag':>5} {'max':>3} {'solved_s':>9} {'solved_step':>11} {'return100':>9} {'wall_s':>7}")
rows = {name: [] for name in names}
for name in names:
    for seed in seeds:
        with open(os.path.join(work, f"{name}-{seed}", "summary.json")) as file:
            s = json.load(file)
        lags, largest = [], 0
        with open(os.path.join(work, f"{name}-{seed}", "metrics.jsonl")) as file:
            for line in file:
                metrics = json.loads(line)
                if "pipeline/policy_lag" in metrics:
                    lags.append(metrics["pipeline/policy_lag"])
                    largest = max(largest, metrics.get("pipeline/policy_lag_max", 0))
        row = dict(lag=statistics.mean(lags), largest=int(largest), share=s["trained_share"], stale=s["rejected"].get("stale", 0), updates=s["updates"],
                   solved_s=s["solved_wall_seconds"], solved_step=s["solved_at_step"],
                   ret=s["final_return_mean100"], wall=s["wall_seconds"])
        rows[name].append(row)
        solved_s = f"{row['solved_s']:.2f}" if row["solved_s"] is not None else "-"
        solved_step = f"{row['solved_step']}" if row["solved_step"] is not None else "-"
        print(f"{name + ' s' + seed:<16} {row['share']:>13.3f} {row['stale']:>6} {row['updates']:>7} {row['lag']:>5.2f} {row['largest']:>3} {solved_s:>9} "
              f"{solved_step:>11} {row['ret']:>9.1f} {row['wall']:>7.2f}")
print()
print(f"{'median':<16} {'trained_share':>13} {'stale':>6} {'lag':>5} {'solved':>6} {'solved_s':>9} {'solved_step':>11} {'return100':>9}")
for name in names:
    r = rows[name]
    solved = [x for x in r if x["solved_s"] is not None]
    med = lambda key, xs: statistics.median(x[key] for x in xs) if xs else float("nan")
    print(f"{name:<16} {med('share', r):>13.3f} {med('stale', r):>6.0f} {med('lag', r):>5.2f} {len(solved):>3}/{len(r):<2} {med('solved_s', solved):>9.2f} "
          f"{med('solved_step', solved):>11.0f} {med('ret', r):>9.1f}")
PY
