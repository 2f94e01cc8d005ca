"""PPO on gymnax's CartPole-v1 with the whole training loop in one jitted JAX function, for
bench/peers/compare.py.

The design is the one PureJaxRL made known (environment, rollout, GAE, minibatch epochs and the
optimizer all inside `jax.lax.scan`s, compiled once by XLA); the code is written here from the
published algorithm, with CleanRL ppo.py's hyperparameters and details:
  4 envs x 128 steps, 500k steps (976 iterations of 512), 4 epochs of 4 shuffled minibatches,
  Adam (eps 1e-5) at lr 2.5e-4 annealed linearly per iteration, global gradient norm clipped to 0.5,
  gamma 0.99, GAE lambda 0.95, advantages normalized per minibatch (unbiased std + 1e-8),
  clip 0.2 on the ratio and on the value, entropy 0.01, value 0.5,
  separate 64-64 tanh actor and critic, orthogonal init (gain sqrt 2, the actor's head 0.01, the
  critic's head 1), biases 0. A time-limit truncation ends an episode as a termination does (no
  bootstrap), as in CleanRL with gym 0.23.

Prints one JSON line at the end: the steps, import seconds (jax and gymnax), trace and compile
seconds (`jit(...).lower(key)` and `.compile()` timed apart), the first run of the compiled function
and a second, steady run (each blocked with `block_until_ready`; the same seed, so the same
result), the mean return of the last 100 finished episodes (of all 4 environments, accumulated
inside the scan), the step at which that mean first reached 475, the process's age at the end of
the first run, the steady run's CPU seconds (all threads: how many cores XLA kept busy), peak RSS,
and what XLA ran on (XLA_FLAGS as found, unset by default: XLA's CPU client then sizes its thread
pool to the cores it sees).
"""

import argparse
import json
import os
import resource
import time
from importlib import metadata

_import_start = time.perf_counter()
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import gymnax  # noqa: E402
IMPORT_SECONDS = time.perf_counter() - _import_start

THRESHOLD = 475.0
WINDOW = 100


def process_age():
    """Seconds since this process started (exec included), from /proc; None where there is none."""
    try:
        start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def dense(key, n_in, n_out, gain):
    return {"w": jax.nn.initializers.orthogonal(gain)(key, (n_in, n_out), jnp.float32),
            "b": jnp.zeros((n_out,), jnp.float32)}


def init_network(key, n_obs, n_actions, hidden=64):
    keys = jax.random.split(key, 6)
    root2 = jnp.sqrt(2.0)
    return {
        "actor": [dense(keys[0], n_obs, hidden, root2), dense(keys[1], hidden, hidden, root2),
                  dense(keys[2], hidden, n_actions, 0.01)],
        "critic": [dense(keys[3], n_obs, hidden, root2), dense(keys[4], hidden, hidden, root2),
                   dense(keys[5], hidden, 1, 1.0)],
    }


def mlp(layers, x):
    for layer in layers[:-1]:
        x = jnp.tanh(x @ layer["w"] + layer["b"])
    return x @ layers[-1]["w"] + layers[-1]["b"]


def policy(params, obs):
    """Logits (..., actions) and values (...)."""
    return mlp(params["actor"], obs), mlp(params["critic"], obs)[..., 0]


def make_train(args):
    env, env_params = gymnax.make(args.env_id)
    n_envs, n_steps = args.num_envs, args.num_steps
    batch = n_envs * n_steps
    minibatch = batch // args.num_minibatches
    iterations = args.total_timesteps // batch
    n_actions = env.action_space(env_params).n
    n_obs = env.observation_space(env_params).shape[0]
    reset = jax.vmap(env.reset, in_axes=(0, None))
    step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def loss_fn(params, mb):
        logits, value = policy(params, mb["obs"])
        log_probs = jax.nn.log_softmax(logits)
        new_logp = jnp.take_along_axis(log_probs, mb["action"][:, None], axis=1)[:, 0]
        entropy = -jnp.sum(jnp.exp(log_probs) * log_probs, axis=-1)
        ratio = jnp.exp(new_logp - mb["logp"])
        adv = mb["adv"]
        if args.norm_adv:
            adv = (adv - adv.mean()) / (adv.std(ddof=1) + 1e-8)
        pg_loss = jnp.maximum(-adv * ratio,
                              -adv * jnp.clip(ratio, 1 - args.clip_coef, 1 + args.clip_coef)).mean()
        v_unclipped = (value - mb["ret"]) ** 2
        v_clipped = mb["value"] + jnp.clip(value - mb["value"], -args.clip_coef, args.clip_coef)
        v_loss = 0.5 * jnp.maximum(v_unclipped, (v_clipped - mb["ret"]) ** 2).mean()
        return pg_loss - args.ent_coef * entropy.mean() + args.vf_coef * v_loss

    grad_fn = jax.grad(loss_fn)

    def adam(params, opt, grads, lr):
        # Global-norm clipping as torch's clip_grad_norm_, then torch's Adam (eps outside the root).
        norm = jnp.sqrt(sum(jnp.sum(g * g) for g in jax.tree.leaves(grads)))
        scale = jnp.minimum(1.0, args.max_grad_norm / (norm + 1e-6))
        grads = jax.tree.map(lambda g: g * scale, grads)
        t = opt["t"] + 1
        m = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, opt["m"], grads)
        v = jax.tree.map(lambda v, g: 0.999 * v + 0.001 * g * g, opt["v"], grads)
        c1, c2 = 1 - 0.9 ** t, 1 - 0.999 ** t
        params = jax.tree.map(lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + 1e-5), params, m, v)
        return params, {"m": m, "v": v, "t": t}

    def record_episodes(stats, done, finished_return, global_step):
        """Puts the returns of the environments that finished this step into the last-100 window."""
        done_i = done.astype(jnp.int32)
        slot = (stats["next"] + jnp.cumsum(done_i) - 1) % WINDOW
        window = stats["window"].at[jnp.where(done, slot, WINDOW)].set(finished_return, mode="drop")
        count = stats["count"] + done_i.sum()
        mean = window.sum() / jnp.maximum(jnp.minimum(count, WINDOW), 1)
        newly_solved = (stats["solved_at"] < 0) & (count >= WINDOW) & (mean >= THRESHOLD) & done.any()
        return {"window": window, "next": (stats["next"] + done_i.sum()) % WINDOW, "count": count,
                "solved_at": jnp.where(newly_solved, global_step, stats["solved_at"])}

    def train(key):
        key, net_key, reset_key = jax.random.split(key, 3)
        params = init_network(net_key, n_obs, n_actions)
        opt = {"m": jax.tree.map(jnp.zeros_like, params), "v": jax.tree.map(jnp.zeros_like, params),
               "t": jnp.zeros((), jnp.int32)}
        obs, env_state = reset(jax.random.split(reset_key, n_envs), env_params)
        stats = {"window": jnp.zeros((WINDOW,), jnp.float32), "next": jnp.zeros((), jnp.int32),
                 "count": jnp.zeros((), jnp.int32), "solved_at": jnp.full((), -1, jnp.int32)}
        running = jnp.zeros((n_envs,), jnp.float32)

        def iteration(carry, i):
            params, opt, env_state, obs, running, stats, key = carry

            def env_step(carry, t):
                env_state, obs, running, stats, key = carry
                key, act_key, step_key = jax.random.split(key, 3)
                logits, value = policy(params, obs)
                action = jax.random.categorical(act_key, logits)
                logp = jnp.take_along_axis(jax.nn.log_softmax(logits), action[:, None], axis=1)[:, 0]
                next_obs, env_state, reward, terminated, truncated, _ = step(
                    jax.random.split(step_key, n_envs), env_state, action, env_params)
                done = terminated | truncated
                running = running + reward
                stats = record_episodes(stats, done, running, (i * n_steps + t + 1) * n_envs)
                running = jnp.where(done, 0.0, running)
                transition = {"obs": obs, "action": action, "logp": logp, "value": value,
                              "reward": reward, "done": done.astype(jnp.float32)}
                return (env_state, next_obs, running, stats, key), transition

            (env_state, obs, running, stats, key), traj = jax.lax.scan(
                env_step, (env_state, obs, running, stats, key), jnp.arange(n_steps))

            # GAE, backwards over the rollout; a finished episode is not bootstrapped.
            _, last_value = policy(params, obs)

            def gae_step(carry, tr):
                gae, next_value = carry
                nonterminal = 1.0 - tr["done"]
                delta = tr["reward"] + args.gamma * next_value * nonterminal - tr["value"]
                gae = delta + args.gamma * args.gae_lambda * nonterminal * gae
                return (gae, tr["value"]), gae

            _, adv = jax.lax.scan(gae_step, (jnp.zeros_like(last_value), last_value), traj, reverse=True)
            data = {"obs": traj["obs"], "action": traj["action"], "logp": traj["logp"],
                    "value": traj["value"], "adv": adv, "ret": adv + traj["value"]}
            data = jax.tree.map(lambda x: x.reshape((batch,) + x.shape[2:]), data)
            lr = args.learning_rate * (1.0 - i / iterations) if args.anneal_lr else args.learning_rate

            def epoch(carry, _):
                params, opt, key = carry
                key, perm_key = jax.random.split(key)
                order = jax.random.permutation(perm_key, batch)
                minibatches = jax.tree.map(
                    lambda x: x[order].reshape((args.num_minibatches, minibatch) + x.shape[1:]), data)

                def update(carry, mb):
                    params, opt = carry
                    return adam(params, opt, grad_fn(params, mb), lr), None

                (params, opt), _ = jax.lax.scan(update, (params, opt), minibatches)
                return (params, opt, key), None

            (params, opt, key), _ = jax.lax.scan(epoch, (params, opt, key), None, length=args.update_epochs)
            return (params, opt, env_state, obs, running, stats, key), None

        carry = (params, opt, env_state, obs, running, stats, key)
        (params, _, _, _, _, stats, _), _ = jax.lax.scan(iteration, carry, jnp.arange(iterations))
        filled = jnp.maximum(jnp.minimum(stats["count"], WINDOW), 1)
        return {"params": params, "final_return": stats["window"].sum() / filled,
                "episodes": stats["count"], "solved_at": stats["solved_at"]}

    return train, iterations * batch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--total-timesteps", type=int, default=500_000)
    parser.add_argument("--env-id", default="CartPole-v1")
    args = parser.parse_args()
    args.num_envs, args.num_steps, args.num_minibatches, args.update_epochs = 4, 128, 4, 4
    args.learning_rate, args.anneal_lr, args.gamma, args.gae_lambda = 2.5e-4, True, 0.99, 0.95
    args.norm_adv, args.clip_coef, args.ent_coef, args.vf_coef, args.max_grad_norm = True, 0.2, 0.01, 0.5, 0.5

    train, steps = make_train(args)
    key = jax.random.PRNGKey(args.seed)
    start = time.perf_counter()
    lowered = jax.jit(train).lower(key)
    traced = time.perf_counter()
    compiled = lowered.compile()
    compiled_at = time.perf_counter()
    first = jax.block_until_ready(compiled(key))
    first_done = time.perf_counter()
    first_end_age = process_age()
    first_end_epoch = time.time()
    cpu_before = time.process_time()
    second = jax.block_until_ready(compiled(key))
    steady = time.perf_counter() - first_done
    steady_cpu = time.process_time() - cpu_before
    same = all(bool(jnp.array_equal(a, b)) for a, b in zip(jax.tree.leaves(first), jax.tree.leaves(second)))
    solved_at = int(second["solved_at"])
    print(json.dumps({
        "system": "jax", "steps": steps, "seed": args.seed,
        "import_seconds": IMPORT_SECONDS,
        "trace_seconds": traced - start, "compile_seconds": compiled_at - traced,
        "first_run_seconds": first_done - compiled_at,
        "steady_seconds": steady, "steady_sps": steps / steady, "steady_cpu_seconds": steady_cpu,
        "first_run_end_epoch": first_end_epoch, "first_run_end_process_age": first_end_age,
        "final_return": float(second["final_return"]), "episodes": int(second["episodes"]),
        "solved_at_step": solved_at if solved_at >= 0 else None,
        "runs_identical": same,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "jax": jax.__version__, "jaxlib": metadata.version("jaxlib"), "gymnax": metadata.version("gymnax"),
        "xla_flags": os.environ.get("XLA_FLAGS"),
        "devices": [str(d) for d in jax.devices()], "cpus": len(os.sched_getaffinity(0)),
    }))


if __name__ == "__main__":
    main()
