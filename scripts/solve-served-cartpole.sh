#!/usr/bin/env bash
# Gymnasium's CartPole-v1, served from Python by fleet_env, trained by `fleet train` with
# cluster/cartpole-ppo.yaml (CleanRL's settings, 500k steps) for seeds 1, 2 and 3. Passes when at
# least 2 of the 3 solve it (mean return of the last 100 episodes >= 475), as the built-in one does.
#
#   scripts/solve-served-cartpole.sh [FLEET_BINARY]     (default .build/release/fleet)
#
# Needs the Python package installed in $FLEET_PYTHON (make solve-served prepares both).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fleet=${1:-$top/.build/release/fleet}
python=${FLEET_PYTHON:-$top/.build-python/bin/python}
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

solved=0
for seed in 1 2 3; do
  "$fleet" train "$top/cluster/cartpole-ppo.yaml" --seed "$seed" --set env_id=gymnasium:CartPole-v1 \
    --set env_python="$python" --run-dir "$runs/seed-$seed" > "$runs/seed-$seed.log" 2>&1 \
    || { cat "$runs/seed-$seed.log"; echo "solve-served: seed $seed failed" >&2; exit 1; }
  line=$(grep -E "^final return" "$runs/seed-$seed.log")
  speed=$(grep -E "steps in .* SPS" "$runs/seed-$seed.log")
  echo "seed $seed: $speed; $line"
  case "$line" in *"not solved"*) ;; *) solved=$((solved + 1)) ;; esac
done
echo "solve-served: gymnasium:CartPole-v1 solved by $solved of 3 seeds"
[ "$solved" -ge 2 ]
