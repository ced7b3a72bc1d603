# SPDX-License-Identifier: MIT
# Shared by the bench scripts (sourced, not run).

# need_build -> bin=build/rstlab, or exits saying how to build it.
need_build() {
  bin=build/rstlab
  [ -x "$bin" ] || { echo "bench: build first (tools/build)" >&2; exit 1; }
}

# temp_out -> out=a fresh directory for run folders, removed when the script exits.
temp_out() {
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
}

# median_ms COMMAND... -> median wall time in ms (one decimal) over $runs runs.
median_ms() {
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "bench: '$*' failed" >&2; exit 1; }
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# record NAME TABLE [NOTE] -> rewrites the block between <!-- bench:NAME --> and
# <!-- /bench:NAME --> in docs/benchmarks.md with the date, the machine and TABLE.
record() {
  local name=$1 table=$2 note=${3:-}
  local doc=docs/benchmarks.md begin="<!-- bench:$1 -->" end="<!-- /bench:$1 -->"
  grep -q "$begin" "$doc" 2>/dev/null || return 0
  local block
  block=$(printf '%s\nMeasured %s on %s (%s cores, kernel %s)%s.\n\n%s\n%s' "$begin" "$(date -u +%Y-%m-%d)" \
    "$(uname -n)" "$(nproc)" "$(uname -r)" "$note" "$table" "$end")
  BLOCK="$block" awk -v b="$begin" -v e="$end" '
    $0 == b {print ENVIRON["BLOCK"]; skip = 1; next}
    $0 == e {skip = 0; next}
    !skip {print}' "$doc" > "$doc.tmp" && mv "$doc.tmp" "$doc"
  echo "recorded in $doc"
}
