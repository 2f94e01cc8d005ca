"""Fleet reads and writes Hugging Face GPT-2 folders: its logits match transformers' on a tiny
random GPT-2 (float32, float16 and bfloat16 files, tied and untied heads), and the folders a
Fleet run writes (with the start folder's tokenizer) load in transformers without missing or
unexpected keys and give Fleet's logits."""

import json
import logging
import subprocess
from pathlib import Path

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast
from transformers.utils import logging as hf_logging

from gpt2_tokenizer_folder import write_tokenizer_folder

TOLERANCE = 1e-4
VOCABULARY = 300
CONTEXT = 64
PROMPTS = [[0], [5, 17, 299], [1, 2, 3, 4, 5, 6, 7], list(range(40, 40 + CONTEXT))]


def tiny_gpt2(tied=True, seed=0, vocabulary=VOCABULARY, context=CONTEXT, width=48, **fields):
    """A random GPT-2 whose every parameter (LayerNorms and biases too) is far from its init."""
    torch.manual_seed(seed)
    config = GPT2Config(
        n_embd=width, n_layer=2, n_head=4, vocab_size=vocabulary, n_positions=context, n_ctx=context,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=tied, **fields)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if ".ln_" in name and name.endswith(".weight"):
                parameter.normal_(1.0, 0.3)
            else:
                parameter.normal_(0.0, 0.2)
    if not tied:
        assert not torch.equal(model.lm_head.weight, model.transformer.wte.weight)
    return model


def reference_logits(model, prompts=PROMPTS):
    with torch.no_grad():
        return [model(torch.tensor([p])).logits[0].float() for p in prompts]


def fleet_logits(fleet_binary, folder, prompts=PROMPTS):
    lines = "".join(json.dumps(p) + "\n" for p in prompts)
    result = subprocess.run([fleet_binary, "model", "logits", "--model", str(folder)], input=lines,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [torch.tensor(json.loads(line)) for line in result.stdout.splitlines()]
    assert len(rows) == len(prompts)
    return rows


def max_difference(ours, theirs, prompts=PROMPTS, vocabulary=VOCABULARY):
    for a, b, prompt in zip(ours, theirs, prompts):
        assert a.shape == (len(prompt), vocabulary), a.shape
    return max((a - b).abs().max().item() for a, b in zip(ours, theirs))


def load_quietly(folder):
    """from_pretrained, failing on any warning about missing, unexpected or newly initialized weights."""
    hf_logging.set_verbosity_warning()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    hf_logging.get_logger().addHandler(handler)
    try:
        model, info = GPT2LMHeadModel.from_pretrained(folder, output_loading_info=True)
    finally:
        hf_logging.get_logger().removeHandler(handler)
    assert info["missing_keys"] == [] and info["unexpected_keys"] == [] and info["mismatched_keys"] == [], info
    warnings = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    assert not any("newly initialized" in w or "not used" in w or "not initialized" in w for w in warnings), warnings
    return model.eval()


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_fleet_logits_match_transformers(fleet_binary, tmp_path, tied):
    model = tiny_gpt2(tied)
    model.save_pretrained(tmp_path, safe_serialization=True)
    difference = max_difference(fleet_logits(fleet_binary, tmp_path), reference_logits(model))
    print(f"float32 {'tied' if tied else 'untied'}: max |fleet - transformers| = {difference:.3g}")
    assert difference < TOLERANCE


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["f16", "bf16"])
def test_half_precision_files_read_as_their_values(fleet_binary, tmp_path, dtype):
    tiny_gpt2().to(dtype).save_pretrained(tmp_path, safe_serialization=True)
    widened = GPT2LMHeadModel.from_pretrained(tmp_path, torch_dtype=torch.float32).eval()
    difference = max_difference(fleet_logits(fleet_binary, tmp_path), reference_logits(widened))
    print(f"{dtype}: max |fleet - transformers on the widened weights| = {difference:.3g}")
    assert difference < TOLERANCE


def test_a_broken_folder_is_refused_naming_the_tensor(fleet_binary, tmp_path):
    from safetensors.torch import load_file, save_file
    tiny_gpt2().save_pretrained(tmp_path, safe_serialization=True)
    tensors = load_file(tmp_path / "model.safetensors")
    del tensors["transformer.h.1.mlp.c_fc.bias"]
    save_file(tensors, tmp_path / "model.safetensors", metadata={"format": "pt"})
    result = subprocess.run([fleet_binary, "model", "logits", "--model", str(tmp_path)], input="[1]\n",
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "transformer.h.1.mlp.c_fc.bias" in result.stderr, result.stderr


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_a_trained_policy_written_by_fleet_loads_in_transformers(fleet_binary, tmp_path, tied):
    start = tmp_path / "start"
    tokenizer_folder = write_tokenizer_folder(start, vocab_size=400)
    vocabulary, eos = tokenizer_folder.vocab_size, tokenizer_folder.eos_id
    original = tiny_gpt2(tied, seed=1, vocabulary=vocabulary, context=32, width=64, bos_token_id=eos, eos_token_id=eos)
    original.save_pretrained(start, safe_serialization=True)
    tokenizer = GPT2TokenizerFast.from_pretrained(start)
    prompts = [[eos] + tokenizer(text).input_ids for text in ["07+45=", "99+99=", "52"]] + [[eos] * 32]
    run = tmp_path / "run"
    config = Path(__file__).resolve().parents[2] / "cluster" / "addition-grpo.yaml"
    result = subprocess.run(
        [fleet_binary, "train", str(config), "--run-dir", str(run), "--set", f"model.path={start}",
         "--set", "init_checkpoint=null", "--set", "total_training_steps=2", "--set", "train_batch_size=8",
         "--set", "ppo_mini_batch_size=8", "--set", "eval_prompts=10", "--set", "num_actors=1",
         "--set", "learning_rate=0.01", "--set", "kl_loss_coef=0.04", "--set", "temperature=3.0"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    trained = load_quietly(run / "model")
    assert json.loads((run / "model" / "config.json").read_text())["tie_word_embeddings"] == tied
    ours = fleet_logits(fleet_binary, run / "model", prompts)
    difference = max_difference(ours, reference_logits(trained, prompts), prompts, vocabulary)
    moved = max_difference(ours, reference_logits(original, prompts), prompts, vocabulary)
    print(f"trained ({'tied' if tied else 'untied'}): max |fleet - transformers| = {difference:.3g}, "
          f"moved {moved:.3g} from the start")
    assert difference < TOLERANCE
    assert moved > 1e-3, "two updates at learning rate 0.01 change the logits"
    written_tokenizer = GPT2TokenizerFast.from_pretrained(run / "model")
    assert written_tokenizer("07+45= 52").input_ids == tokenizer("07+45= 52").input_ids

    exported = tmp_path / "exported"
    result = subprocess.run(
        [fleet_binary, "model", "export", "--policy", str(run), "--like", str(start), "--out", str(exported)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (exported / "model.safetensors").read_bytes() == (run / "model" / "model.safetensors").read_bytes()
    load_quietly(exported)
