#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# rstlab analyze against the reference tools on generated captures (1 M and 10 M
# packets, tools/gen_capture.cpp, seed 1), in one run: wall time and peak memory of
#   rstlab analyze FILE                                      (full annotation: the table)
#   rstlab analyze --explain FILE                            (the same, every reason in words)
#   rstlab analyze --json FILE                               (JSON Lines: every connection, every reason)
#   tcpdump -r FILE 'tcp[tcpflags] & tcp-rst != 0' -w /dev/null (BPF RST filter)
#   tshark -n -r FILE -Y tcp.flags.reset==1                   (dissector RST filter)
# with the ratios, and the RSTs each finds. rstlab and tcpdump run 5 times each,
# alternately (a slow spell of this shared VM hits both), and the median run of each is
# shown; tshark runs once (minutes on 10 M). rstlab's and tcpdump's timed runs write
# their output to /dev/null (their RST counts come from separate, untimed runs); tshark's
# goes to a file, to be counted. The file is read into the page cache first. Records the table in docs/benchmarks.md.
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

measure() {  # command... -> "seconds peak_kB" of one run (its output to /dev/null, or to $count_to)
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o bench/out/time.txt "$@" 2>/dev/null >"${count_to:-/dev/null}" || true
  t1=$(date +%s%N)
  awk -v ns=$((t1 - t0)) -v kb="$(tail -1 bench/out/time.txt)" 'BEGIN {printf "%.3f %d\n", ns / 1e9, kb}'
}

runs=5
median() { sort -n | sed -n "$(((runs + 1) / 2))p"; }  # "seconds peak_kB" lines -> the median run

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
  read -r r_s r_kb < <(printf '%s\n' "${r_runs[@]}" | median)
  read -r e_s e_kb < <(printf '%s\n' "${e_runs[@]}" | median)
  read -r j_s j_kb < <(printf '%s\n' "${j_runs[@]}" | median)
  read -r d_s d_kb < <(printf '%s\n' "${d_runs[@]}" | median)
  r_rst=$("$bin" analyze "$f" | sed -nE 's/.* connection\(s\), ([0-9]+) RST\(s\).*/\1/p')
  d_rst=$(tcpdump -r "$f" 'tcp[tcpflags] & tcp-rst != 0' 2>/dev/null | wc -l)
  j_rst=$("$bin" analyze --json "$f" | jq -s '[.[].resets | length] | add')
  if [ -n "$quick" ] && [ "$n" -gt 1000000 ]; then s_s=-; s_kb=-; s_rst=-; else
    cat "$f" >/dev/null
    # One run (minutes on 10 M), its output kept to count the RSTs it lists.
    read -r s_s s_kb < <(count_to=bench/out/stdout.txt measure tshark -n -r "$f" -Y tcp.flags.reset==1)
    s_rst=$(wc -l < bench/out/stdout.txt)
  fi
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }
  mb() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.0f", k / 1024 }'; }
  rows+="| $((n / 1000000)) M | \`rstlab analyze\` | $r_s | $(mb "$r_kb") | $r_rst | 1.0x |"$'\n'
  rows+="| $((n / 1000000)) M | \`rstlab analyze --explain\` (every reason in words) | $e_s | $(mb "$e_kb") | $r_rst | $(ratio "$e_s" "$d_s") tcpdump's time, $(ratio "$s_s" "$e_s") faster than tshark |"$'\n'
  rows+="| $((n / 1000000)) M | \`rstlab analyze --json\` (every connection, every reason) | $j_s | $(mb "$j_kb") | $j_rst | $(ratio "$j_s" "$d_s") tcpdump's time, $(ratio "$s_s" "$j_s") faster than tshark |"$'\n'
  rows+="| $((n / 1000000)) M | tcpdump BPF filter | $d_s | $(mb "$d_kb") | $d_rst (IPv4 only) | rstlab $(ratio "$r_s" "$d_s") slower |"$'\n'
  rows+="| $((n / 1000000)) M | tshark RST filter | $s_s | $(mb "$s_kb") | $s_rst | rstlab $(ratio "$s_s" "$r_s") faster |"$'\n'
done
table=$(printf '| packets | tool | seconds | peak MB | RSTs found | ratio |\n|---|---|---|---|---|---|\n%s' "$rows")
echo "$table"

[ -n "$quick" ] || record analyze "$table" ", captures from gen-capture --seed 1"
