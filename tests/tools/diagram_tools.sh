#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks every output of a run with the tools people open them with: the SVG parses as
# XML, PlantUML renders the .puml without errors, headless Chromium renders the Mermaid
# text (Mermaid from the npm copy in .cache/js, loaded from the file system) and the HTML
# reports with no console errors, libpcap (tcpdump) reads the pcapng back and tshark
# finds the annotations in its packet comments. Needs root (it runs live scenarios).
#   tests/tools/diagram_tools.sh RSTLAB_BINARY
set -uo pipefail
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/tools
mermaid=$top/.cache/js/node_modules/mermaid/dist/mermaid.min.js
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

for tool in xmllint plantuml chromium tshark tcpdump; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (run tools/setup)"; exit 1; }
done
[ -f "$mermaid" ] || { echo "FAIL: $mermaid is missing (run tools/setup)"; exit 1; }

out=$work/out
"$bin" run broken-pipe reset-by-peer challenge-ack pipe-reader-gone middlebox-idle-reset --link both --out "$out" >/dev/null \
  || fail "rstlab run failed"

chrome() {  # url -> DOM on stdout, browser log in $work/chrome.log
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --allow-file-access-from-files --enable-logging=stderr --v=0 \
    --virtual-time-budget=15000 --dump-dom "$1" 2>"$work/chrome.log"
}

for dir in "$out"/*/*/; do
  name=${dir#"$out"/}
  name=${name%/}
  # SVG
  if xmllint --noout "$dir/diagram.svg" 2>"$work/xml.err"; then pass; else fail "$name: diagram.svg is not XML: $(cat "$work/xml.err")"; fi
  grep -q '<script' "$dir/diagram.svg" && fail "$name: diagram.svg is not self-contained"
  # PlantUML
  cp "$dir/diagram.puml" "$work/d.puml"
  if plantuml -tsvg -failfast2 "$work/d.puml" >"$work/puml.log" 2>&1 && ! grep -q "Syntax Error" "$work/d.svg"; then
    pass
  else
    fail "$name: plantuml could not render diagram.puml: $(head -5 "$work/puml.log")"
  fi
  # Mermaid in Chromium
  python3 - "$here/mermaid_harness.html.in" "$dir/diagram.mmd" "$mermaid" "$work/mermaid.html" <<'PY'
import html, sys
template, mmd, lib, out = sys.argv[1:]
page = open(template).read().replace('@DIAGRAM@', html.escape(open(mmd).read())).replace('@MERMAID@', 'file://' + lib)
open(out, 'w').write(page)
PY
  result=$(chrome "file://$work/mermaid.html" | grep -o '<div id="result">[^<]*' | sed 's/.*>//')
  case "$result" in
    RENDERED*) pass ;;
    *) fail "$name: Mermaid did not render diagram.mmd: $result" ;;
  esac
  # The run's HTML report
  dom=$(chrome "file://$dir/index.html")
  if grep -qiE 'CONSOLE|Uncaught' "$work/chrome.log"; then fail "$name: console errors on index.html: $(grep -iE 'CONSOLE|Uncaught' "$work/chrome.log" | head -3)"; else pass; fi
  echo "$dom" | grep -q '<div class="diagram" id="diagram">' && echo "$dom" | grep -q '<svg' \
    && echo "$dom" | grep -q 'id="timeline"' && pass || fail "$name: index.html lacks the diagram or the timeline"
  # pcapng: libpcap reads the packets, tshark finds the comments
  want=$(tcpdump -nr "$dir/capture.pcap" 2>/dev/null | wc -l)
  got=$(tcpdump -nr "$dir/capture.pcapng" 2>/dev/null | wc -l)
  [ "$want" = "$got" ] && pass || fail "$name: capture.pcapng has $got packets, capture.pcap $want"
  if [ "$want" -gt 0 ]; then
    comments=$(tshark -n -r "$dir/capture.pcapng" -T fields -e frame.comment 2>/dev/null | grep -c 'rstlab:')
    [ "$comments" -gt 0 ] && pass || fail "$name: tshark found no packet comments in capture.pcapng"
  fi
done

# A comment tshark must show on the broken-pipe RST.
tshark -n -r "$out/broken-pipe/veth/capture.pcapng" -Y 'tcp.flags.reset==1' -T fields -e frame.comment 2>/dev/null \
  | grep -q 'accepted in CLOSE_WAIT' && pass || fail "broken-pipe: the RST's comment does not say how it was accepted"
# The middle's RSTs say who sent them, in Wireshark too.
for link in veth tun; do
  tshark -n -r "$out/middlebox-idle-reset/$link/capture.pcapng" -Y 'tcp.flags.reset==1' -T fields -e frame.comment \
    2>/dev/null | grep -c 'injected by the middlebox' | grep -qx 2 && pass \
    || fail "middlebox-idle-reset/$link: the injected RSTs' comments do not name the middlebox"
done

# The index of all runs.
dom=$(chrome "file://$out/index.html")
rows=$(echo "$dom" | grep -o '<tr><td><a href' | wc -l)
[ "$rows" = 10 ] && pass || fail "index.html lists $rows runs, expected 10"

echo "diagram tools: $checks passed, $failures failed"
[ "$failures" = 0 ]
