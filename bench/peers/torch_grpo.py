"""A hand-written GRPO step in PyTorch on the tiny GPT-2 shape of Fleet's prompt tasks, timed.

The model: GPT-2's layout written out in torch (pre-LayerNorm blocks, fused qkv, causal attention
through F.scaled_dot_product_attention, a 4x GELU-tanh MLP, learned positions, the head tied to the
token embedding, no dropout, GPT-2's initialization): 2 layers, width 64, 4 heads, vocabulary 45
(0 pad, 1 bos, 2 eos, 3-44 symbols), context 32. It is the architecture of Fleet's TransformerLM.

Each repetition does, on 8 prompts (bos + 7 random symbols, the same every repetition):

  sampling (timed)  G 8 responses to each prompt, all 64 rows in one batch: the prompts prefilled
                    into a preallocated key/value cache, then one position per step for at most
                    `--max-new-tokens` tokens at temperature 1 (torch.multinomial on the softmax), each
                    drawn token's log-prob recorded; a row that drew eos is finished and fed eos.
  rewards (untimed) each response's fraction of tokens with an odd id (the same rule as Fleet's
                    `fleet bench-peer grpo` and trl_grpo.py).
  the update (timed) one GRPO step over the 64 responses, as Fleet's GRPOLearner with
                    cluster/addition-grpo.yaml's objective: advantages (R - group mean) / (group
                    unbiased std + 1e-6), one teacher-forced forward over prompt + response (padded to
                    the longest), the per-token clipped surrogate -min(r A, clip(r, 0.8, 1.2) A) with r
                    = exp(logp - sampled logp), no KL term, the seq-mean-token-mean aggregation, the
                    mean token entropy as a diagnostic (no grad), zero_grad, backward,
                    clip_grad_norm_(1.0), AdamW step (lr 3e-4, weight decay 0.01).

After `--warmup` untimed repetitions, the medians of `--repetitions` timed ones are reported, in
responses per second (64 / median seconds) and tokens per second. Torch runs on `--threads` intra-op
threads, or its default with `--threads default`. Prints one JSON line.
"""

import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

import torch_setup

VOCABULARY = 45
CONTEXT = 32
WIDTH = 64
HEADS = 4
LAYERS = 2
BOS, EOS, FIRST_SYMBOL = 1, 2, 3


class Block(nn.Module):
    """One pre-LayerNorm GPT-2 block; `cache` is this layer's preallocated (keys, values)."""

    def __init__(self):
        super().__init__()
        self.ln_1 = nn.LayerNorm(WIDTH)
        self.c_attn = nn.Linear(WIDTH, 3 * WIDTH)
        self.c_proj = nn.Linear(WIDTH, WIDTH)
        self.ln_2 = nn.LayerNorm(WIDTH)
        self.c_fc = nn.Linear(WIDTH, 4 * WIDTH)
        self.mlp_proj = nn.Linear(4 * WIDTH, WIDTH)

    def forward(self, x, cache=None, position=0):
        b, t, d = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, HEADS, d // HEADS).transpose(1, 2) for z in (q, k, v))
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            keys, values = cache
            keys[:, :, position:position + t] = k
            values[:, :, position:position + t] = v
            k, v = keys[:, :, :position + t], values[:, :, :position + t]
            # A prefill (from position 0) is causal; a single new position sees every cached one.
            y = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1)
        x = x + self.c_proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(VOCABULARY, WIDTH)
        self.wpe = nn.Embedding(CONTEXT, WIDTH)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(WIDTH)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight"):
                nn.init.normal_(parameter, std=0.02 / math.sqrt(2 * LAYERS))
            elif parameter.dim() == 2:
                nn.init.normal_(parameter, std=0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(parameter)

    def forward(self, tokens, caches=None, position=0):
        """Logits [B, T, V] for `tokens` [B, T] starting at `position`."""
        t = tokens.shape[1]
        x = self.wte(tokens) + self.wpe.weight[position:position + t]
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i], position)
        return self.ln_f(x) @ self.wte.weight.T


@torch.no_grad()
def sample(model, prompts, group_size, max_new_tokens, generator):
    """Responses [P*G, max_new_tokens] (eos-padded after the end), their log-probs and lengths."""
    rows = prompts.repeat_interleave(group_size, dim=0)
    n, prompt_length = rows.shape
    head_dimension = WIDTH // HEADS
    caches = [(torch.zeros(n, HEADS, CONTEXT, head_dimension), torch.zeros(n, HEADS, CONTEXT, head_dimension))
              for _ in range(LAYERS)]
    logits = model(rows, caches, 0)[:, -1]
    responses = torch.full((n, max_new_tokens), EOS, dtype=torch.long)
    log_probs = torch.zeros(n, max_new_tokens)
    lengths = torch.zeros(n, dtype=torch.long)
    ended = torch.zeros(n, dtype=torch.bool)
    for step in range(max_new_tokens):
        logp = torch.log_softmax(logits, dim=-1)
        draw = torch.multinomial(logp.exp(), 1, generator=generator).squeeze(1)
        draw = torch.where(ended, EOS, draw)
        responses[:, step] = draw
        log_probs[:, step] = logp.gather(1, draw[:, None]).squeeze(1)
        lengths += (~ended).long()
        ended |= draw == EOS
        if bool(ended.all()) or step + 1 == max_new_tokens:
            break
        logits = model(draw[:, None], caches, prompt_length + step)[:, -1]
    return rows, responses, log_probs, lengths


def odd_token_fraction(responses, lengths):
    """The shared reward: each response's fraction of tokens whose id is odd."""
    mask = torch.arange(responses.shape[1])[None, :] < lengths[:, None]
    odd = ((responses % 2 == 1) & mask).sum(1).float()
    return odd / lengths.clamp(min=1).float()


def grpo_step(model, optimizer, rows, responses, old_log_probs, lengths, rewards, group_size):
    """One GRPO update over every response (see the docstring); returns the loss and mean entropy."""
    groups = rewards.view(-1, group_size)
    advantages = ((groups - groups.mean(1, keepdim=True)) / (groups.std(1, keepdim=True) + 1e-6)).view(-1, 1)
    longest = int(lengths.max())
    responses, old_log_probs = responses[:, :longest], old_log_probs[:, :longest]
    mask = (torch.arange(longest)[None, :] < lengths[:, None]).float()
    prompt_length = rows.shape[1]
    sequences = torch.cat([rows, torch.where(mask.bool(), responses, 0)], dim=1)
    logits = model(sequences[:, :-1])[:, prompt_length - 1:]  # position P+j-1 predicts response token j
    log_softmax = torch.log_softmax(logits, dim=-1)
    log_probs = log_softmax.gather(2, responses[..., None]).squeeze(2)
    ratio = torch.exp(log_probs - old_log_probs)
    per_token = -torch.min(ratio * advantages, torch.clamp(ratio, 0.8, 1.2) * advantages)
    loss = ((per_token * mask).sum(1) / mask.sum(1)).mean()
    with torch.no_grad():
        entropy = (-(log_softmax.exp() * log_softmax).sum(2) * mask).sum() / mask.sum()
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item(), entropy.item()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="default", help="torch intra-op threads, or 'default'")
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--prompt-length", type=int, default=8, help="bos + this - 1 symbols")
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch_setup.set_threads(args.threads)
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    model = GPT()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    symbols = torch.randint(FIRST_SYMBOL, VOCABULARY, (args.prompts, args.prompt_length - 1), generator=generator)
    prompts = torch.cat([torch.full((args.prompts, 1), BOS), symbols], dim=1)

    sampling_times, update_times = [], []
    tokens = responses_seen = truncated = 0
    reward_sum = 0.0
    for repetition in range(args.warmup + args.repetitions):
        start = time.perf_counter()
        rows, responses, log_probs, lengths = sample(model, prompts, args.group_size, args.max_new_tokens, generator)
        sampled = time.perf_counter()
        rewards = odd_token_fraction(responses, lengths)
        start_update = time.perf_counter()
        grpo_step(model, optimizer, rows, responses, log_probs, lengths, rewards, args.group_size)
        done = time.perf_counter()
        if repetition < args.warmup:
            continue
        sampling_times.append(sampled - start)
        update_times.append(done - start_update)
        tokens += int(lengths.sum())
        responses_seen += len(lengths)
        truncated += int(((lengths == args.max_new_tokens) & (responses[:, -1] != EOS)).sum())
        reward_sum += float(rewards.sum())

    per_repetition = args.prompts * args.group_size
    mean_length = tokens / responses_seen
    sampling, update = statistics.median(sampling_times), statistics.median(update_times)
    print(json.dumps({
        "system": "pytorch",
        **torch_setup.describe(args.threads),
        "vocabulary": VOCABULARY, "context_length": CONTEXT, "width": WIDTH, "heads": HEADS, "layers": LAYERS,
        "prompts": args.prompts, "group_size": args.group_size, "prompt_length": args.prompt_length,
        "max_new_tokens": args.max_new_tokens, "repetitions": args.repetitions, "warmup": args.warmup,
        "sampling_seconds_median": sampling,
        "sampling_responses_per_second": per_repetition / sampling,
        "sampling_tokens_per_second": per_repetition * mean_length / sampling,
        "update_seconds_median": update,
        "update_responses_per_second": per_repetition / update,
        "mean_response_length": mean_length,
        "truncated_fraction": truncated / responses_seen,
        "mean_reward": reward_sum / responses_seen,
    }))


if __name__ == "__main__":
    main()
