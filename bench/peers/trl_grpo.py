"""TRL's GRPOTrainer on the tiny GPT-2 shape of Fleet's prompt tasks, its steps timed on this machine.

The model is transformers' GPT2LMHeadModel from a GPT2Config, randomly initialized (nothing is
downloaded): 2 layers, width 64, 4 heads, vocabulary 45, context 32, dropout 0 (Fleet's model has
none). The tokenizer is a character-level one built here with the `tokenizers` library: ids 0 pad,
1 bos, 2 eos, then 42 one-character symbols, so that the 45-symbol vocabulary is the model's. The
dataset holds prompts of bos + 7 random symbols (8 tokens); the reward function gives each
completion its fraction of tokens with an odd id (TRL passes `completion_ids`, eos included when
generated), the rule `fleet bench-peer grpo` and torch_grpo.py use.

GRPOConfig is set so that one trainer step is one GRPO step over 8 prompts x G 8 = 64 completions of
at most 8 new tokens, with the objective of torch_grpo.py and Fleet's GRPOLearner: per-device batch
64, num_generations 8, steps_per_generation 1, num_iterations 1 (so no extra forward for old
log-probs), beta 0 (no reference model), epsilon 0.2, loss_type "grpo" (the per-sequence token mean,
then the mean over sequences), scale_rewards "group", temperature 1, top_p 1, top_k 0, AdamW lr 3e-4
with weight decay 0.01 and a constant schedule, max_grad_norm 1.0, fp32 on the CPU, and gradient
checkpointing off: TRL turns it on by default, which recomputes the forward pass's activations in the
backward pass to save memory, time that Fleet and torch_grpo.py do not spend (`--gradient-checkpointing`
restores TRL's default).

What is timed, per trainer step, with TRL's own timers (trl.extras.profiling: the seconds of each
profiled block, which TRL would send to a tracker, are recorded here instead) and a TrainerCallback:
  step       on_step_begin to on_step_end: the whole step
  sampling   TRL's "transformers.generate" block: model.generate on the 64 left-padded prompt rows
             (transformers' generation loop with its key/value cache)
  the update the step less TRL's `_prepare_inputs` (which holds generation, decoding, the reward
             and the advantages): compute_loss (the forward over prompt + completion and the loss),
             backward, gradient clipping, the AdamW step, the scheduler and the Trainer's bookkeeping
The first `--warmup` steps are not counted; the medians of the next `--repetitions` are reported in
responses per second (64 / median seconds). Torch runs on `--threads` intra-op threads, or its
default with `--threads default`. Prints one JSON line.
"""

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings

import torch

import torch_setup

VOCABULARY = 45
SYMBOLS = "0123456789+-*/=<>()abcdefghijklmnopqrstuvw"  # 42 one-character symbols, ids 3-44
assert len(SYMBOLS) == VOCABULARY - 3


def character_tokenizer():
    """A fast tokenizer with one id per character: <pad> 0, <bos> 1, <eos> 2, then SYMBOLS."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocabulary = {"<pad>": 0, "<bos>": 1, "<eos>": 2, **{c: 3 + i for i, c in enumerate(SYMBOLS)}}
    tokenizer = Tokenizer(models.WordLevel(vocabulary, unk_token="<pad>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tokenizer.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="<bos>", eos_token="<eos>",
                                   pad_token="<pad>", unk_token="<pad>")
    assert fast("<bos>ab", add_special_tokens=False)["input_ids"] == [1, 3 + SYMBOLS.index("a"), 3 + SYMBOLS.index("b")]
    return fast


class StepTimes:
    """Per step: the callback's whole-step seconds, TRL's profiled blocks' seconds by block name, and
    the mean completion length the reward function saw."""

    def __init__(self):
        self.steps = []
        self.blocks = {}
        self.lengths = []

    def record_block(self, name, seconds):
        self.blocks.setdefault(name.split(".", 1)[1], []).append(seconds)

    def odd_token_fraction(self, completions, completion_ids, **kwargs):
        """The shared reward: each completion's fraction of tokens whose id is odd."""
        self.lengths.append(statistics.fmean(len(ids) for ids in completion_ids))
        return [sum(i % 2 for i in ids) / len(ids) if ids else 0.0 for ids in completion_ids]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", default="default", help="torch intra-op threads, or 'default'")
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--group-size", type=int, default=8)
    parser.add_argument("--prompt-length", type=int, default=8, help="bos + this - 1 symbols")
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gradient-checkpointing", action="store_true",
                        help="TRL's default (recompute activations in the backward pass); off here unless given")
    args = parser.parse_args()

    torch_setup.set_threads(args.threads)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is made here; nothing is to be fetched
    warnings.filterwarnings("ignore")
    import datasets
    import transformers
    import trl
    from transformers import GPT2Config, GPT2LMHeadModel, PrinterCallback, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer
    from trl.extras import profiling

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    times = StepTimes()
    original_log = profiling.ProfilingContext._log_metrics

    def record(context, duration):
        times.record_block(context.name, duration)
        original_log(context, duration)

    profiling.ProfilingContext._log_metrics = record

    class StepTimer(TrainerCallback):
        def on_step_begin(self, args_, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args_, state, control, **kwargs):
            times.steps.append(time.perf_counter() - self.start)

    torch.manual_seed(args.seed)
    tokenizer = character_tokenizer()
    config = GPT2Config(vocab_size=VOCABULARY, n_positions=32, n_embd=64, n_layer=2, n_head=4,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        bos_token_id=1, eos_token_id=2, pad_token_id=0)
    model = GPT2LMHeadModel(config)

    steps = args.warmup + args.repetitions
    generator = torch.Generator().manual_seed(args.seed)
    symbols = torch.randint(0, len(SYMBOLS), (steps * args.prompts, args.prompt_length - 1), generator=generator)
    prompts = ["<bos>" + "".join(SYMBOLS[i] for i in row) for row in symbols.tolist()]
    dataset = datasets.Dataset.from_dict({"prompt": prompts})

    batch = args.prompts * args.group_size
    with tempfile.TemporaryDirectory(prefix="fleet-trl-") as output:
        config = GRPOConfig(
            output_dir=output, report_to="none", save_strategy="no", logging_steps=10**9, disable_tqdm=True,
            use_cpu=True, bf16=False, fp16=False, seed=args.seed, max_steps=steps, dataloader_num_workers=0,
            per_device_train_batch_size=batch, gradient_accumulation_steps=1, num_generations=args.group_size,
            steps_per_generation=1, num_iterations=1, max_completion_length=args.max_new_tokens,
            temperature=1.0, top_p=1.0, top_k=0, beta=0.0, epsilon=0.2, loss_type="grpo", scale_rewards="group",
            learning_rate=3e-4, weight_decay=0.01, lr_scheduler_type="constant", warmup_steps=0, max_grad_norm=1.0,
            log_completions=False, gradient_checkpointing=args.gradient_checkpointing,
        )
        trainer = GRPOTrainer(model=model, reward_funcs=times.odd_token_fraction, args=config, train_dataset=dataset,
                              processing_class=tokenizer, callbacks=[StepTimer()])
        trainer.remove_callback(PrinterCallback)  # its log lines would go to standard output
        trainer.train()

    generate = times.blocks["transformers.generate"]
    prepare = times.blocks["_prepare_inputs"]
    assert len(times.steps) == steps and len(generate) == steps and len(prepare) == steps, (
        f"{len(times.steps)} steps, {len(generate)} generations, {len(prepare)} input preparations for {steps} steps")
    counted = slice(args.warmup, None)
    step_times = times.steps[counted]
    update_times = [s - p for s, p in zip(times.steps[counted], prepare[counted])]
    sampling, update, step = (statistics.median(generate[counted]), statistics.median(update_times),
                              statistics.median(step_times))
    mean_length = statistics.fmean(times.lengths[counted])
    print(json.dumps({
        "system": "trl",
        **torch_setup.describe(args.threads),
        "trl_version": trl.__version__, "transformers": transformers.__version__,
        "vocabulary": VOCABULARY, "context_length": 32, "width": 64, "heads": 4, "layers": 2,
        "prompts": args.prompts, "group_size": args.group_size, "prompt_length": args.prompt_length,
        "max_new_tokens": args.max_new_tokens, "repetitions": args.repetitions, "warmup": args.warmup,
        "sampling_seconds_median": sampling,
        "sampling_responses_per_second": batch / sampling,
        "sampling_tokens_per_second": batch * mean_length / sampling,
        "update_seconds_median": update,
        "update_responses_per_second": batch / update,
        "step_seconds_median": step,
        "step_responses_per_second": batch / step,
        "compute_loss_seconds_median": statistics.median(times.blocks["compute_loss"][counted]),
        "prepare_inputs_seconds_median": statistics.median(prepare[counted]),
        "mean_response_length": mean_length,
    }))


if __name__ == "__main__":
    main()
