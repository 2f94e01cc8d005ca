"""bench/peers/compare.py's own logic, without the peers (it needs only the standard library): the
rounds rotate the order of the systems and collect every report, a failing program stops the
comparison with its error, and unknown parts are refused before anything runs."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

COMPARE = Path(__file__).resolve().parents[2] / "bench/peers/compare.py"
spec = importlib.util.spec_from_file_location("peer_compare", COMPARE)
compare = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare)


def reporter(name, log):
    """A command that appends its name to `log` and prints a report, as the peer programs do."""
    script = (f"open({str(log)!r}, 'a').write({name!r} + '\\n'); "
              f"print('a line before the report'); print({json.dumps(json.dumps({'name': name, 'threads': 1}))})")
    return [sys.executable, "-c", script]


def test_rounds_rotate_the_order_and_keep_every_report(tmp_path):
    log = tmp_path / "order"
    systems = {key: reporter(key, log) for key in ("a", "b", "c")}
    results = compare.run_rounds(3, systems, {key: key for key in systems}, lambda report: "")
    assert log.read_text().split() == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert {key: [r["name"] for r in runs] for key, runs in results.items()} == {k: [k] * 3 for k in "abc"}


def test_a_failing_program_stops_the_comparison_with_its_error():
    failing = [sys.executable, "-c", "import sys; sys.exit('no torch here')"]
    with pytest.raises(SystemExit, match="no torch here"):
        compare.json_run(failing)


def test_unknown_parts_are_refused():
    result = subprocess.run([sys.executable, str(COMPARE), "--only", "updates,nothing"], capture_output=True, text=True)
    assert result.returncode == 2 and "unknown parts ['nothing']" in result.stderr
