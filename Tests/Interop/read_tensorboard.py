"""Reads a TensorBoard event file with TensorBoard's own loader and prints its scalars as JSON.

Usage: read_tensorboard.py EVENT_FILE

Prints {"file_version": ..., "scalars": {tag: [[step, value, wall_time], ...]}}. Used by
Tests/FleetClusterTests/TensorBoardInteropTests.swift: an independent reader of what Fleet writes.
"""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.backend.event_processing import event_file_loader


def main(path):
    # size_guidance 0 keeps every event (the default samples scalars down to 10,000 per tag).
    accumulator = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    scalars = {
        tag: [[event.step, event.value, event.wall_time] for event in accumulator.Scalars(tag)]
        for tag in sorted(accumulator.Tags()["scalars"])
    }
    first = next(iter(event_file_loader.LegacyEventFileLoader(path).Load()), None)
    print(json.dumps({"file_version": first.file_version if first else None, "scalars": scalars}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: read_tensorboard.py EVENT_FILE")
    main(sys.argv[1])
