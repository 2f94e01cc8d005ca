#!/usr/bin/env python3
"""Writes a small arithmetic word-problem dataset for Fleet's dataset tasks (JSON Lines).

Each line is {"id", "prompt", "answer", "op"}: a one-sentence problem and a GSM8K-style answer,
a worked step then "#### N", e.g.

    {"id": "wp-00042", "prompt": "Tom has 3 figs and gets 5 more. How many now?", "answer": "3+5=8 #### 8", "op": "add"}

Three templates (add, subtract, multiply) with small numbers, short enough for a byte-level model
with a context of 64 tokens. Every distinct problem is enumerated, shuffled with --seed, and split
into train.jsonl and held_out.jsonl (disjoint). The same arguments always write the same bytes.

    python3 Examples/WordProblems/make_dataset.py
"""

import argparse
import json
import os
import random

NAMES = ["Tom", "Ann", "Sam", "Mia", "Ben", "Zoe"]
ITEMS = ["figs", "nuts", "eggs", "buns", "pens", "cups"]


def problems():
    """Every (op, prompt, answer) the templates make, in a fixed order."""
    for name in NAMES:
        for item in ITEMS:
            for a in range(1, 13):
                for b in range(1, 13):
                    yield ("add", f"{name} has {a} {item} and gets {b} more. How many now?", f"{a}+{b}={a + b} #### {a + b}")
            for a in range(2, 16):
                for b in range(1, a):
                    yield ("sub", f"{name} has {a} {item} and gives away {b}. How many are left?", f"{a}-{b}={a - b} #### {a - b}")
            for a in range(2, 6):
                for b in range(2, 10):
                    yield ("mul", f"{name} has {a} bags of {b} {item}. How many {item}?", f"{a}*{b}={a * b} #### {a * b}")


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"),
                        help="directory for train.jsonl and held_out.jsonl (default: data/ beside this script)")
    parser.add_argument("--seed", type=int, default=1, help="shuffling seed (default 1)")
    parser.add_argument("--train", type=int, default=4000, help="training problems (default 4000)")
    parser.add_argument("--held-out", type=int, default=400, help="held-out problems (default 400)")
    args = parser.parse_args()

    every = list(problems())
    if args.train + args.held_out > len(every):
        parser.error(f"only {len(every)} distinct problems: ask for fewer")
    random.Random(args.seed).shuffle(every)
    rows = [
        {"id": f"wp-{index:05d}", "prompt": prompt, "answer": answer, "op": op}
        for index, (op, prompt, answer) in enumerate(every[: args.train + args.held_out])
    ]
    os.makedirs(args.out, exist_ok=True)
    write(os.path.join(args.out, "train.jsonl"), rows[: args.train])
    write(os.path.join(args.out, "held_out.jsonl"), rows[args.train:])
    print(f"wrote {args.train} training and {args.held_out} held-out problems to {args.out}")


if __name__ == "__main__":
    main()
