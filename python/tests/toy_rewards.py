"""Reward functions for the tests of ``python -m fleet_env reward`` (imported as ``toy_rewards:NAME``)."""
import math
import os
import signal
import time
from pathlib import Path


def exact_match(prompts, completions, answers, metadata):
    """1 for a completion equal to its answer (surrounding spaces aside), else 0."""
    return [1.0 if completion.strip() == answer.strip() else 0.0 for completion, answer in zip(completions, answers)]


def scripted(prompts, completions, answers, metadata):
    """Exact match, unless the first prompt asks for a misbehaviour: ``raise``, ``hang``, ``die``,
    ``nan``, ``short``, ``text``, or ``echo`` (the metadata's ``score`` and the item count as rewards).
    ``pid:PATH`` writes the worker's pid to PATH first; ``slow:S`` sleeps S seconds first."""
    command = prompts[0]
    if command.startswith("pid:"):
        Path(command[4:]).write_text(str(os.getpid()))
        time.sleep(60)
    if command.startswith("slow:"):
        time.sleep(float(command[5:]))
    if command == "raise":
        raise ValueError("no answer for " + answers[0])
    if command == "hang":
        time.sleep(3600)
    if command == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if command == "nan":
        return [math.nan] * len(prompts)
    if command == "short":
        return [1.0] * (len(prompts) - 1)
    if command == "text":
        return ["1.0"] * len(prompts)
    if command == "echo":
        return [float(m.get("score", len(prompts))) for m in metadata]
    return exact_match(prompts, completions, answers, metadata)

