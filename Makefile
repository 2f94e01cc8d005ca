# The README's two commands: `make demo` and `make test`. Both install what is missing first.

SWIFT ?= swift
FLEET_PYTHON ?= $(CURDIR)/.build-python/bin/python
export FLEET_PYTHON

.PHONY: demo test solve-served examples slurm faults build release bench bench-allocations fuzz deps deps-python clean

## demo: install what is missing, build in release mode, and show Fleet working.
demo: deps release
	./scripts/demo.sh

## test: install what is missing (with Fleet's Python package, pip-installed into .build-python,
## and transformers beside Debian's torch in .build-hf), then the whole suite: the Python package's
## tests, the Hugging Face interop tests (python/tests_hf: GPT-2 folders and tokenizers) and the
## cluster templates' (cluster/tests: the Kubernetes manifests and their pods as local processes),
## against the debug `fleet`, then Swift's.
test:
	./scripts/install-deps.sh --python
	$(SWIFT) build --build-tests
	FLEET_BINARY=$(CURDIR)/.build/debug/fleet $(FLEET_PYTHON) -m pytest -q python/tests
	FLEET_BINARY=$(CURDIR)/.build/debug/fleet $(CURDIR)/.build-hf/bin/python -m pytest -q python/tests_hf
	FLEET_BINARY=$(CURDIR)/.build/debug/fleet $(FLEET_PYTHON) -m pytest -q -s cluster/tests
	$(SWIFT) test --disable-swift-testing

## solve-served: Gymnasium's CartPole-v1 served from Python, trained for seeds 1-3 (2 of 3 must
## solve it); about three minutes in release mode. CI runs it after `make test`.
solve-served: deps-python release
	./scripts/solve-served-cartpole.sh

## examples: build Examples/CustomEnvironment (your own Swift environment, Fleet by path) and train
## it with the example's own executable. CI runs it after `make test`.
examples: deps
	./scripts/check-examples.sh

## slurm: a real Slurm cluster on this machine (Debian's slurmctld, munge, and a slurmd per network-
## namespace host: cluster/slurm/testbed/) runs cluster/slurm/fleet-cluster.sbatch with the release
## `fleet`: a clean run, scancel, a killed actor, a requeue, two jobs at once, a killed learner; a
## figure line each. Needs root; about three minutes. CI runs it after `make test`.
slurm: deps release
	./scripts/install-deps.sh --slurm
	python3 cluster/slurm/testbed/check.py --fleet .build/release/fleet

## faults: every fault test of RELIABILITY.md, the long ones too; their figures at the end.
faults:
	./scripts/install-deps.sh
	$(SWIFT) build --build-tests
	bash -o pipefail -c 'FLEET_FAULTS_LONG=1 $(SWIFT) test --disable-swift-testing --filter FleetFaultTests 2>&1 | tee .build/faults.log'
	@grep '^FAULT |' .build/faults.log

## bench: every `fleet bench` sub-suite, in release mode (`served` uses .build-python's fleet_env).
bench: deps-python release
	.build/release/fleet bench

## bench-allocations: the tensor suite with malloc calls counted (bench/malloc-count.c preloaded).
bench-allocations: deps release
	cc -O2 -shared -fPIC -o .build/malloc-count.so bench/malloc-count.c
	LD_PRELOAD=$(CURDIR)/.build/malloc-count.so .build/release/fleet bench tensor

## fuzz: libFuzzer with sanitizers on the wire decode path for FUZZ_SECONDS (FUZZ_TARGET=captures:
## capture files); exits non-zero on a finding. Builds into .build-fuzz/, apart from `swift build`.
FUZZ_SECONDS ?= 600
FUZZ_TARGET ?= frames
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh $(FUZZ_TARGET)

deps:
	./scripts/install-deps.sh

deps-python:
	./scripts/install-deps.sh --python

build: deps
	$(SWIFT) build

release:
	$(SWIFT) build -c release --product fleet

clean:
	rm -rf .build .build-python .build-hf .build-fuzz
