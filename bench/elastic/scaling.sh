#!/usr/bin/env bash
# An actor joining a running elastic job: `fleet learner` with 2 `fleet actor`s on
# cluster/multihost-cartpole-ppo.yaml (envs_per_actor: 2, so an update takes 2 batches of 2 x 128
# steps from whichever actors sent them), then a third actor joins. Prints the learner's steps/s
# with 2 actors and with 3, measured in the same run from `fleet status`, and checks from
# metrics.jsonl that every update, before and after, trained on 512 steps.
#
#   bench/elastic/scaling.sh [--delay SECONDS] [--window SECONDS]
#
# The environment is Gymnasium's CartPole-v1 served from Python with a sleep of DELAY (default
# 0.005 s) in every step (slow_env.py): a simulator whose steps cost time, so that the actors set the
# pace. On a learner-bound run (Fleet's own CartPole on 2 cores) a third actor adds nothing but
# contention. Needs `make release` and `make deps-python` (.build-python with fleet_env and gymnasium).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
delay=0.005 window=20
while [ $# -gt 0 ]; do
  case "$1" in
    --delay) delay=$2; shift 2 ;;
    --window) window=$2; shift 2 ;;
    *) echo "usage: $0 [--delay SECONDS] [--window SECONDS]" >&2; exit 64 ;;
  esac
done
fleet=$root/.build/release/fleet
python=$root/.build-python/bin/python
work=$(mktemp -d /tmp/fleet-elastic-XXXXXX)
chmod 700 "$work"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

settings=(--set "env_id=slow_env:make" --set "env_kwargs='{\"delay\": $delay}'" --set "env_python=$python"
          --set total_timesteps=50000000 --set learner_timeout=30)
for channel in batches weights control; do settings+=(--set "endpoints.$channel=ipc://$work/$channel"); done
config=$root/cluster/multihost-cartpole-ppo.yaml
export PYTHONPATH=$root/bench/elastic${PYTHONPATH:+:$PYTHONPATH}

"$fleet" learner "$config" --run-dir "$work/run" "${settings[@]}" > "$work/learner.log" 2>&1 & pids+=($!)
actor() { "$fleet" actor "$config" --connect "ipc://$work" --index "$1" "${settings[@]}" > "$work/actor-$1.log" 2>&1 & pids+=($!); }
steps() { "$fleet" status "ipc://$work/control" --compact | "$python" -c 'import json, sys; print(json.load(sys.stdin)["env_steps"])'; }

# Steps trained per second over `window` seconds, after the newest actor has settled (its Python
# worker takes a second or two to start).
rate() {
  sleep 5
  local s0 t0 s1 t1
  s0=$(steps); t0=$(date +%s.%N)
  sleep "$window"
  s1=$(steps); t1=$(date +%s.%N)
  "$python" -c "print(f'{($s1 - $s0) / ($t1 - $t0):.0f}')"
}

actor 0; actor 1
two=$(rate)
actor 2
three=$(rate)
kill -INT "${pids[0]}"; wait "${pids[0]}" || true

"$python" - "$work/run/metrics.jsonl" "$two" "$three" "$delay" <<'PY'
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1])]
steps = [line["step"] for line in lines]
sizes = sorted({b - a for a, b in zip([0] + steps, steps)})
two, three, delay = float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(f"elastic scaling (CartPole-v1 served with {delay} s per step, envs_per_actor 2, 2 batches per update):")
print(f"  2 actors: {two:.0f} steps/s; 3 actors: {three:.0f} steps/s; ratio {three / two:.2f}")
print(f"  {len(steps)} updates, steps per update: {sizes} (the batch stays {512})")
sys.exit(0 if sizes == [512] else 1)
PY
