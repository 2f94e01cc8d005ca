"""Shared by the cluster tests: the test directory on the import path, and a local cluster of the
Kubernetes pods (a learner and actor-0, actor-1), closed after each test."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pods import LocalCluster  # noqa: E402


@pytest.fixture
def cluster(tmp_path):
    cluster = LocalCluster(tmp_path, ["actor-0", "actor-1"])
    yield cluster
    cluster.close()
