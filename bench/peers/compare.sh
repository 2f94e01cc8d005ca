#!/usr/bin/env bash
# Fleet against CleanRL's and Stable-Baselines3's PPO on this machine: one command.
#   bench/peers/compare.sh [--rounds 3] [--steps 500000]
# Installs the peers from PyPI into .build-peers/venv (PyTorch CPU, Gymnasium, Stable-Baselines3,
# CleanRL's released ppo.py and the gym it was written for), builds Fleet in release mode if needed,
# then runs compare.py: every system in turn, round after round, on the same settings.
# Not part of CI: a full run takes about half an hour on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.build-peers/venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import cleanrl, stable_baselines3, torch, gym" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    # CleanRL 1.2.0's ppo.py is written for gym 0.23.1 (numpy < 2, pygame for its CartPole).
    "$venv/bin/pip" install --quiet "torch==2.13.0+cpu" "gym==0.23.1" "numpy<2" pygame \
        "gymnasium==1.4.0" "stable-baselines3==2.9.2" tensorboard
    # CleanRL's metadata pins gym-era versions of everything and Python < 3.11: its ppo.py needs none of that.
    "$venv/bin/pip" install --quiet --no-deps --ignore-requires-python "cleanrl==1.2.0"
fi
[ -x "$root/.build/release/fleet" ] || (cd "$root" && ./scripts/install-deps.sh && swift build -c release --product fleet)
exec "$venv/bin/python" -u "$root/bench/peers/compare.py" --python "$venv/bin/python" "$@"
