#!/usr/bin/env bash
# Regenerates the committed code made from proto/*.proto: the protoc-c code of Sources/CFleetProto
# and the Python classes of python/fleet_env/fleet_pb2.py.
#
#   proto/generate.sh           write the generated files
#   proto/generate.sh --check   exit 1 (and show the diff) when a committed file differs
#
# Needs protoc-c (Debian: protobuf-c-compiler) and protoc (Debian: protobuf-compiler).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
c_target="$top/Sources/CFleetProto"
python_target="$top/python/fleet_env"

command -v protoc-c >/dev/null || { echo "generate.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 2; }
command -v protoc >/dev/null || { echo "generate.sh: protoc not found (apt-get install protobuf-compiler)" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --c_out="$out" -I"$here" "$here"/*.proto
protoc --python_out="$out" -I"$here" "$here"/*.proto

stale=0
for generated in "$out"/*.pb-c.c "$out"/*.pb-c.h "$out"/*_pb2.py; do
  name=$(basename "$generated")
  case "$name" in
    *.h) committed="$c_target/include/$name" ;;
    *.py) committed="$python_target/$name" ;;
    *) committed="$c_target/$name" ;;
  esac
  if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$committed" "$generated"; then
      echo "generate.sh: $committed is not what protoc makes of proto/: run proto/generate.sh" >&2
      stale=1
    fi
  else
    cp "$generated" "$committed"
  fi
done
exit $stale
