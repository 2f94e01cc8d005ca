#!/usr/bin/env bash
# Regenerates the committed protoc-c code of Sources/CFleetProto from proto/*.proto.
#
#   proto/generate.sh           write the generated files into Sources/CFleetProto
#   proto/generate.sh --check   exit 1 (and show the diff) when the committed files differ
#
# Needs protoc-c (Debian: protobuf-c-compiler).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
target="$top/Sources/CFleetProto"

command -v protoc-c >/dev/null || { echo "generate.sh: protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 2; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --c_out="$out" -I"$here" "$here"/*.proto

stale=0
for generated in "$out"/*.pb-c.c "$out"/*.pb-c.h; do
  name=$(basename "$generated")
  case "$name" in *.h) committed="$target/include/$name" ;; *) committed="$target/$name" ;; esac
  if [ "${1:-}" = "--check" ]; then
    if ! diff -u "$committed" "$generated"; then
      echo "generate.sh: $committed is not what protoc-c makes of proto/: run proto/generate.sh" >&2
      stale=1
    fi
  else
    cp "$generated" "$committed"
  fi
done
exit $stale
