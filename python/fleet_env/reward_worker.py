"""A reward server's worker process: imports the user's reward function once, then calls it on each
batch the server sends through a pipe and sends back the outcome, checked.

The function is called TRL-style, batched::

    fn(prompts: list[str], completions: list[str], answers: list[str], metadata: list[dict]) -> list[float]

and must return one finite number per completion. Outcomes sent back: ``("ok", [float, ...])``,
or ``(reason, detail)`` with reason ``raised``, ``bad_result`` or ``not_finite``.
"""
from __future__ import annotations

import importlib
import importlib.util
import math
import os
import signal
import traceback
from pathlib import Path

from .parent import signal_with_parent


def load_function(spec: str):
    """The callable ``spec`` names: ``module:function`` (a module on ``sys.path``) or
    ``path/to/file.py:function``; the function may be a dotted attribute (``module:Class.method``)."""
    source, separator, name = spec.rpartition(":")
    if not separator or not source or not name:
        raise ValueError(f"{spec!r} is not module:function or path/to/file.py:function")
    if source.endswith(".py") or os.sep in source:
        path = Path(source).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no file {path}")
        module_name = f"fleet_reward_{path.stem}"
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot load {path} as a module")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(source)
    function = module
    for part in name.split("."):
        function = getattr(function, part)
    if not callable(function):
        raise TypeError(f"{spec} is a {type(function).__name__}, not a callable")
    return function


def describe(error: BaseException) -> str:
    """``ErrorType: message (at file.py:line in function)`` on one line: where the error was raised."""
    message = " ".join(str(error).split())
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        text += f" (at {Path(last.filename).name}:{last.lineno} in {last.name})"
    return text


def checked_result(result, count: int):
    """``("ok", rewards)`` when ``result`` is ``count`` finite numbers, else the failure."""
    if isinstance(result, (str, bytes, dict)):
        return "bad_result", f"returned a {type(result).__name__}, expected a list of {count} numbers"
    try:
        values = list(result)
    except TypeError:
        return "bad_result", f"returned a {type(result).__name__}, expected a list of {count} numbers"
    rewards = []
    for i, value in enumerate(values):
        if isinstance(value, (str, bytes)):
            return "bad_result", f"reward {i} is a {type(value).__name__}, expected a number"
        try:
            rewards.append(float(value))
        except (TypeError, ValueError):
            return "bad_result", f"reward {i} is a {type(value).__name__}, expected a number"
    if len(rewards) != count:
        return "bad_result", f"returned {len(rewards)} rewards for {count} completions"
    bad = [i for i, reward in enumerate(rewards) if not math.isfinite(reward)]
    if bad:
        return "not_finite", f"reward {rewards[bad[0]]} for completion {bad[0]} ({len(bad)} of {count} not finite)"
    return "ok", rewards


def call(function, prompts, completions, answers, metadata):
    """Calls the function on one batch; returns the checked outcome."""
    try:
        result = function(prompts, completions, answers, metadata)
    except BaseException as error:  # SystemExit and KeyboardInterrupt from user code cost the call only
        return "raised", describe(error)
    return checked_result(result, len(prompts))


def run(connection, function_spec: str, server_pid: int) -> None:
    """The worker's life: import, say ``("ready", pid)`` (or ``("import_failed", detail)`` and
    end), then answer each batch until the pipe closes or ``None`` comes. It dies with the server."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal_with_parent(server_pid, signal.SIGKILL)
    try:
        function = load_function(function_spec)
    except BaseException as error:
        connection.send(("import_failed", describe(error)))
        return
    connection.send(("ready", os.getpid()))
    while True:
        try:
            batch = connection.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        connection.send(call(function, *batch))
