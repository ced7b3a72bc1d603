#!/bin/bash
# SPDX-License-Identifier: MIT
# The bash completion, sourced directly (the bash-completion package is not needed) and
# asked as bash asks it on Tab: COMP_WORDS and COMP_CWORD set, _rstlab called, COMPREPLY read.
# Usage: completion_test.sh RSTLAB_BINARY SOURCE_DIR
set -u
rstlab=$1
src=$2
PATH=$(dirname "$(readlink -f "$rstlab")"):$PATH
# shellcheck source=../../completion/rstlab.bash
source "$src/completion/rstlab.bash"
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# complete WORD... : the sorted completions of the last word, space-separated.
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  _rstlab
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {  # expect "WANTED" WORD...
  local wanted=$1 got
  shift
  got=$(complete_words "$@")
  if [ "$got" != "$wanted" ]; then
    echo "FAIL: '$*<Tab>' completes to '$got', expected '$wanted'" >&2
    failed=1
  fi
}
includes() {  # includes "NAME..." WORD...: each NAME is among the completions
  local names=$1 got n
  shift
  got=" $(complete_words "$@") "
  for n in $names; do
    if [[ $got != *" $n "* ]]; then
      echo "FAIL: '$*<Tab>' completes to '$got', without '$n'" >&2
      failed=1
    fi
  done
}

complete -p rstlab >/dev/null 2>&1 || { echo "FAIL: the script registers no completion for rstlab" >&2; failed=1; }
expect "run" rstlab ru
expect "analyze course diagram exec explain list replay run show" rstlab ""
expect "--help --version" rstlab --
includes "broken-pipe broken-pipe-kernel" rstlab run br
# Every name it offers is a built-in scenario whose name starts so.
for n in $(complete_words rstlab run br); do
  [[ $n == br* ]] || { echo "FAIL: 'rstlab run br<Tab>' offers '$n'" >&2; failed=1; }
done
[ "$(complete_words rstlab run br | wc -w)" -eq "$("$rstlab" list --json | grep -c '^{"name":"br')" ] ||
  { echo "FAIL: 'rstlab run br<Tab>' is not every built-in name starting with br" >&2; failed=1; }
includes "challenge-ack" rstlab show chall
expect "both tun veth" rstlab run --link ""
expect "tun" rstlab run broken-pipe --link t
expect "veth" rstlab run --link = v
expect "--link" rstlab run --li
expect "--all --allow-exec --help --json --link --out --user -h" rstlab run -
includes "--explain --flow --svg --html" rstlab analyze --
expect "html mermaid plantuml svg text" rstlab diagram -f ""
expect "order proportional" rstlab diagram --time ""
expect "" rstlab analyze --flow ""
expect "--file --help --json --list -h" rstlab explain -
# Files: captures (and folders) for analyze, trace.json for diagram, .scn for run and show.
mkdir -p "$work/ring"
touch "$work/a.pcap" "$work/b.pcapng" "$work/trace.pcap0" "$work/notes.txt" "$work/trace.json" "$work/my.scn"
expect "$work/a.pcap $work/b.pcapng $work/ring $work/trace.pcap0" rstlab analyze "$work/"
expect "$work/ring $work/trace.json" rstlab diagram "$work/"
expect "$work/my.scn $work/ring" rstlab run --all "$work/"
expect "$work/my.scn" rstlab show "$work/my"
expect "$work/notes.txt" rstlab explain --file "$work/no"

[ $failed -eq 0 ] && echo "bash completion: every case completes as expected"
exit $failed
