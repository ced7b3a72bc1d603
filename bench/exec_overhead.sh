#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What tracing costs a program under `rstlab exec`: the same program (tests/programs/
# classic.c, `pingpong N`: N one-byte round trips over loopback, 4 calls each, no sleeps)
# run plainly in a network namespace, under strace with rstlab's options, and as a whole
# `rstlab exec` (lab, capture, trace, run folder). Median of RUNS runs each. Prints the
# table and records it in docs/benchmarks.md. Run as root after tools/build.
#   bench/exec_overhead.sh [RUNS] [N]        (default 11 runs, N = 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
n=${2:-2000}
. bench/lib.sh
need_build
temp_out
prog=build/tests/classic
[ -x "$prog" ] || { echo "bench: build the tests first (cmake --build build --target classic)" >&2; exit 1; }
calls=$((4 * n))
# The options program_run.cpp gives strace (src/runner/program_run.cpp, kTraced/kSignals).
traced='trace=?socket,?connect,?accept,?accept4,?listen,?read,?readv,?recvfrom,?recvmsg,?recvmmsg,?write,?writev,?sendto,?sendmsg,?sendmmsg,?sendfile,?splice,?shutdown,?close,?poll,?ppoll,?select,?_newselect,?pselect6,?epoll_ctl,?epoll_wait,?epoll_pwait,?epoll_pwait2,?setsockopt,?getsockopt,?pipe,?pipe2,?clone,?clone3,?fork,?vfork,?execve,?execveat,?rt_sigaction'

plain=$(median_ms unshare --net sh -c "ip link set lo up && $prog pingpong $n")
empty=$(median_ms unshare --net sh -c "ip link set lo up && $prog pingpong 0")
strace_ms=$(median_ms unshare --net sh -c "ip link set lo up && strace -f -ttt -T -yy -q -s 96 -e '$traced' -e 'signal=!SIGCHLD,SIGURG,SIGWINCH' -o $out/s.txt $prog pingpong $n")
bpf_ms=$(median_ms unshare --net sh -c "ip link set lo up && strace -f -ttt -T -yy -q --seccomp-bpf -s 96 -e '$traced' -e 'signal=!SIGCHLD,SIGURG,SIGWINCH' -o $out/s.txt $prog pingpong $n")
# Exit status 1 (an incomplete run: a busy machine's capture may drop packets of 8000) is
# still a run to time; only 2 and above are failures.
run_exec() {
  local rc=0
  "$bin" exec --out "$out" -- "$prog" pingpong "$1" || rc=$?
  [ "$rc" -le 1 ]
}
exec_ms=$(median_ms run_exec "$n")
exec0_ms=$(median_ms run_exec 0)
per_call() { awk -v a="$1" -v b="$2" -v c="$calls" 'BEGIN {printf "%.1f", (a - b) * 1000 / c}'; }

table=$(cat <<TABLE
| \`classic pingpong $n\` ($calls calls; median of $runs runs, wall) | ms | µs per call over plain |
|---|---|---|
| plain, in a network namespace | $plain | - |
| under strace, rstlab's options | $strace_ms | $(per_call "$strace_ms" "$plain") |
| under strace, the same with \`--seccomp-bpf\` | $bpf_ms | $(per_call "$bpf_ms" "$plain") |
| \`rstlab exec\` (lab, capture, trace, run folder) | $exec_ms | $(per_call "$exec_ms" "$plain") |
| \`classic pingpong 0\` plain / under \`rstlab exec\` (fixed cost) | $empty / $exec0_ms | - |
TABLE
)
echo "$table"
record exec_overhead "$table"
