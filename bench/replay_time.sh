#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Times one replay as a whole process (rstlab replay of a capture of broken-pipe: read
# the file, infer the scenario, build the lab, run it, compare, write the folder) beside
# rstlab run of the same scenario, median of N runs per link. Prints the table and
# records it in docs/benchmarks.md. Run as root after tools/build.
#   bench/replay_time.sh [RUNS]        (default 21)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
. bench/lib.sh
need_build
temp_out

run_veth=$(median_ms "$bin" run broken-pipe --link veth --out "$out")
replay_veth=$(median_ms "$bin" replay captures/broken-pipe-veth.pcap --link veth --out "$out")
run_tun=$(median_ms "$bin" run broken-pipe --link tun --out "$out")
replay_tun=$(median_ms "$bin" replay captures/broken-pipe-veth.pcap --link tun --out "$out")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a/b}'; }

table=$(cat <<TABLE
| command (median of $runs runs, wall) | ms | vs rstlab run |
|---|---|---|
| \`rstlab run broken-pipe --link veth\` | $run_veth | 1.00x |
| \`rstlab replay captures/broken-pipe-veth.pcap --link veth\` | $replay_veth | $(ratio "$replay_veth" "$run_veth") |
| \`rstlab run broken-pipe --link tun\` | $run_tun | 1.00x |
| \`rstlab replay captures/broken-pipe-veth.pcap --link tun\` | $replay_tun | $(ratio "$replay_tun" "$run_tun") |
TABLE
)
echo "$table"

record replay_time "$table"
