"""Fleet's Python package.

- ``python -m fleet_env serve``: serve a vector of Gymnasium environments (an id, or your own
  ``module:factory``) to a Fleet actor over ZeroMQ, with Fleet's same-step autoreset.
- ``python -m fleet_env reward``: serve a Python reward function (``module:function``) to a Fleet
  learner of a GRPO or DAPO run, batched, in worker processes with a per-call timeout.
- ``fleet_env.captures``: read Fleet capture files as numpy arrays.
- ``python -m fleet_env actor``: a reference actor of Fleet's wire protocol.

The wire schema is ``proto/fleet.proto``; ``fleet_env.fleet_pb2`` is generated from it by
``proto/generate.sh``.
"""

__version__ = "0.1.0"
