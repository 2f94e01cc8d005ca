#!/usr/bin/env bash
# Builds Examples/CustomEnvironment (a Swift package that depends on Fleet by path and defines its
# own environment) and trains that environment with the example's executable, through `train` and
# `launch` as a user would. Fails unless both runs finish and `train` solves Corridor-v0.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
example="$top/Examples/CustomEnvironment"
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
chmod 700 "$runs"

(cd "$example" && swift build)
fleet="$example/.build/debug/corridor-fleet"
"$fleet" train "$example/corridor-ppo.yaml" --run-dir "$runs/train" | tee "$runs/train.log"
grep -q "^final return .*threshold 0.9: step" "$runs/train.log" \
  || { echo "check-examples: Corridor-v0 was not solved" >&2; exit 1; }
"$fleet" launch "$example/corridor-ppo.yaml" --actors 2 --set total_timesteps=8192 --run-dir "$runs/launch" \
  | tee "$runs/launch.log"
grep -q "fleet launch: learner finished" "$runs/launch.log"
echo "check-examples: Corridor-v0 trained by the example's own executable (train solved it; launch with 2 actors finished)"
