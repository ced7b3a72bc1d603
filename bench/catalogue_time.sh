#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Times the whole built-in catalogue on both links in one process
# (rstlab run --all --link both), median of N runs, beside one single-scenario process
# for scale, and records the table in docs/benchmarks.md. Run as root after tools/build.
#   bench/catalogue_time.sh [RUNS]        (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
. bench/lib.sh
need_build
temp_out


count=$("$bin" list --json | wc -l)
one=$(median_ms "$bin" run broken-pipe --link veth --out "$out")
all=$(median_ms "$bin" run --all --link both --out "$out")
per=$(awk -v a="$all" -v n="$count" 'BEGIN {printf "%.1f", a / (2 * n)}')
ratio=$(awk -v a="$all" -v o="$one" 'BEGIN {printf "%.1fx", a / o}')
verdict=$(awk -v a="$all" 'BEGIN {print (a < 1000 ? "yes" : "NO")}')

table=$(cat <<TABLE
| command (median of $runs runs, wall) | ms | vs one scenario | under 1 s |
|---|---|---|---|
| \`rstlab run broken-pipe --link veth\` (one scenario, one process) | $one | 1.0x | - |
| \`rstlab run --all --link both\` ($count scenarios x 2 links = $((count * 2)) runs) | $all | $ratio | $verdict |
| per run inside the catalogue | $per | | |
TABLE
)
echo "$table"

record catalogue_time "$table"
