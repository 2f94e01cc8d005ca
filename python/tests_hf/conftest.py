import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fleet_binary():
    """The fleet executable under test: $FLEET_BINARY (e.g. $PWD/.build/debug/fleet)."""
    path = os.environ.get("FLEET_BINARY")
    if not path or not Path(path).is_file():
        pytest.fail("set FLEET_BINARY to the fleet executable (swift build --product fleet; .build/debug/fleet)")
    return path
