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
bin=build/rstlab
[ -x "$bin" ] || { echo "bench: build first (tools/build)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

median_ms() {  # command... -> median wall time in ms over $runs runs
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

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

doc=docs/benchmarks.md
begin='<!-- bench:scenario_time -->'
end='<!-- /bench:scenario_time -->'
if grep -q "$begin" "$doc" 2>/dev/null; then
  block=$(printf '%s\nMeasured %s on %s (%s cores, kernel %s).\n\n%s\n%s' "$begin" "$(date -u +%Y-%m-%d)" \
    "$(uname -n)" "$(nproc)" "$(uname -r)" "$table" "$end")
  BLOCK="$block" awk -v b="$begin" -v e="$end" '
    $0 == b {print ENVIRON["BLOCK"]; skip = 1; next}
    $0 == e {skip = 0; next}
    !skip {print}' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "recorded in $doc"
fi
