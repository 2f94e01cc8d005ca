#!/usr/bin/env python3
"""V-trace in numpy, straight from the IMPALA paper (Espeholt et al. 2018, arXiv 1802.01561, eq. 1),
written independently of Fleet's Swift (Sources/FleetAlgorithms/VTrace.swift, a backward recursion).

The n-step target of state x_s, summed forward over the rest of its episode in the rollout:

    v_s = V(x_s) + sum_{t=s}^{end} (prod_{i=s}^{t-1} gamma_i c_i) delta_t,
    delta_t = rho_t (r_t + gamma_t V(x_{t+1}) - V(x_t)),
    rho_t = min(rho_bar, pi/mu),  c_i = lambda min(c_bar, pi/mu),

and the policy-gradient advantage rho_s (r_s + gamma_s v_{s+1} - V(x_s)). gamma_t is 0 on a
terminated step. The sum stops at the step that ends the episode or the rollout; there v_{t+1} is
V(x_{t+1}): the final observation's value after a truncation, the bootstrap value after the last step.

    python bench/reference/vtrace.py      prints REFERENCE.md's two vectors
"""
import numpy as np


def vtrace(rewards, values, log_ratios, terminated, truncated, final_values, bootstrap_values,
           gamma, rho_bar=1.0, c_bar=1.0, lam=1.0):
    """Targets and advantages, both [T, N], from [T, N] inputs and bootstrap_values [N] (float64)."""
    rewards, values, log_ratios, final_values = (np.asarray(a, np.float64) for a in (rewards, values, log_ratios, final_values))
    terminated, truncated = np.asarray(terminated, bool), np.asarray(truncated, bool)
    steps, envs = rewards.shape
    ratios = np.exp(log_ratios)
    rho = np.minimum(rho_bar, ratios)
    c = lam * np.minimum(c_bar, ratios)
    discounts = gamma * (1.0 - terminated)
    # V(x_{t+1}): the next row's value, the final observation's after a truncation, the bootstrap after the last row.
    next_values = np.concatenate([values[1:], np.asarray(bootstrap_values, np.float64)[None]], axis=0)
    next_values = np.where(truncated, final_values, next_values)
    deltas = rho * (rewards + discounts * next_values - values)
    ends = terminated | truncated
    ends[-1] = True  # the rollout's end

    targets = np.empty_like(values)
    for n in range(envs):
        for s in range(steps):
            total, weight = 0.0, 1.0
            for t in range(s, steps):
                total += weight * deltas[t, n]
                if ends[t, n]:
                    break
                weight *= discounts[t, n] * c[t, n]
            targets[s, n] = values[s, n] + total
    next_targets = np.where(ends, next_values, np.concatenate([targets[1:], targets[-1:]], axis=0))
    advantages = rho * (rewards + discounts * next_targets - values)
    return targets, advantages


def _column(values):
    return np.asarray(values, np.float64)[:, None]


if __name__ == "__main__":
    three = dict(rewards=_column([1, 0, 2]), values=_column([0.5, 1.0, 1.5]), log_ratios=_column(np.log([1.5, 0.5, 1.0])),
                 terminated=_column([0, 0, 1]), truncated=_column([0, 0, 0]), final_values=_column([0, 0, 0]),
                 bootstrap_values=[3.0], gamma=0.9)
    print("vector 1:", *(np.round(a[:, 0], 6) for a in vtrace(**three)))
    five = dict(rewards=_column([1, 0, -0.5, 1, 2]), values=_column([0.5, 0.4, 0.3, -0.2, 0.6]),
                log_ratios=_column([0.1, -0.3, 0.5, 0, -1.2]), terminated=_column([0, 0, 1, 0, 0]),
                truncated=_column([0] * 5), final_values=_column([0] * 5), bootstrap_values=[0.7], gamma=0.99)
    print("vector 2:", *(np.round(a[:, 0], 7) for a in vtrace(**five)))
    print("lambda 0.95:", *(np.round(a[:, 0], 7) for a in vtrace(**five, lam=0.95)))
    print("rho_bar 2:", *(np.round(a[:, 0], 7) for a in vtrace(**five, rho_bar=2.0)))
