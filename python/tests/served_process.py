"""A ``python -m fleet_env`` command run as a real process, with a ZeroMQ socket connected to it:
what the server tests (environment workers, reward servers) share."""
import os
import subprocess
import sys
from pathlib import Path

import zmq

import fleet_env

TESTS = Path(__file__).resolve().parent
FLEET_ENV_ROOT = Path(fleet_env.__file__).resolve().parent.parent  # the process runs the fleet_env these tests import


class ServedProcess:
    """``python -m fleet_env <arguments>`` and a socket of `socket_type` connected to `endpoint`."""

    def __init__(self, arguments, endpoint, socket_type):
        self.endpoint = endpoint
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FLEET_ENV_ROOT), str(TESTS)]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fleet_env", *arguments], env=environment, stderr=subprocess.PIPE, text=True)
        self.context = zmq.Context()
        self.socket = self.context.socket(socket_type)
        self.socket.setsockopt(zmq.LINGER, 0)

    def finish(self, timeout=10.0):
        """Waits for the process to exit; returns (exit code, stderr)."""
        _, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stderr

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        self.socket.close()
        self.context.term()
