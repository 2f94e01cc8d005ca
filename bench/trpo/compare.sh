#!/usr/bin/env bash
# TRPO and REINFORCE next to PPO, in the same run: `fleet train` of each config in cluster/ on
# CartPole-v1 and Pendulum-v1, one after the other, for SEEDS seeds (default 1). Prints each run's
# steps, final mean return of the last 100 episodes (summary.json's final_return_mean100), the
# step it solved at (CartPole: 475) and its wall time. Needs `make release`. About 3 minutes a seed
# on 2 shared cores.
#
#   bench/trpo/compare.sh [--seeds "1 2 3"] [--steps-cartpole N] [--steps-pendulum N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seeds=1 cartpole_steps=500000 pendulum_steps=200000
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --steps-cartpole) cartpole_steps=$2; shift 2 ;;
    --steps-pendulum) pendulum_steps=$2; shift 2 ;;
    *) echo "usage: $0 [--seeds \"1 2 3\"] [--steps-cartpole N] [--steps-pendulum N]" >&2; exit 64 ;;
  esac
done
fleet=$root/.build/release/fleet
[ -x "$fleet" ] || { echo "no $fleet: run make release" >&2; exit 1; }
work=$(mktemp -d /tmp/fleet-trpo-XXXXXX)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT

printf '%-24s %4s %9s %14s %10s %8s\n' config seed steps return_mean100 solved_at wall_s
for seed in $seeds; do
  for config in cartpole-ppo cartpole-trpo cartpole-reinforce pendulum-ppo pendulum-trpo; do
    case $config in cartpole-*) steps=$cartpole_steps ;; *) steps=$pendulum_steps ;; esac
    run=$work/$config-$seed
    start=$(date +%s.%N)
    "$fleet" train "$root/cluster/$config.yaml" --seed "$seed" --run-dir "$run" \
      --set "total_timesteps=$steps" > "$work/$config-$seed.log" 2>&1 \
      || { echo "$config seed $seed failed:" >&2; tail -5 "$work/$config-$seed.log" >&2; exit 1; }
    end=$(date +%s.%N)
    python3 - "$run/summary.json" "$config" "$seed" "$start" "$end" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
mean = summary.get("final_return_mean100")
solved = summary.get("solved_at_step")
print(f"{sys.argv[2]:<24} {sys.argv[3]:>4} {summary.get('env_steps', 0):>9} "
      f"{'-' if mean is None else format(mean, '.2f'):>14} {'-' if solved is None else solved:>10} "
      f"{float(sys.argv[5]) - float(sys.argv[4]):>8.1f}")
PY
  done
done
