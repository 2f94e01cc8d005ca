"""A slow environment for bench/elastic/scaling.sh: Gymnasium's CartPole-v1 taking `delay` seconds
per step, as a simulator whose steps cost time, so that the actors, not the learner, set the pace."""

import time

import gymnasium


class _Slow(gymnasium.Wrapper):
    def __init__(self, env, delay):
        super().__init__(env)
        self.delay = delay

    def step(self, action):
        time.sleep(self.delay)
        return self.env.step(action)


def make(delay: float = 0.001):
    """CartPole-v1 with `delay` seconds of sleep in every step."""
    return _Slow(gymnasium.make("CartPole-v1"), delay)
