#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Times one scenario as a whole process (rstlab run broken-pipe), median of N runs per
# link, side by side with the floor of any namespace-based tool: `unshare --net true`
# (create and drop one network namespace). Prints the table and records it in
# docs/benchmarks.md. Run as root after tools/build.
#   bench/scenario_time.sh [RUNS]        (default 21)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-21}
. bench/lib.sh
need_build
temp_out


ref=$(median_ms unshare --net true)
veth=$(median_ms "$bin" run broken-pipe --link veth --out "$out")
tun=$(median_ms "$bin" run broken-pipe --link tun --out "$out")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a/b}'; }
verdict() { awk -v a="$1" 'BEGIN {print (a < 50 ? "yes" : "NO")}'; }

table=$(cat <<TABLE
| command (median of $runs runs, wall) | ms | vs unshare --net true | under 50 ms |
|---|---|---|---|
| \`unshare --net true\` (reference floor) | $ref | 1.0x | $(verdict "$ref") |
| \`rstlab run broken-pipe --link veth\` | $veth | $(ratio "$veth" "$ref") | $(verdict "$veth") |
| \`rstlab run broken-pipe --link tun\` | $tun | $(ratio "$tun" "$ref") | $(verdict "$tun") |
TABLE
)
echo "$table"

record scenario_time "$table"
