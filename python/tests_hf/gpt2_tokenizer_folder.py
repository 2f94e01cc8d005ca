"""A small GPT-2-style byte-level BPE tokenizer, trained here with Hugging Face `tokenizers` (no
downloads), written as a model folder's tokenizer files for the interop tests.

    from gpt2_tokenizer_folder import write_tokenizer_folder
    info = write_tokenizer_folder(tmp_path / "model")   # tokenizer.json, vocab.json, merges.txt
    info.eos_id, info.vocab_size                          # 2999, 3000
    write_tokenizer_folder(tmp_path / "big", gpt2_size=True)  # 50257 ids, as GPT-2's

Like GPT-2's own files: `<|endoftext|>` is the last id, in vocab.json and (special) in
tokenizer.json's added_tokens; the pre-tokenizer is ByteLevel with add_prefix_space false and the
decoder ByteLevel; merges.txt starts with a #version line.
"""
import json
import random
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

END_OF_TEXT = "<|endoftext|>"

# Words of several scripts, so merges exist beyond ASCII.
SCRIPT_WORDS = [
    "привет", "мир", "Москва", "γειά", "σου", "κόσμε", "Ελλάδα", "שלום", "עולם", "مرحبا", "بالعالم",
    "नमस्ते", "दुनिया", "こんにちは", "世界", "東京", "日本語", "你好", "中文", "北京", "안녕하세요", "세계",
    "สวัสดี", "ქართული", "Հայերեն", "café", "naïve", "Ångström", "Straße", "façade", "jalapeño", "über",
    "Ελληνικά", "Øresund", "Łódź", "İstanbul", "ǅemal",
]
EMOJI = ["🚀", "👍", "🎉", "❤️", "👩‍👩‍👧‍👦", "🇯🇵", "😀", "🤖", "✨"]
PUNCTUATION = [".", ",", "!", "?", ";", ":", "...", "—", "-", "(", ")", "\"", "'", "«", "»", "“", "”", "#", "$", "%", "&", "*", "@", "/"]
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
SPACES = [" ", " ", " ", " ", "  ", "\n", "\t", "\r\n", "   ", "\n\n"]
CONSONANTS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"


def english_word(rng: random.Random) -> str:
    word = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.15:
        word = word.capitalize()
    if rng.random() < 0.1:
        word += rng.choice(CONTRACTIONS)
    return word


def corpus_line(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randint(3, 20)):
        roll = rng.random()
        if roll < 0.55:
            pieces.append(english_word(rng))
        elif roll < 0.7:
            pieces.append(rng.choice(SCRIPT_WORDS))
        elif roll < 0.8:
            pieces.append(str(rng.randint(0, 10 ** rng.randint(1, 8))))
        elif roll < 0.9:
            pieces.append(rng.choice(PUNCTUATION))
        else:
            pieces.append(rng.choice(EMOJI))
        pieces.append(rng.choice(SPACES) if rng.random() < 0.3 else " ")
    return "".join(pieces)


def corpus(lines: int = 4000, seed: int = 0) -> list:
    """`lines` generated lines of mixed text (the same for the same seed)."""
    rng = random.Random(seed)
    return [corpus_line(rng) for _ in range(lines)]


GPT2_MERGES = 50000  # GPT-2's: 256 bytes + 50,000 merges + <|endoftext|> = 50,257 ids


def extend_merges(vocab: dict, merges: list, count: int, seed: int) -> None:
    """Adds merges of two random earlier tokens (as training would order them) until there are
    `count`, each new token taking the next id."""
    rng = random.Random(seed)
    tokens = list(vocab)
    while len(merges) < count:
        left, right = rng.choice(tokens), rng.choice(tokens)
        if left + right in vocab or len(left + right) > 16:
            continue
        vocab[left + right] = len(vocab)
        tokens.append(left + right)
        merges.append((left, right))


def train(vocab_size: int = 3000, lines: int = 4000, seed: int = 0, gpt2_size: bool = False) -> Tokenizer:
    """A byte-level BPE over `corpus(lines, seed)`: 256 byte tokens, merges up to `vocab_size` - 1
    tokens, then `<|endoftext|>` (special) as the last id. With `gpt2_size`, random merges of
    earlier tokens follow the trained ones up to GPT-2's 50,000 (50,257 ids)."""
    byte_level = Tokenizer(models.BPE())
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - 1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    byte_level.train_from_iterator(corpus(lines, seed), trainer)
    trained = json.loads(byte_level.to_str())["model"]
    vocab = dict(trained["vocab"])
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    if gpt2_size:
        extend_merges(vocab, merges, GPT2_MERGES, seed)
    vocab[END_OF_TEXT] = len(vocab)

    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_special_tokens([END_OF_TEXT])
    return tokenizer


@dataclass
class TokenizerFolder:
    path: Path
    eos_id: int
    vocab_size: int


def write_tokenizer_folder(directory, files=("tokenizer.json", "vocab.json", "merges.txt"), vocab_size: int = 3000,
                           seed: int = 0, gpt2_size: bool = False) -> TokenizerFolder:
    """Writes the trained tokenizer's `files` (any of tokenizer.json, vocab.json with merges.txt)
    and a tokenizer_config.json into `directory` (created). See `train` for the arguments."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = train(vocab_size=vocab_size, seed=seed, gpt2_size=gpt2_size)
    if "tokenizer.json" in files:
        tokenizer.save(str(directory / "tokenizer.json"))
    if "vocab.json" in files or "merges.txt" in files:
        tokenizer.model.save(str(directory))  # vocab.json (with <|endoftext|>), merges.txt after "#version: 0.2"
    (directory / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "GPT2Tokenizer", "bos_token": END_OF_TEXT, "eos_token": END_OF_TEXT,
        "unk_token": END_OF_TEXT, "add_prefix_space": False, "model_max_length": 1024,
    }))
    eos = tokenizer.token_to_id(END_OF_TEXT)
    return TokenizerFolder(path=directory, eos_id=eos, vocab_size=tokenizer.get_vocab_size())
