#!/usr/bin/env bash
# What `make demo` shows: a local Fleet cluster (a learner and 2 actor processes over ZeroMQ ipc)
# learning CartPole-v1 with PPO on CleanRL's settings, its learning curve (in the terminal and as an
# SVG), the learned policy played back, then the layers underneath measured against baselines.
set -euo pipefail
cd "$(dirname "$0")/.."
fleet=.build/release/fleet
run=runs/demo-cartpole-ppo-$(date +%s)

echo "== A local cluster learning CartPole-v1: fleet launch cluster/cartpole-ppo.yaml --actors 2"
$fleet launch cluster/cartpole-ppo.yaml --actors 2 --run-dir "$run"
echo
echo "== The learning curve: mean return of the last 100 episodes (from $run/metrics.jsonl)"
python3 - "$run" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1] + "/metrics.jsonl")]
summary = json.load(open(sys.argv[1] + "/summary.json"))
start = rows[0]["wall_time"]
points = [(r["step"], r["wall_time"] - start, r["charts/return_mean100"]) for r in rows if "charts/return_mean100" in r]
for step, seconds, value in points[:: max(1, len(points) // 12)] + points[-1:]:
    print(f"{step:>8} steps {seconds:5.1f} s  {value:6.1f}  " + "#" * int(value / 10))
solved = summary["solved_at_step"]
print(f"solved (mean of 100 >= {summary['reward_threshold']:g}) at step {solved:,} after {summary['solved_wall_seconds']:.1f} s"
      if solved is not None else "not solved")
print(f"{summary['env_steps']:,} steps in {summary['wall_seconds']:.1f} s ({summary['sps']:,.0f} steps/s), "
      f"final mean return {summary['final_return_mean100']:.1f}")
PY
$fleet plot "$run" --metric charts/return_mean100 --x wall --out "$run/learning-curve.svg"
echo "picture: $run/learning-curve.svg"
echo
echo "== The learned policy, played greedily: fleet eval $run"
$fleet eval "$run" --episodes 20
echo
echo "== The layers underneath, each against a baseline measured in the same run (quick, noisy)"
$fleet bench wire transport env tensor --quick
echo
echo "TensorBoard: tensorboard --logdir $run    Live counters of a running cluster: fleet status ipc://DIR"
