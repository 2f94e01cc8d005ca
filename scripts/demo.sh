#!/usr/bin/env bash
# What `make demo` shows: Fleet learning CartPole-v1 with PPO (CleanRL's settings, the learner and
# an actor connected over ZeroMQ inside one process), the learned policy played back, then the
# layers underneath measured against baselines in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
fleet=.build/release/fleet
run=runs/demo-cartpole-ppo-$(date +%s)

echo "== Training CartPole-v1 with PPO: fleet train cluster/cartpole-ppo.yaml"
$fleet train cluster/cartpole-ppo.yaml --run-dir "$run"
echo
echo "== The learning curve (mean return of the last 100 episodes, from $run/metrics.jsonl)"
python3 - "$run/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
points = [(r["step"], r["charts/return_mean100"]) for r in rows if "charts/return_mean100" in r]
for step, value in points[:: max(1, len(points) // 12)] + points[-1:]:
    print(f"{step:>8} steps  {value:7.1f}  " + "#" * int(value / 10))
PY
echo
echo "== The learned policy, played greedily: fleet eval $run"
$fleet eval "$run" --episodes 20
echo
echo "== The layers underneath, each against a baseline measured in the same run (quick, noisy)"
$fleet bench wire transport env tensor --quick
echo
echo "TensorBoard: tensorboard --logdir $run    A multi-process cluster: $fleet launch cluster/cartpole-ppo.yaml --actors 2"
