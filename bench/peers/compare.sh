#!/usr/bin/env bash
# Fleet against CleanRL's, Stable-Baselines3's and a jitted JAX PPO, PyTorch's PPO update, and a
# hand-written PyTorch GRPO and TRL's GRPOTrainer on this machine: one command.
#   bench/peers/compare.sh [--only cartpole,updates,grpo] [--rounds 3] [--steps 500000]
#                          [--systems launch,train,jax] [--fleet PATH]
# Installs the peers from PyPI into .build-peers/venv (PyTorch CPU, Gymnasium, Stable-Baselines3,
# CleanRL's released ppo.py and the gym it was written for, transformers and TRL) and JAX with gymnax
# into .build-peers/jax-venv (a venv of its own: JAX wants numpy 2, CleanRL's gym numpy < 2; made only
# when the cartpole part runs), builds Fleet in release mode (incremental: the binary must know
# `fleet bench-peer ppo-update` and `grpo`), then runs compare.py: every system in turn, round after
# round, on the same settings. Not part of CI: the cartpole part takes about half an hour on 2 cores,
# the updates and grpo parts a few minutes together.
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
if ! "$venv/bin/python" -c "import transformers, trl, datasets" 2>/dev/null; then
    # TRL's datasets pulls pyarrow, whose newest releases need numpy 2; 25.0.1 is the newest that
    # imports beside CleanRL's numpy < 2.
    "$venv/bin/pip" install --quiet "transformers==5.23.0" "trl==1.16.0" "pyarrow==25.0.1" "numpy<2"
fi
# The parts asked for (all by default); the JAX venv only for the cartpole part.
parts="cartpole,updates,grpo"
previous=""
for arg in "$@"; do
    case "$arg" in --only=*) parts="${arg#--only=}" ;; esac
    [ "$previous" = "--only" ] && parts="$arg"
    previous="$arg"
done
jax_venv="$root/.build-peers/jax-venv"
if [[ ",$parts," == *",cartpole,"* ]] && { [ ! -x "$jax_venv/bin/python" ] || ! "$jax_venv/bin/python" -c "import jax, gymnax" 2>/dev/null; }; then
    python3 -m venv "$jax_venv"
    "$jax_venv/bin/pip" install --quiet --upgrade pip
    # gymnax 1.0.1 imports six (its MNIST loader) without declaring it.
    "$jax_venv/bin/pip" install --quiet "jax==0.10.2" "jaxlib==0.10.2" "gymnax==1.0.1" "flax==0.12.8" \
        "numpy==2.4.6" "six==1.17.0"
fi
# A --fleet binary given is used as it is; otherwise the release build, brought up to date.
fleet_given=0
for arg in "$@"; do case "$arg" in --fleet|--fleet=*) fleet_given=1 ;; esac; done
if [ "$fleet_given" = 0 ]; then
    [ -x "$root/.build/release/fleet" ] || (cd "$root" && ./scripts/install-deps.sh)
    (cd "$root" && swift build -c release --product fleet)
fi
exec "$venv/bin/python" -u "$root/bench/peers/compare.py" --python "$venv/bin/python" --jax-python "$jax_venv/bin/python" "$@"
