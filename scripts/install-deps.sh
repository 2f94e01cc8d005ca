#!/usr/bin/env bash
# Installs what Fleet needs and is missing, and nothing else:
#   - Debian packages: libzmq, protobuf-c (library and compiler), OpenBLAS, protoc, pkg-config,
#     iproute2 (`ip`: the multi-host tests' network namespaces); `apt-get update` runs once, and
#     only when something is missing.
#   - with --python: a virtual environment in .build-python/ holding the independent protobuf
#     implementation that the interop test uses (Tests/Interop/requirements.txt), and Fleet's own
#     Python package, installed from python/ as a user would (`pip install ./python[test]`), which
#     the remote-environment tests run and whose own tests `make test` runs, and what the cluster
#     templates' tests need (cluster/tests/requirements.txt: the Kubernetes schema validator), and
#     MinAtar's games for fleet_env.minatar (without their plotting dependencies: numpy plays them);
#     and a second environment in .build-hf/ for the Hugging Face interop tests (python/tests_hf):
#     Debian's python3-torch (PyPI's torch wheels carry CUDA) seen through --system-site-packages,
#     with `transformers` and `tokenizers` from PyPI (python/tests_hf/requirements.txt).
#   - with --slurm: Debian's Slurm (slurmctld, slurmd, the clients) and munge, for the test bed of
#     `make slurm` (cluster/slurm/testbed/).
# Safe to run again: it does nothing when everything is there.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

packages=(libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libopenblas-dev protobuf-compiler pkg-config iproute2)
if [ "${1:-}" = "--slurm" ]; then packages+=(slurmctld slurmd slurm-client munge); fi
if [ "${1:-}" = "--python" ]; then packages+=(python3-venv python3-torch); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--python" ]; then
  venv="$top/.build-python"
  stamp="$venv/.installed"
  # Reinstall when the requirements or the package change.
  wanted=$(cat "$top/scripts/install-deps.sh" "$top/Tests/Interop/requirements.txt" "$top/cluster/tests/requirements.txt" "$top/python/pyproject.toml" \
    "$top"/python/fleet_env/*.py | sha256sum)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "install-deps: preparing $venv (the interop test's protobuf, the cluster tests' validator, and pip install ./python)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$top/Tests/Interop/requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$top/cluster/tests/requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$top/python[test]"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "MinAtar==1.0.15"
    echo "$wanted" > "$stamp"
  fi

  hf="$top/.build-hf"
  hf_stamp="$hf/.installed"
  hf_wanted=$(cat "$top/scripts/install-deps.sh" "$top/python/tests_hf/requirements.txt" | sha256sum)
  if [ "$(cat "$hf_stamp" 2>/dev/null)" != "$hf_wanted" ]; then
    echo "install-deps: preparing $hf (Debian's torch, and transformers from PyPI, for the Hugging Face interop tests)"
    [ -x "$hf/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$hf"
    "$hf/bin/pip" install --quiet --disable-pip-version-check -r "$top/python/tests_hf/requirements.txt"
    echo "$hf_wanted" > "$hf_stamp"
  fi
fi
