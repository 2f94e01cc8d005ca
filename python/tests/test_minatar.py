"""MinAtar's games served as pixels (``fleet_env.minatar``): the adapter's spaces and seeding, and a
short ``fleet train`` on served Breakout. Skipped when the ``minatar`` package is not installed
(``make test`` installs it into .build-python)."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("minatar")

from fleet_env.minatar import MinAtar, make  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def test_breakout_is_uint8_planes_channels_first_with_the_minimal_action_set():
    env = make(game="breakout")
    assert env.observation_space.dtype == np.uint8
    assert env.observation_space.shape == (4, 10, 10)
    assert env.action_space.n == 3
    observation, _ = env.reset(seed=3)
    assert observation.dtype == np.uint8 and observation.shape == (4, 10, 10)
    assert set(np.unique(observation)) <= {0, 1}
    assert env.observation_space.contains(observation)


def test_a_seeded_game_plays_the_same_twice():
    def play(seed):
        env = MinAtar("breakout")
        frames = [env.reset(seed=seed)[0]]
        rewards = []
        for t in range(200):
            observation, reward, terminated, truncated, _ = env.step(t % 3)
            frames.append(observation)
            rewards.append(reward)
            if terminated or truncated:
                frames.append(env.reset()[0])
        return np.stack(frames), rewards
    frames, rewards = play(7)
    again, rewards_again = play(7)
    np.testing.assert_array_equal(frames, again)
    assert rewards == rewards_again
    other, _ = play(8)
    assert other.shape != frames.shape or not np.array_equal(other, frames)


def test_an_unknown_game_is_refused_with_the_games_named():
    with pytest.raises(ValueError, match="breakout"):
        MinAtar("pong")


@pytest.mark.skipif(not os.environ.get("FLEET_BINARY"), reason="FLEET_BINARY names no fleet binary")
def test_fleet_trains_on_served_breakout_pixels():
    with tempfile.TemporaryDirectory(prefix="fleet-minatar-") as directory:
        run = Path(directory) / "run"
        command = [
            os.environ["FLEET_BINARY"], "train", str(REPO / "cluster" / "minatar-breakout-ppo.yaml"),
            "--seed", "1", "--run-dir", str(run),
            "--set", f"env_python={sys.executable}", "--set", "total_timesteps=1024", "--set", "num_steps=64",
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        summary = json.loads((run / "summary.json").read_text())
        assert summary["env"].startswith("fleet_env.minatar:make")
        assert summary["env_steps"] == 1024
        assert summary["episodes"] > 0
        assert len(summary["weights_sha256"]) == 64
