#!/usr/bin/env bash
# Fleet against CleanRL's, Stable-Baselines3's and a jitted JAX PPO on this machine: one command.
#   bench/peers/compare.sh [--rounds 3] [--steps 500000] [--systems launch,train,jax] [--fleet PATH]
# Installs the peers from PyPI into .build-peers/venv (PyTorch CPU, Gymnasium, Stable-Baselines3,
# CleanRL's released ppo.py and the gym it was written for) and JAX with gymnax into
# .build-peers/jax-venv (a venv of its own: JAX wants numpy 2, CleanRL's gym numpy < 2), builds Fleet
# in release mode if needed, then runs compare.py: every system in turn, round after round, on the
# same settings. Not part of CI: a full run takes about half an hour on 2 cores.
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
jax_venv="$root/.build-peers/jax-venv"
if [ ! -x "$jax_venv/bin/python" ] || ! "$jax_venv/bin/python" -c "import jax, gymnax" 2>/dev/null; then
    python3 -m venv "$jax_venv"
    "$jax_venv/bin/pip" install --quiet --upgrade pip
    # gymnax 1.0.1 imports six (its MNIST loader) without declaring it.
    "$jax_venv/bin/pip" install --quiet "jax==0.10.2" "jaxlib==0.10.2" "gymnax==1.0.1" "flax==0.12.8" \
        "numpy==2.4.6" "six==1.17.0"
fi
# A --fleet binary given is used as it is; otherwise the release build, built if missing.
fleet_given=0
for arg in "$@"; do case "$arg" in --fleet|--fleet=*) fleet_given=1 ;; esac; done
[ "$fleet_given" = 1 ] || [ -x "$root/.build/release/fleet" ] || (cd "$root" && ./scripts/install-deps.sh && swift build -c release --product fleet)
exec "$venv/bin/python" -u "$root/bench/peers/compare.py" --python "$venv/bin/python" --jax-python "$jax_venv/bin/python" "$@"
