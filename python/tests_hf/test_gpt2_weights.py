"""Fleet reads and writes Hugging Face GPT-2 folders: its logits match transformers' on a tiny
random GPT-2 (float32, float16 and bfloat16 files, tied and untied heads), and the folders Fleet
writes load in transformers without missing or unexpected keys and give Fleet's logits."""

import json
import logging
import subprocess

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel
from transformers.utils import logging as hf_logging

TOLERANCE = 1e-4
VOCABULARY = 300
CONTEXT = 64
PROMPTS = [[0], [5, 17, 299], [1, 2, 3, 4, 5, 6, 7], list(range(40, 40 + CONTEXT))]


def tiny_gpt2(tied=True, seed=0):
    """A random GPT-2 whose every parameter (LayerNorms and biases too) is far from its init."""
    torch.manual_seed(seed)
    config = GPT2Config(
        n_embd=48, n_layer=2, n_head=4, vocab_size=VOCABULARY, n_positions=CONTEXT, n_ctx=CONTEXT,
        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, tie_word_embeddings=tied)
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


def max_difference(ours, theirs):
    for a, b, prompt in zip(ours, theirs, PROMPTS):
        assert a.shape == (len(prompt), VOCABULARY), a.shape
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
