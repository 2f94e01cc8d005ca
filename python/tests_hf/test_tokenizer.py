"""Fleet's GPT-2 tokenizer (`fleet model tokenize`) against transformers' on a byte-level BPE
trained here: the same ids for hundreds of varied strings, from tokenizer.json and from vocab.json
with merges.txt, with GPT2TokenizerFast and the slow GPT2Tokenizer; every Unicode scalar against
the fast one (Hugging Face tokenizers' regex classes); the same text back from ids."""
import json
import random
import subprocess
import sys
import unicodedata

import pytest
from transformers import GPT2Tokenizer, GPT2TokenizerFast

from gpt2_tokenizer_folder import END_OF_TEXT, corpus, write_tokenizer_folder

TRICKY = [
    "", " ", "  ", "\n", "\t", "\r\n", " \n ", "a", " a", "a ", "  a", "a  ", "a  b", "a   b", "a \tb", "a\t b",
    "Hello world", "Hello  world", "Hello   world  ", "   leading", "trailing   ", "line one\nline two\r\nline three",
    "\n\nparagraph\n\n\nnext", "tab\tseparated\tvalues", "mixed \t\n whitespace \u00a0 nbsp\u00a0word",
    "it's", "It's", "IT'S", "don't", "we're", "we've", "I'm", "you'll", "he'd", "'s", "'sam", "''s", "' s",
    "rock'n'roll", "o'clock", "students' books", "'tis", "’s curly", "ain't it", "y'all'd've",
    "3.14159", "1,000,000", "2024-01-15", "x=42;y=-7", "1234567890123456789012345678901234567890",
    " 42", "42abc", "abc42", "v1.2.3", "0x1F600", "1e-10", "+-*/=<>", "...", "!!!", "?!", "--", "—",
    "(parenthesis)", "[brackets]", "{braces}", "\"quoted\"", "'single'", "`code`", "#hashtag @mention",
    "email@example.com", "https://example.com/path?q=1&r=2", "C:\\Windows\\path", "<html><body>",
    "café", "naïve", "Ångström", "Straße", "façade résumé", "cafe\u0301 (combining)", "e\u0301\u0302\u0303",
    "привет мир", "Москва — столица", "γειά σου κόσμε", "שלום עולם", "مرحبا بالعالم", "नमस्ते दुनिया",
    "こんにちは世界", "東京タワー", "你好，世界！", "안녕하세요 세계", "สวัสดีครับ", "ქართული ენა", "Հայերեն",
    "ǅemal ǈ ǋ", "İstanbul ıi", "Łódź", "ﬁﬂ ligatures", "ｆｕｌｌｗｉｄｔｈ １２３", "½ ¾ ² ³ Ⅻ ⅷ", "٣٤٥ ३४५ ๓๔",
    "🚀", "🚀🚀🚀", " 🚀", "emoji 😀 in text", "👩‍👩‍👧‍👦 family", "🇯🇵🇺🇸 flags", "❤️ heart", "👍🏽 tone",
    "∑ x² ≤ ∞", "\\boxed{\\frac{1}{2}}", "α+β=γ", "→ ← ↑ ↓", "©®™", "§¶†‡", "€$£¥₹",
    "\u200b zero width", "a\u200db", "\ufeffBOM", "\u2028line sep\u2029para sep", "\u3000ideographic space",
    "\x85next line", "\x1c\x1d\x1e\x1f separators", "\x00nul\x01", "\x7f del", "\u00ad soft hyphen",
    "\U00010348 gothic", "\U0001d11e music", "\U0002a6d6 cjk ext", "\U000e0041 tag",
    "Thé quick brown 狐狸 jumps over the lazy dog's 3 🐕 friends!",
    "   \n\t  mixed\r\n\r\n  ", "end with newline\n", "end with spaces  ", "ends with tab\t",
    "a" * 200, "ab" * 150, " " * 50, "\n" * 20, "9" * 100, "é" * 80, "😀" * 30,
    "unseen zyxwvutsrq qwertyuiop", "Pneumonoultramicroscopicsilicovolcanoconiosis",
]

SOUP = (
    list("abcxyzABCXYZ0123456789 .,;:!?'\"-()[]{}") + [" ", " ", "  ", "\n", "\t", "\r\n", "'s", "'t", "'re", "'ll"]
    + list("éüßñøåçœÆ") + list("абвгдЖЗИ") + list("αβγΩ") + list("日本語中文한국어") + list("אבגعربي")
    + list("०१२٣٤") + ["\u0301", "\u0308", "\u200d", "\ufe0f", "\u00a0", "\u2009", "\u3000", "\x0b", "\x0c", "\x85"]
    + ["😀", "🚀", "👍🏽", "🇫🇷", "∑", "²", "½", "Ⅻ", "\u2028", "\x1e", "\u00ad", "€", "—", "…"]
)


def varied_strings() -> list:
    """The hand-written cases, unseen generated text and random soups of the above."""
    rng = random.Random(7)
    strings = list(TRICKY)
    strings += corpus(lines=120, seed=99)  # the training corpus's style, other lines
    for _ in range(160):
        strings.append("".join(rng.choice(SOUP) for _ in range(rng.randint(1, 40))))
    return strings


def fleet(binary, folder, lines, *flags):
    """`fleet model tokenize --model folder` with `lines` (JSON values) on standard input."""
    result = subprocess.run(
        [binary, "model", "tokenize", "--model", str(folder), *flags],
        input="".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
        capture_output=True, text=True, encoding="utf-8", check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n") or not lines
    return [json.loads(line) for line in result.stdout.split("\n")[:-1]]  # not splitlines: U+2028 is in lines


def assert_same_ids(strings, fleet_ids, reference_ids, reference):
    assert len(fleet_ids) == len(strings)
    mismatches = [(s, f, r) for s, f, r in zip(strings, fleet_ids, reference_ids) if f != r]
    assert not mismatches, f"{len(mismatches)} of {len(strings)} differ from {reference}; first: {mismatches[:3]!r}"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    base = tmp_path_factory.mktemp("gpt2-tokenizer")
    from_json = write_tokenizer_folder(base / "tokenizer-json", files=("tokenizer.json",))
    from_files = write_tokenizer_folder(base / "vocab-merges", files=("vocab.json", "merges.txt"))
    return from_json, from_files


def test_ids_match_fast_tokenizer_from_tokenizer_json(fleet_binary, folders):
    from_json, _ = folders
    strings = varied_strings()
    fast = GPT2TokenizerFast.from_pretrained(str(from_json.path))
    assert fast.eos_token_id == from_json.eos_id
    assert_same_ids(strings, fleet(fleet_binary, from_json.path, strings),
                    [fast(s)["input_ids"] for s in strings], "GPT2TokenizerFast (tokenizer.json)")
    print(f"\n{len(strings)} strings: Fleet's ids = GPT2TokenizerFast's from tokenizer.json")


def test_ids_match_slow_and_fast_tokenizers_from_vocab_and_merges(fleet_binary, folders):
    _, from_files = folders
    strings = varied_strings()
    vocab, merges = str(from_files.path / "vocab.json"), str(from_files.path / "merges.txt")
    slow = GPT2Tokenizer(vocab, merges)
    fast = GPT2TokenizerFast(vocab, merges)
    fleet_ids = fleet(fleet_binary, from_files.path, strings)
    assert_same_ids(strings, fleet_ids, [slow(s)["input_ids"] for s in strings], "GPT2Tokenizer (vocab.json, merges.txt)")
    assert_same_ids(strings, fleet_ids, [fast(s)["input_ids"] for s in strings], "GPT2TokenizerFast (vocab.json, merges.txt)")
    print(f"\n{len(strings)} strings: Fleet's ids = GPT2Tokenizer's = GPT2TokenizerFast's from vocab.json + merges.txt")


def test_ids_match_on_a_gpt2_sized_vocabulary(fleet_binary, tmp_path):
    """50,000 merges and 50,257 ids, <|endoftext|> = 50256, as GPT-2's: long merge chains."""
    folder = write_tokenizer_folder(tmp_path / "gpt2-sized", gpt2_size=True)
    assert (folder.eos_id, folder.vocab_size) == (50256, 50257)
    strings = varied_strings() + corpus(lines=1000, seed=5)
    fast = GPT2TokenizerFast(tokenizer_file=str(folder.path / "tokenizer.json"))
    assert_same_ids(strings, fleet(fleet_binary, folder.path, strings), fast(strings)["input_ids"],
                    "GPT2TokenizerFast (tokenizer.json)")
    (folder.path / "tokenizer.json").unlink()
    slow = GPT2Tokenizer(str(folder.path / "vocab.json"), str(folder.path / "merges.txt"))
    assert_same_ids(strings, fleet(fleet_binary, folder.path, strings), [slow(s)["input_ids"] for s in strings],
                    "GPT2Tokenizer (vocab.json, merges.txt)")
    print(f"\n{len(strings)} strings on a GPT-2-sized vocabulary: Fleet's ids = GPT2TokenizerFast's = GPT2Tokenizer's")


def test_every_unicode_scalar_matches_fast_tokenizer(fleet_binary, folders):
    """Every scalar, shuffled into strings with letters, digits, spaces and punctuation around them,
    so each meets the regex's classes as a neighbour (Hugging Face tokenizers' Oniguruma knows
    Unicode 14.0: later letters are "other" there, and in Fleet)."""
    from_json, _ = folders
    rng = random.Random(3)
    scalars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    rng.shuffle(scalars)
    glue = ["a", "Z", "7", " ", "  ", "\n", "!", "'", "é", "字"]
    strings = []
    for start in range(0, len(scalars), 48):
        pieces = []
        for scalar in scalars[start:start + 48]:
            pieces.append(scalar)
            if rng.random() < 0.5:
                pieces.append(rng.choice(glue))
        strings.append("".join(pieces))
    fast = GPT2TokenizerFast(tokenizer_file=str(from_json.path / "tokenizer.json"))
    # The words first: a scalar classed differently changes them even where no merge shows it.
    pre_tokenizer = fast.backend_tokenizer.pre_tokenizer
    reference_words = [[s[start:end] for _, (start, end) in pre_tokenizer.pre_tokenize_str(s)] for s in strings]
    assert_same_ids(strings, fleet(fleet_binary, from_json.path, strings, "--words"), reference_words,
                    "tokenizers' ByteLevel pre-tokenizer (words)")
    assert_same_ids(strings, fleet(fleet_binary, from_json.path, strings),
                    fast(strings)["input_ids"], "GPT2TokenizerFast")
    print(f"\n{len(scalars)} Unicode scalars in {len(strings)} strings: Fleet's ids and words = GPT2TokenizerFast's")


def test_both_forms_give_the_same_spec(fleet_binary, folders):
    from_json, from_files = folders
    specs = [subprocess.run([fleet_binary, "model", "tokenize", "--model", str(f.path), "--spec"],
                            capture_output=True, text=True, check=True).stdout for f in folders]
    assert specs[0] == specs[1]
    assert f"pad=bos=eos={from_json.eos_id};" in specs[0]
    assert f"vocabulary_size: {from_json.vocab_size}" in specs[0]
    # Merges written "left right", as GPT-2's own tokenizer.json (tokenizers before 0.20) has them.
    as_strings = from_json.path.parent / "merges-as-strings"
    as_strings.mkdir()
    config = json.loads((from_json.path / "tokenizer.json").read_text())
    config["model"]["merges"] = [" ".join(pair) for pair in config["model"]["merges"]]
    (as_strings / "tokenizer.json").write_text(json.dumps(config, ensure_ascii=False))
    strings = varied_strings()
    fast = GPT2TokenizerFast(tokenizer_file=str(as_strings / "tokenizer.json"))
    assert_same_ids(strings, fleet(fleet_binary, as_strings, strings), [fast(s)["input_ids"] for s in strings],
                    "GPT2TokenizerFast (merges as strings)")
    assert subprocess.run([fleet_binary, "model", "tokenize", "--model", str(as_strings), "--spec"],
                          capture_output=True, text=True, check=True).stdout == specs[0]
    other = write_tokenizer_folder(from_json.path.parent / "other-seed", files=("tokenizer.json",), seed=1)
    other_spec = subprocess.run([fleet_binary, "model", "tokenize", "--model", str(other.path), "--spec"],
                                capture_output=True, text=True, check=True).stdout
    assert other_spec != specs[0]


def test_decode_matches_fast_tokenizer_and_round_trips(fleet_binary, folders):
    from_json, _ = folders
    fast = GPT2TokenizerFast(tokenizer_file=str(from_json.path / "tokenizer.json"))
    rng = random.Random(11)
    # Random ids cut UTF-8 sequences anywhere: the replacement characters must fall the same way.
    id_lists = [[rng.randrange(from_json.eos_id) for _ in range(rng.randint(0, 30))] for _ in range(300)]
    id_lists += [[rng.randrange(256) for _ in range(rng.randint(1, 12))] for _ in range(200)]
    expected = [fast.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False) for ids in id_lists]
    decoded = fleet(fleet_binary, from_json.path, id_lists, "--decode")
    mismatches = [(ids, d, e) for ids, d, e in zip(id_lists, decoded, expected) if d != e]
    assert not mismatches, f"{len(mismatches)} of {len(id_lists)} decode differently; first: {mismatches[:3]!r}"

    strings = varied_strings()
    encoded = fleet(fleet_binary, from_json.path, strings)
    eos = from_json.eos_id
    # As a prompt ([bos] + ids) and as a response (ids + [eos], then anything).
    framed = [[eos] + ids for ids in encoded] + [ids + [eos, eos] + ids for ids in encoded]
    assert fleet(fleet_binary, from_json.path, framed, "--decode") == strings + strings
    print(f"\n{len(id_lists)} id lists decode as GPT2TokenizerFast's; {len(strings)} strings round-trip")


def test_literal_end_of_text_is_plain_text(fleet_binary, folders):
    """Fleet never makes a special id from text: as transformers with split_special_tokens=True
    (its default makes one)."""
    from_json, _ = folders
    strings = [END_OF_TEXT, f"a{END_OF_TEXT}b", f"end {END_OF_TEXT}", f"{END_OF_TEXT}\n{END_OF_TEXT} x", "<|endof"]
    path = str(from_json.path / "tokenizer.json")
    splitting = GPT2TokenizerFast(tokenizer_file=path, split_special_tokens=True)
    fleet_ids = fleet(fleet_binary, from_json.path, strings)
    assert_same_ids(strings, fleet_ids, [splitting(s)["input_ids"] for s in strings], "split_special_tokens=True")
    assert all(from_json.eos_id not in ids for ids in fleet_ids)
    default = GPT2TokenizerFast(tokenizer_file=path)
    assert default(f"a{END_OF_TEXT}b")["input_ids"][1] == from_json.eos_id


def test_command_refuses_bad_input_by_line_and_bad_folders(fleet_binary, folders, tmp_path):
    from_json, _ = folders
    run = lambda folder, text, *flags: subprocess.run(  # noqa: E731
        [fleet_binary, "model", "tokenize", "--model", str(folder), *flags], input=text, capture_output=True, text=True)
    result = run(from_json.path, '"fine"\nnot json\n')
    assert result.returncode == 1 and "standard input line 2: not a JSON string" in result.stderr
    result = run(from_json.path, "[1, true]\n", "--decode")
    assert result.returncode == 1 and "standard input line 1: not a JSON array of ids" in result.stderr
    result = run(tmp_path, "")
    assert result.returncode == 1 and "neither tokenizer.json nor vocab.json with merges.txt" in result.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    config = json.loads((from_json.path / "tokenizer.json").read_text())
    config["pre_tokenizer"]["add_prefix_space"] = True
    (broken / "tokenizer.json").write_text(json.dumps(config))
    result = run(broken, "")
    assert result.returncode == 1
    assert "tokenizer.json: field 'pre_tokenizer.add_prefix_space': is true" in result.stderr
