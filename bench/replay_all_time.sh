#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Times `rstlab replay --all-resets` on a generated capture (tools/gen_capture.cpp) holding
# about 1,000 connections that end with an RST: one process, one lab reused, every replay
# run, compared and written to its folder. Prints replays per second and records it in
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

t0=$(date +%s%N)
"$bin" replay "$out/gen.pcap" --all-resets --json --out "$out/runs" >"$out/replays.jsonl" || true
t1=$(date +%s%N)
n=$(wc -l <"$out/replays.jsonl")
faithful=$(grep -c '"faithful":true' "$out/replays.jsonl" || true)
ms=$(( (t1 - t0) / 1000000 ))
rate=$(awk -v n="$n" -v ms="$ms" 'BEGIN {printf "%.0f", n * 1000 / ms}')

table=$(cat <<TABLE
| command (one run, wall) | replays | faithful | s | replays/s | 200/s |
|---|---|---|---|---|---|
| \`rstlab replay gen.pcap --all-resets --json\` ($packets packets) | $n | $faithful | $(awk -v ms="$ms" 'BEGIN {printf "%.1f", ms / 1000}') | $rate | $(awk -v r="$rate" 'BEGIN {print (r >= 200 ? "yes" : "NO")}') |
TABLE
)
echo "$table"

record replay_all_time "$table"
