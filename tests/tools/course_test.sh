#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The course: `rstlab course` runs its scenarios live and writes the site; a lesson is
# then driven in headless Chromium (course_browser.mjs, over the DevTools protocol):
# arrow keys and clicks, a right and a wrong answer, the page's state after each, the
# print layout, no console errors. Also --from a folder of runs, and the refusal to
# replace a folder that is not a course. Needs root (live runs) and tools/setup.
#   tests/tools/course_test.sh RSTLAB_BINARY
set -uo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

command -v chromium >/dev/null || { echo "FAIL: chromium is not installed (run tools/setup)"; exit 1; }
# The browser part needs node >= 20 (--experimental-websocket; Debian 12's node is 18): the
# system's, else the one tools/setup puts in .cache/node/. Without one, everything else is
# checked and the test reports itself skipped (77), saying why.
node_major() { "$1" -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
node=""
for n in node "$top"/.cache/node/node_modules/node-linux-*/bin/node; do
  if command -v "$n" >/dev/null && [ "$(node_major "$n")" -ge 20 ]; then node=$n; break; fi
done

# Live: every lesson of the course.
if "$bin" course --out "$work/course" >"$work/out.txt" 2>"$work/err.txt"; then pass; else fail "rstlab course failed: $(cat "$work/err.txt")"; fi
grep -q "^wrote $work/course/index.html: [0-9]* lessons, [0-9]* questions$" "$work/out.txt" && pass \
  || fail "rstlab course printed: $(cat "$work/out.txt")"
lessons=$(ls "$work/course"/lesson-*.html 2>/dev/null | wc -l)
[ "$lessons" -ge 30 ] && pass || fail "the course has $lessons lessons"
grep -qE 'src=|href="https?:|url\((https?:|//)' "$work/course"/*.html && fail "a page loads something from elsewhere" || pass
ls -d "$work"/course.* "$work"/.course* 2>/dev/null | grep -q . && fail "temporary folders left: $(ls -a "$work")" || pass

# Written again over itself: replaced whole.
touch "$work/course/stale.html"
"$bin" course --out "$work/course" >/dev/null 2>&1 && [ ! -e "$work/course/stale.html" ] && pass \
  || fail "a second course did not replace the first whole"

# --from: runs saved earlier (the reviewed traces).
for name in broken-pipe reset-by-peer-kernel challenge-ack middlebox-idle-reset ladder-long; do
  mkdir -p "$work/runs/$name/veth"
  cp "$top/tests/data/golden/$name.trace.json" "$work/runs/$name/veth/trace.json"
done
"$bin" course --from "$work/runs" --out "$work/from" >/dev/null 2>"$work/err.txt" && pass \
  || fail "course --from failed: $(cat "$work/err.txt")"
[ "$(ls "$work/from"/lesson-*.html | wc -l)" = 5 ] && pass || fail "course --from wrote $(ls "$work/from")"
grep -q 'More scenarios' "$work/from/index.html" && pass || fail "a run the course does not name is not under More scenarios"

# Refusals: exit 2 and one line saying why.
mkdir "$work/mine" && echo keep >"$work/mine/notes.txt"
"$bin" course --from "$work/runs" --out "$work/mine" 2>"$work/err.txt"
rc=$?
[ "$rc" = 2 ] && grep -q 'not a course' "$work/err.txt" && [ -e "$work/mine/notes.txt" ] && pass \
  || fail "course --out over a folder of other files: rc $rc, $(cat "$work/err.txt")"
"$bin" course --from "$work/mine" --out "$work/x" 2>"$work/err.txt"
rc=$?
[ "$rc" = 2 ] && grep -q 'no run folders' "$work/err.txt" && pass || fail "course --from without runs: rc $rc, $(cat "$work/err.txt")"

# In the browser: the broken-pipe lesson (two questions: a write after the FIN, then EPIPE).
lesson=$(cd "$work/course" && ls lesson-*-broken-pipe.html | head -1)
if [ -z "$node" ]; then
  echo "course test: $checks passed, $failures failed; the browser part SKIPPED: no node >= 20" \
    "(found: $(node --version 2>/dev/null || echo none); tools/setup installs Node 20 from npm into .cache/node)"
  [ "$failures" = 0 ] && exit 77
  exit 1
fi
if "$node" --experimental-websocket --no-warnings "$here/course_browser.mjs" "$work/course" "$lesson" "$work/profile" \
  >"$work/browser.txt" 2>&1; then
  pass
else
  fail "the lesson in Chromium: $(cat "$work/browser.txt")"
fi
grep -v '^course browser:' "$work/browser.txt"
tail -1 "$work/browser.txt"

echo "course test: $checks passed, $failures failed"
[ "$failures" = 0 ]
