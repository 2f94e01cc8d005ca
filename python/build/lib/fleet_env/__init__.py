"""Fleet's Python package.

- ``python -m fleet_env serve``: serve a vector of Gymnasium environments (an id, or your own
  ``module:factory``) to a Fleet actor over ZeroMQ, with Fleet's same-step autoreset.
- ``fleet_env.captures``: read Fleet capture files as numpy arrays.
- ``python -m fleet_env actor``: a reference actor of Fleet's wire protocol.

The wire schema is ``proto/fleet.proto``; ``fleet_env.fleet_pb2`` is generated from it by
``proto/generate.sh``.
"""

__version__ = "0.1.0"
