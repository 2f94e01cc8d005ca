"""Stable-Baselines3 PPO on CartPole-v1 with CleanRL's ppo.py settings, for bench/peers/compare.py.

Prints one `global_step=N, episodic_return=R` line per finished episode (every environment's, as
SB3's Monitor records them) and, at the end, `SPS: N` over the training loop alone, the shape of
CleanRL's output, so that compare.py reads both the same way.
"""

import argparse
import sys
import time

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env


class PrintEpisodes(BaseCallback):
    """Prints each finished episode's return with the global step, as CleanRL does."""

    def _on_step(self) -> bool:
        for info in self.locals["infos"]:
            episode = info.get("episode")
            if episode is not None:
                print(f"global_step={self.num_timesteps}, episodic_return={episode['r']}")
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--total-timesteps", type=int, default=500_000)
    parser.add_argument("--env-id", default="CartPole-v1")
    args = parser.parse_args()

    num_envs, num_steps, num_minibatches = 4, 128, 4
    learning_rate = 2.5e-4
    envs = make_vec_env(args.env_id, n_envs=num_envs, seed=args.seed)
    model = PPO(
        "MlpPolicy",  # 64-64 tanh actor and critic, orthogonal init: CleanRL's network
        envs,
        learning_rate=lambda progress_remaining: progress_remaining * learning_rate,  # annealed
        n_steps=num_steps,
        batch_size=num_envs * num_steps // num_minibatches,
        n_epochs=4,
        gamma=0.99,
        gae_lambda=0.95,
        clip_range=0.2,
        clip_range_vf=0.2,  # CleanRL's clip_vloss with clip_coef
        normalize_advantage=True,
        ent_coef=0.01,
        vf_coef=0.5,
        max_grad_norm=0.5,
        target_kl=None,
        seed=args.seed,
        device="cpu",
        verbose=0,
    )
    start = time.time()
    model.learn(total_timesteps=args.total_timesteps, callback=PrintEpisodes())
    seconds = time.time() - start
    print(f"SPS: {int(model.num_timesteps / seconds)}")
    print(f"torch threads: {torch.get_num_threads()}", file=sys.stderr)


if __name__ == "__main__":
    main()
