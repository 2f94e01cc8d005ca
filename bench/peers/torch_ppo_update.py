"""PyTorch's PPO update, as CleanRL's ppo.py runs it on CartPole-v1, timed on this machine.

What is measured: one whole PPO update of CleanRL's CartPole agent on a 512-step batch (4 environments
x 128 steps), that is 4 epochs x 4 minibatches of 128 samples, each minibatch exactly the body of
ppo.py's optimization loop:

  forward the actor (4-64-64-2, tanh) and the critic (4-64-64-1, tanh) on the minibatch,
  Categorical log-probs of the taken actions and entropy,
  ratio = exp(new log-prob - old log-prob); approx_kl and the clip fraction (.item(), as ppo.py does),
  advantages normalized in the minibatch, (A - mean) / (std + 1e-8),
  clipped policy loss (clip 0.2), clipped value loss (0.5 x max of the squared errors),
  loss = pg - 0.01 entropy + 0.5 v_loss, zero_grad, backward,
  clip_grad_norm_(0.5), Adam step (lr 2.5e-4, eps 1e-5).

The agent is ppo.py's (orthogonal init: gain sqrt(2), policy head 0.01, value head 1, biases 0). The
batch is CartPole-shaped and made up (observations in CartPole's usual ranges, random actions, old
log-probs from the initial policy, plausible advantages, returns and values): the work does not
depend on the values. The rollout, GAE and the learning-rate annealing are not timed.

Each timed repetition is one whole update (16 minibatch steps); after `--warmup` untimed updates,
`--repetitions` are timed and their median reported, with the median time per minibatch step (the
update's time / 16). Torch runs on `--threads` intra-op threads (`torch.set_num_threads`), or on its
default when `--threads default`. Prints one JSON line.
"""

import argparse
import json
import statistics
import time

import numpy as np
import torch
from torch import nn
from torch.distributions.categorical import Categorical

import torch_setup

BATCH = 512  # 4 environments x 128 steps
MINIBATCHES = 4
EPOCHS = 4
CLIP = 0.2
ENT_COEF = 0.01
VF_COEF = 0.5
MAX_GRAD_NORM = 0.5


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    """CleanRL ppo.py's agent for CartPole: 4 observations, 2 actions."""

    def __init__(self):
        super().__init__()
        self.critic = nn.Sequential(
            layer_init(nn.Linear(4, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(4, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 2), std=0.01),
        )

    def get_action_and_value(self, x, action=None):
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


def make_batch(agent, generator):
    """A CartPole-shaped batch of 512 steps, flattened as ppo.py's b_* tensors."""
    scale = torch.tensor([2.4, 2.0, 0.21, 2.0])
    obs = (torch.rand(BATCH, 4, generator=generator) * 2 - 1) * scale
    with torch.no_grad():
        actions, logprobs, _, values = agent.get_action_and_value(obs)
    values = values.view(-1)
    advantages = torch.randn(BATCH, generator=generator)
    returns = advantages + values
    return obs, actions.float(), logprobs, advantages, returns, values


def update(agent, optimizer, batch, rng):
    """ppo.py's optimization loop, verbatim but for names: 4 epochs x 4 minibatches."""
    b_obs, b_actions, b_logprobs, b_advantages, b_returns, b_values = batch
    minibatch_size = BATCH // MINIBATCHES
    b_inds = np.arange(BATCH)
    clipfracs = []
    for epoch in range(EPOCHS):
        rng.shuffle(b_inds)
        for start in range(0, BATCH, minibatch_size):
            end = start + minibatch_size
            mb_inds = b_inds[start:end]

            _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb_inds], b_actions.long()[mb_inds])
            logratio = newlogprob - b_logprobs[mb_inds]
            ratio = logratio.exp()

            with torch.no_grad():
                old_approx_kl = (-logratio).mean()
                approx_kl = ((ratio - 1) - logratio).mean()
                clipfracs += [((ratio - 1.0).abs() > CLIP).float().mean().item()]

            mb_advantages = b_advantages[mb_inds]
            mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

            pg_loss1 = -mb_advantages * ratio
            pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - CLIP, 1 + CLIP)
            pg_loss = torch.max(pg_loss1, pg_loss2).mean()

            newvalue = newvalue.view(-1)
            v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
            v_clipped = b_values[mb_inds] + torch.clamp(newvalue - b_values[mb_inds], -CLIP, CLIP)
            v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
            v_loss_max = torch.max(v_loss_unclipped, v_loss_clipped)
            v_loss = 0.5 * v_loss_max.mean()

            entropy_loss = entropy.mean()
            loss = pg_loss - ENT_COEF * entropy_loss + v_loss * VF_COEF

            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), MAX_GRAD_NORM)
            optimizer.step()
    return loss.item(), approx_kl.item(), old_approx_kl.item(), float(np.mean(clipfracs))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="default", help="torch intra-op threads, or 'default'")
    parser.add_argument("--repetitions", type=int, default=50, help="timed whole updates")
    parser.add_argument("--warmup", type=int, default=10, help="untimed whole updates first")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch_setup.set_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    generator = torch.Generator().manual_seed(args.seed)

    agent = Agent()
    optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
    batch = make_batch(agent, generator)

    for _ in range(args.warmup):
        update(agent, optimizer, batch, rng)
    times = []
    for _ in range(args.repetitions):
        start = time.perf_counter()
        last = update(agent, optimizer, batch, rng)
        times.append(time.perf_counter() - start)

    median = statistics.median(times)
    steps = EPOCHS * MINIBATCHES
    print(json.dumps({
        "system": "pytorch",
        **torch_setup.describe(args.threads),
        "batch": BATCH, "minibatch": BATCH // MINIBATCHES, "epochs": EPOCHS, "minibatches": MINIBATCHES,
        "repetitions": args.repetitions, "warmup": args.warmup,
        "update_seconds_median": median,
        "update_seconds_min": min(times),
        "minibatch_seconds_median": median / steps,
        "minibatch_updates_per_second": steps / median,
        "final_loss": last[0],
    }))


if __name__ == "__main__":
    main()
