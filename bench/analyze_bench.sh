#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rstlab analyze against the reference tools on generated captures (1 M and 10 M
# packets, tools/gen_capture.cpp, seed 1), in one run: wall time, CPU time (user +
# system, all threads) and peak memory of
#   rstlab analyze FILE                                      (full annotation: the table)
#   rstlab analyze --explain FILE                            (the same, every reason in words)
#   rstlab analyze --json FILE                               (JSON Lines: every connection, every reason)
#   tcpdump -r FILE 'tcp[tcpflags] & tcp-rst != 0' -w /dev/null (BPF RST filter)
#   tshark -n -r FILE -Y tcp.flags.reset==1                   (dissector RST filter)
# with the ratios of both (wall time: what a user waits; CPU time: the work done, which
# a busy machine disturbs less), and the RSTs each finds. rstlab and tcpdump run 5 times
# each, alternately (a slow spell of this shared VM hits both), and the median of each
# measure is shown; tshark runs once (minutes on 10 M). rstlab's and tcpdump's timed runs
# write their output to /dev/null (their RST counts come from separate, untimed runs);
# tshark's goes to a file, to be counted. The file is read into the page cache first.
# Records the table in docs/benchmarks.md.
#   bench/analyze_bench.sh [--quick|--no-tshark-10m]
#     --quick: 1 M packets only; --no-tshark-10m: 10 M too, but tshark only on 1 M (it takes
#     about 3 minutes on 10 M). Only a full run records the table in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
bin=build/rstlab
gen=build/gen-capture
[ -x "$bin" ] && [ -x "$gen" ] || { echo "bench: build first (tools/build)" >&2; exit 1; }
for t in tcpdump tshark jq /usr/bin/time; do command -v "$t" >/dev/null || { echo "bench: $t missing (tools/setup)" >&2; exit 1; }; done
mkdir -p bench/out
. bench/lib.sh
case "$quick" in ""|--quick|--no-tshark-10m) ;; *) echo "usage: $0 [--quick|--no-tshark-10m]" >&2; exit 2 ;; esac
sizes=(1000000)
[ "$quick" = --quick ] || sizes+=(10000000)

measure() {  # command... -> "wall_seconds cpu_seconds peak_kB" of one run (its output to /dev/null, or to $count_to)
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o bench/out/time.txt "$@" 2>/dev/null >"${count_to:-/dev/null}" || true
  t1=$(date +%s%N)
  awk -v ns=$((t1 - t0)) -v t="$(tail -1 bench/out/time.txt)" \
    'BEGIN {split(t, f, " "); printf "%.3f %.3f %d\n", ns / 1e9, f[1] + f[2], f[3]}'
}

runs=5
# "wall cpu peak_kB" lines -> the median of each column on its own
median() {
  local lines
  lines=$(cat)
  printf '%s %s %s\n' \
    "$(printf '%s\n' "$lines" | awk '{print $1}' | sort -n | sed -n "$(((runs + 1) / 2))p")" \
    "$(printf '%s\n' "$lines" | awk '{print $2}' | sort -n | sed -n "$(((runs + 1) / 2))p")" \
    "$(printf '%s\n' "$lines" | awk '{print $3}' | sort -n | sed -n "$(((runs + 1) / 2))p")"
}

rows=""
for n in "${sizes[@]}"; do
  f=bench/out/$n.pcap
  [ -f "$f" ] || { echo "generating $f" >&2; "$gen" --packets "$n" --seed 1 --out "$f"; }
  cat "$f" >/dev/null  # every tool reads the file from the page cache
  r_runs=() e_runs=() j_runs=() d_runs=()
  for _ in $(seq "$runs"); do
    r_runs+=("$(measure "$bin" analyze "$f")")
    d_runs+=("$(measure tcpdump -r "$f" 'tcp[tcpflags] & tcp-rst != 0' -w /dev/null)")
    e_runs+=("$(measure "$bin" analyze --explain "$f")")
    j_runs+=("$(measure "$bin" analyze --json "$f")")
  done
  read -r r_s r_c r_kb < <(printf '%s\n' "${r_runs[@]}" | median)
  read -r e_s e_c e_kb < <(printf '%s\n' "${e_runs[@]}" | median)
  read -r j_s j_c j_kb < <(printf '%s\n' "${j_runs[@]}" | median)
  read -r d_s d_c d_kb < <(printf '%s\n' "${d_runs[@]}" | median)
  r_rst=$("$bin" analyze "$f" | sed -nE 's/.* connection\(s\), ([0-9]+) RST\(s\).*/\1/p')
  d_rst=$(tcpdump -r "$f" 'tcp[tcpflags] & tcp-rst != 0' 2>/dev/null | wc -l)
  j_rst=$("$bin" analyze --json "$f" | jq -s '[.[].resets | length] | add')
  if [ "$quick" = --no-tshark-10m ] && [ "$n" -gt 1000000 ]; then s_s=-; s_c=-; s_kb=-; s_rst=-; else
    cat "$f" >/dev/null
    # One run (minutes on 10 M), its output kept to count the RSTs it lists.
    read -r s_s s_c s_kb < <(count_to=bench/out/stdout.txt measure tshark -n -r "$f" -Y tcp.flags.reset==1)
    s_rst=$(wc -l < bench/out/stdout.txt)
  fi
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }
  mb() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.0f", k / 1024 }'; }
  m="$((n / 1000000)) M"
  vs() {  # wall cpu -> "Nx / Nx" against tcpdump, "Nx / Nx" faster than tshark
    printf '| %s / %s | %s / %s |' "$(ratio "$1" "$d_s")" "$(ratio "$2" "$d_c")" "$(ratio "$s_s" "$1")" "$(ratio "$s_c" "$2")"
  }
  rows+="| $m | \`rstlab analyze\` (the table) | $r_s | $r_c | $(mb "$r_kb") | $r_rst $(vs "$r_s" "$r_c")"$'\n'
  rows+="| $m | \`rstlab analyze --explain\` (every reason in words) | $e_s | $e_c | $(mb "$e_kb") | $r_rst $(vs "$e_s" "$e_c")"$'\n'
  rows+="| $m | \`rstlab analyze --json\` (every connection, every reason) | $j_s | $j_c | $(mb "$j_kb") | $j_rst $(vs "$j_s" "$j_c")"$'\n'
  rows+="| $m | tcpdump BPF filter | $d_s | $d_c | $(mb "$d_kb") | $d_rst (IPv4 only) | 1.0x | - |"$'\n'
  rows+="| $m | tshark RST filter | $s_s | $s_c | $(mb "$s_kb") | $s_rst | - | 1.0x |"$'\n'
done
table=$(printf '| packets | tool | wall s | CPU s | peak MB | RSTs found | x tcpdump'"'"'s time (wall / CPU) | x faster than tshark (wall / CPU) |\n|---|---|---|---|---|---|---|---|\n%s' "$rows")
echo "$table"

[ -n "$quick" ] || record analyze "$table" ", captures from gen-capture --seed 1"
