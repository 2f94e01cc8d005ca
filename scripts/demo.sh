#!/usr/bin/env bash
# What `make demo` shows. Training arrives with the PPO and cluster issues; until then the demo
# proves the two layers everything stands on: the wire codec and the ZeroMQ transport between
# two real processes, each measured against a baseline in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
fleet=.build/release/fleet
echo "== Fleet: the subcommands"
$fleet --help | sed -n '/SUBCOMMANDS/,$p'
echo
echo "== Wire codec: encode and decode+validate of float-heavy batches, against memcpy"
$fleet bench wire --quick
echo
echo "== Transport: PUSH/PULL between two processes over ipc and tcp, against raw libzmq"
$fleet bench transport --quick
echo
echo "== Tensor core: a PPO minibatch update, acting and a tiny LM, against the sgemm roofline"
$fleet bench tensor --quick
echo
echo "Training is not built yet: a local cluster learning CartPole arrives with the PPO and cluster issues."
