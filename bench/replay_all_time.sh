#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Times `rstlab replay --all-resets` on a generated capture (tools/gen_capture.cpp) holding
# about 1,000 connections that end with a reset: one process, one lab and one actor reused,
# every replay run and compared - once with --json alone (no folder written), once with
# --out (every replay's folder: traces, captures, diagrams, HTML). Prints replays per
# second and the load average (the machine may be shared) and records them in
# docs/benchmarks.md. Run as root after tools/build.
#   bench/replay_all_time.sh [PACKETS]        (default 33000: about 1,000 resets)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-33000}
. bench/lib.sh
need_build
temp_out
gen=build/gen-capture
[ -x "$gen" ] || { echo "bench: build first (tools/build)" >&2; exit 1; }
"$gen" --packets "$packets" --seed 3 --out "$out/gen.pcap" >/dev/null

# row LABEL ARGS... -> one table row: replays, faithful, seconds, rate, target met.
row() {
  local label=$1 t0 t1 n faithful ms rate
  shift
  t0=$(date +%s%N)
  "$bin" replay "$out/gen.pcap" --all-resets --json "$@" >"$out/replays.jsonl" || true
  t1=$(date +%s%N)
  n=$(wc -l <"$out/replays.jsonl")
  faithful=$(grep -c '"faithful":true' "$out/replays.jsonl" || true)
  ms=$(( (t1 - t0) / 1000000 ))
  rate=$(awk -v n="$n" -v ms="$ms" 'BEGIN {printf "%.0f", n * 1000 / ms}')
  echo "| \`rstlab replay gen.pcap --all-resets $label\` ($packets packets) | $n | $faithful |" \
    "$(awk -v ms="$ms" 'BEGIN {printf "%.1f", ms / 1000}') | $rate |" \
    "$(awk -v r="$rate" 'BEGIN {print (r >= 200 ? "yes" : "NO")}') |"
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
json_row=$(row "--json")
folders_row=$(row "--json --out DIR" --out "$out/runs")
load_after=$(cut -d' ' -f1 /proc/loadavg)

table=$(cat <<TABLE
| command (one run, wall) | replays | faithful | s | replays/s | 200/s |
|---|---|---|---|---|---|
$json_row
$folders_row
TABLE
)
echo "$table"
echo "load average (1 min): $load_before before, $load_after after"

record replay_all_time "$table" ", load average $load_before before and $load_after after"
