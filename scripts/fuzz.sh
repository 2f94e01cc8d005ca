#!/usr/bin/env bash
# Builds a fuzz target of Fuzz/ with libFuzzer and sanitizers into .build-fuzz/, runs it for
# FUZZ_SECONDS, then prints executions, exec/s, coverage, corpus size and findings.
#
#   scripts/fuzz.sh [frames|captures]        (make fuzz [FUZZ_TARGET=captures] [FUZZ_SECONDS=30])
#
#   frames    FuzzFrameDecoding: bytes from the network -> Frame(decoding:limits:) and back
#   captures  FuzzCaptureFiles: a whole capture file -> RecordReader, CaptureEntry, openForAppend
#
# Swift code: -sanitize=fuzzer,address (swiftc has no UndefinedBehaviorSanitizer on Linux; Swift
# traps on overflow and out-of-bounds by itself). C code, the generated CFleetProto and
# libprotobuf-c itself, built here from Debian's source of the installed version (fetched once
# with apt-get source; without it the system library is linked, uninstrumented):
# -fsanitize=fuzzer-no-link,address,undefined. Reports in Fuzz/ubsan-suppressions.txt do not stop
# the run.
#
# The corpus grows across runs in .build-fuzz/corpus/TARGET (seeded each run: the golden frames
# for frames, captures written by RecordWriter for captures); findings (crash-*, leak-*, timeout-*,
# oom-* files) go to .build-fuzz/findings/TARGET. Reproduce one with
#   .build-fuzz/debug/FuzzFrameDecoding FILE
# Exit status: 0 if nothing was found, 1 on a finding, 2 if the target could not be built or run.
#
# Environment: FUZZ_SECONDS (600), FUZZ_MAX_LEN (input size cap in bytes, 1048576),
# FUZZ_TIMEOUT (seconds one input may take before it counts as a finding, 30).
# 1 MiB is the size of a real batch (the wire benchmark's are 1.03 MiB). It does not slow the run:
# libFuzzer lets inputs grow gradually: the largest after 10 minutes was about 20 KB.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

target=${1:-frames}
case "$target" in
  frames) binary=FuzzFrameDecoding ;;
  captures) binary=FuzzCaptureFiles ;;
  *) echo "usage: $0 [frames|captures]" >&2; exit 2 ;;
esac
seconds=${FUZZ_SECONDS:-600}
max_len=${FUZZ_MAX_LEN:-1048576}
timeout=${FUZZ_TIMEOUT:-30}
scratch=$top/.build-fuzz

# protobuf-c calls each message's generated __init through a generic function pointer, by design:
# -fsanitize=function would stop at the first message. shift-base stays recoverable so that the
# suppression file can name the one known report; halt_on_error makes every other one fatal.
c_sanitizers=(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
  -fno-sanitize-recover=all -fsanitize-recover=shift-base)

# MARK: - libprotobuf-c with sanitizers

# Prints the path of an instrumented protobuf-c object, or nothing when the source cannot be had.
instrumented_protobuf_c() {
  local version object source_dir apt_dir
  version=$(dpkg-query -W -f='${source:Version}' libprotobuf-c-dev 2>/dev/null) || return 0
  object=$scratch/protobuf-c/$version/protobuf-c.o
  source_dir=$scratch/protobuf-c/$version/source
  if [ ! -f "$source_dir/protobuf-c/protobuf-c.c" ]; then
    # Debian's source package of the installed version, through a private apt state: the system's
    # own package sources, read as deb-src, and nothing of the system's apt state changed.
    apt_dir=$scratch/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d" \
      "$scratch/protobuf-c/$version/download"
    rm -f "$apt_dir/sources.list.d/"*
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && sed 's/^Types: *deb$/Types: deb-src/' "$f" >"$apt_dir/sources.list.d/$(basename "$f")"
    done
    [ -f /etc/apt/sources.list ] && sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$apt_dir/sources.list.d/system.list"
    local apt=(apt-get -q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "Debug::NoLocking=1")
    echo "fuzz: fetching Debian's source of protobuf-c $version" >&2
    if ! ("${apt[@]}" update >/dev/null 2>&1 &&
      cd "$scratch/protobuf-c/$version/download" &&
      "${apt[@]}" source --download-only "protobuf-c=$version" >/dev/null 2>&1); then
      echo "fuzz: could not fetch it: libprotobuf-c is linked uninstrumented" >&2
      return 0
    fi
    rm -rf "$source_dir"
    dpkg-source --no-check -x "$scratch/protobuf-c/$version/download/"*.dsc "$source_dir" >/dev/null 2>&1 ||
      (mkdir -p "$source_dir" && tar xzf "$scratch/protobuf-c/$version/download/"*.orig.tar.gz -C "$source_dir" --strip-components=1)
  fi
  if [ ! -f "$object" ] || [ "$0" -nt "$object" ]; then
    clang -c -g -O1 -fno-omit-frame-pointer "${c_sanitizers[@]}" -I"$source_dir" \
      "$source_dir/protobuf-c/protobuf-c.c" -o "$object" >&2
  fi
  echo "$object"
}

# MARK: - Build

protobuf_c=$(instrumented_protobuf_c)
link_protobuf_c=()
if [ -n "$protobuf_c" ]; then
  # An object on the link line wins over libprotobuf-c.so for every symbol it defines.
  link_protobuf_c=(-Xlinker "$protobuf_c")
  # SwiftPM does not relink when only a linker input changed.
  [ "$protobuf_c" -nt "$scratch/debug/$binary" ] && rm -f "$scratch/debug/$binary"
fi
# --sanitize=fuzzer makes SwiftPM leave `main` to libFuzzer. It passes each sanitizer as its own
# -sanitize= flag, and swiftc keeps only the last one, so the Swift flags are given again, together.
# Debug build: as fast as release here (sanitizers and protobuf-c dominate) and more edges to see.
echo "fuzz: building $binary" >&2
if ! swift build --package-path Fuzz --scratch-path "$scratch" --product "$binary" \
  --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld \
  $(printf -- '-Xcc %s ' "${c_sanitizers[@]}") "${link_protobuf_c[@]}" >"$scratch/build-$target.log" 2>&1; then
  grep -v "prohibited flag" "$scratch/build-$target.log" | tail -30 >&2
  exit 2
fi

# MARK: - Run

corpus=$scratch/corpus/$target
findings=$scratch/findings/$target
mkdir -p "$corpus" "$findings" "$scratch/logs"
case "$target" in
  frames) cp -n Tests/FleetWireTests/Golden/*.bin "$corpus"/ ;;
  captures) ASAN_OPTIONS=detect_leaks=0 FLEET_FUZZ_WRITE_SEEDS="$corpus" "$scratch/debug/$binary" ;;
esac

log=$scratch/logs/$target-$(date -u +%Y%m%dT%H%M%SZ).log
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
echo "fuzz: running $binary for $seconds s, -max_len=$max_len (log: ${log#"$top"/}); load:$(uptime | sed 's/.*load average://')" >&2
status=0
# Swift's own crash backtracer reads the stack from another thread, which AddressSanitizer reports
# as a stack-buffer-underflow that hides the real message: libFuzzer's handler is enough.
SWIFT_BACKTRACE=enable=no \
  UBSAN_OPTIONS="suppressions=$top/Fuzz/ubsan-suppressions.txt:halt_on_error=1:print_stacktrace=1" \
  "$scratch/debug/$binary" "$corpus" -artifact_prefix="$findings/" -max_total_time="$seconds" \
  -max_len="$max_len" -timeout="$timeout" -print_final_stats=1 >"$log" 2>&1 || status=$?

# MARK: - Summary

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
new_findings=$(find "$findings" -type f -newer "$stamp" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
protobuf_c_note=$([ -n "$protobuf_c" ] && echo "instrumented" || echo "NOT instrumented (system library)")

echo "fuzz: $binary, $seconds s, libprotobuf-c $protobuf_c_note; load:$(uptime | sed 's/.*load average://')"
echo "fuzz: executions $(stat number_of_executed_units), $(stat average_exec_per_sec) exec/s, peak RSS $(stat peak_rss_mb) MB"
echo "fuzz: coverage cov ${cov:-?} ft ${ft:-?}"
echo "fuzz: corpus $(find "$corpus" -type f | wc -l) inputs, $(du -sb "$corpus" | cut -f1) bytes (${corpus#"$top"/})"
if [ -n "$new_findings" ] || [ "$status" -ne 0 ]; then
  echo "fuzz: FINDING (libFuzzer exit status $status):"
  for f in $new_findings; do echo "  ${f#"$top"/}"; done
  grep -m1 -A25 -E '^==[0-9]+==ERROR|runtime error|Fatal error|finding: |ERROR: libFuzzer' "$log" | sed 's/^/  | /' || true
  exit 1
fi
echo "fuzz: findings none"
