#!/usr/bin/env bash
# Language PPO with a critic (cluster/addition-ppo.yaml) against GRPO (cluster/addition-grpo.yaml)
# on addition-2, from the same SFT start, in one run: `fleet sft` once (the two configs share their
# sft_* keys and seed), then `fleet train` of each config from that policy for the same number of
# updates (each update 256 responses: GRPO 32 prompts x 8, PPO 256 prompts x 1). Prints held-out
# greedy accuracy (eval/accuracy, eval_prompts held-out prompts) at the start, after the same number
# of updates, and at the same wall time (the shorter run's: the other run's last evaluation by then),
# with each run's wall time. Needs `swift build -c release --product fleet`.
#
#   bench/language-ppo/compare.sh [--updates N] [--eval-every N] [--seed S]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
updates=200 eval_every=10 seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --updates) updates=$2; shift 2 ;;
    --eval-every) eval_every=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "usage: $0 [--updates N] [--eval-every N] [--seed S]" >&2; exit 64 ;;
  esac
done
fleet=$root/.build/release/fleet
[ -x "$fleet" ] || { echo "no $fleet: run swift build -c release --product fleet" >&2; exit 1; }
work=$(mktemp -d /tmp/fleet-language-ppo-XXXXXX)
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT

echo "fleet sft cluster/addition-grpo.yaml --seed $seed ..." >&2
"$fleet" sft "$root/cluster/addition-grpo.yaml" --seed "$seed" --run-dir "$work/sft" > "$work/sft.log" 2>&1 \
  || { echo "sft failed:" >&2; tail -5 "$work/sft.log" >&2; exit 1; }
policy=$work/sft/checkpoints/policy-final.fleet

for algorithm in grpo ppo; do
  echo "fleet train cluster/addition-$algorithm.yaml: $updates updates ..." >&2
  "$fleet" train "$root/cluster/addition-$algorithm.yaml" --seed "$seed" --run-dir "$work/$algorithm" \
    --set "init_checkpoint=$policy" --set "total_training_steps=$updates" --set "eval_every=$eval_every" \
    > "$work/$algorithm.log" 2>&1 \
    || { echo "$algorithm failed:" >&2; tail -5 "$work/$algorithm.log" >&2; exit 1; }
done

python3 - "$work" "$updates" <<'PY'
import json, sys
work, updates = sys.argv[1], int(sys.argv[2])

def run(name):
    summary = json.load(open(f"{work}/{name}/summary.json"))
    lines = [json.loads(l) for l in open(f"{work}/{name}/metrics.jsonl") if l.strip()]
    start = lines[0]["wall_time"]
    # "step" counts responses trained on: 256 an update in both configs.
    evals = [(l["step"] // 256, l["wall_time"] - start, l["eval/accuracy"]) for l in lines if "eval/accuracy" in l]
    return summary, evals

runs = {name: run(name) for name in ("grpo", "ppo")}
wall = {name: evals[-1][1] for name, (_, evals) in runs.items()}
same = min(wall.values())
print(f"addition-2, held-out greedy accuracy, both from the same SFT policy; {updates} updates of 256 responses each")
print(f"{'algorithm':<10} {'start':>7} {'@' + str(updates) + ' upd':>9} {'pass@k':>7} {'wall_s':>8} "
      f"{'@' + format(same, '.0f') + ' s':>9} {'(update)':>9}")
for name, (summary, evals) in runs.items():
    ev = summary.get("eval") or {}
    by_time = [e for e in evals if e[1] <= same + 1e-6][-1]
    print(f"{name:<10} {ev.get('accuracy_start', 0):>7.3f} {ev.get('accuracy_end', 0):>9.3f} {ev.get('pass_at_k') or 0:>7.3f} "
          f"{wall[name]:>8.1f} {by_time[2]:>9.3f} {by_time[0]:>9}")
print(f"wall time of the PPO run / the GRPO run: {wall['ppo'] / wall['grpo']:.2f}")
PY
