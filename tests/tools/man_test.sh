#!/bin/bash
# SPDX-License-Identifier: MIT
# The man pages: man, groff and lexgrog find nothing to warn about, and rstlab(1) names
# every command and every option the binary's --help texts print, so the page cannot fall
# behind the command line; rstlab-scenario(5) has every keyword of docs/scenario-language.md.
# Usage: man_test.sh RSTLAB_BINARY SOURCE_DIR
set -u
rstlab=$1
src=$2
failed=0
fail() {
  echo "FAIL: $*" >&2
  failed=1
}

for page in "$src/man/rstlab.1" "$src/man/rstlab-scenario.5"; do
  [ -f "$page" ] || { fail "$page is missing"; continue; }
  # man --warnings runs groff with -ww and prints every warning on stderr.
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [ -z "$out" ] || fail "man --warnings $page:"$'\n'"$out"
  out=$(groff -ww -man -z "$page" 2>&1)
  [ -z "$out" ] || fail "groff -ww $page:"$'\n'"$out"
  # lexgrog reads the NAME section as mandb will (for whatis/apropos); it exits 1 when
  # it cannot parse it.
  out=$(lexgrog "$page" 2>&1) || fail "lexgrog $page: $out"
  case $out in *": \""*" - "*) ;; *) fail "lexgrog $page: no 'name - description': $out" ;; esac
done

# The pages' .TH lines name the version the binary reports (CMake's PROJECT_VERSION).
version=$("$rstlab" --version | head -1)
for page in "$src/man/rstlab.1" "$src/man/rstlab-scenario.5"; do
  grep -q "^\.TH .* \"$version\" " "$page" || fail "$page: its .TH line does not name \"$version\""
done

# rstlab(1) as people read it: no hyphenation and wide lines, so an option is never
# split across lines; -c -b -o -u: plain ASCII without overstriking.
text=$(groff -man -Tascii -rHY=0 -rLL=250n -P-cbou "$src/man/rstlab.1" 2>/dev/null)
[ -n "$text" ] || fail "rstlab.1 renders to nothing"

# The commands are the top-level --help's "Subcommands:" section.
commands=$("$rstlab" --help | sed -n '/^Subcommands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] || fail "no commands found in 'rstlab --help'"
has_option() {  # the option as a whole word of the page
  grep -qE -- "(^|[^A-Za-z0-9-])$1([^A-Za-z0-9-]|\$)" <<<"$text"
}
options_of() {  # every -x and --long name in the Options section of a --help text
  sed -n '/^Options:/,/^$/p' | grep -E '^  -' | awk '{ print $1 }' | tr ',' '\n' | grep -E '^-'
}
for opt in $("$rstlab" --help | options_of); do
  has_option "$opt" || fail "rstlab.1 does not mention '$opt' (rstlab --help)"
done
checked=0
for cmd in $commands; do
  grep -qE "(^|[^a-z])rstlab $cmd([^a-z-]|\$)" <<<"$text" || fail "rstlab.1 has no 'rstlab $cmd'"
  opts=$("$rstlab" "$cmd" --help | options_of)
  [ -n "$opts" ] || fail "no options found in 'rstlab $cmd --help'"
  for opt in $opts; do
    has_option "$opt" || fail "rstlab.1 does not mention '$opt' (rstlab $cmd --help)"
    checked=$((checked + 1))
  done
done
# The exit statuses each --help names are explained in EXIT STATUS.
for status in 0 1 2 3 4; do
  sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<<"$text" | grep -qE "^ +$status( |\$)" || fail "rstlab.1 does not explain exit status $status"
done

# rstlab-scenario(5) follows docs/scenario-language.md: every header line, step and seq=
# word that the reference's tables start a row with, and repeat and after, are in the page.
page5=$(groff -man -Tascii -rHY=0 -rLL=250n -P-cbou "$src/man/rstlab-scenario.5" 2>/dev/null)
# shellcheck disable=SC2016  # backquotes are the Markdown text searched for
keywords=$(grep -E '^\| `[a-z]' "$src/docs/scenario-language.md" | sed -E 's/^\| `([^` ]+).*/\1/' | sort -u)
[ "$(wc -w <<<"$keywords")" -gt 30 ] || fail "too few keywords found in docs/scenario-language.md: $keywords"
for word in $keywords repeat after; do
  grep -qE -- "(^|[^A-Za-z0-9_-])$word([^A-Za-z0-9_-]|\$)" <<<"$page5" ||
    fail "rstlab-scenario.5 does not mention '$word' (docs/scenario-language.md)"
done

# The page's complete examples (those that name a client) are valid scenarios: each
# .EX block after ".SH EXAMPLES", roff escapes undone, checked by 'rstlab show'.
examples=$(mktemp -d)
trap 'rm -rf "$examples"' EXIT
awk -v dir="$examples" '
  /^\.SH EXAMPLES/ { on = 1; next }
  /^\.SH / { on = 0 }
  on && /^\.EX/ { n++; file = dir "/example" n ".scn"; next }
  on && /^\.EE/ { close(file); file = ""; next }
  file != "" { print > file }' "$src/man/rstlab-scenario.5"
parsed=0
for example in "$examples"/*.scn; do
  [ -e "$example" ] || continue
  sed -i 's/\\-/-/g; s/\\(aq/'"'"'/g; s/\\e/\\/g' "$example"
  grep -q '^client ' "$example" || continue
  grep -q '^scenario ' "$example" || sed -i '1i scenario example' "$example"
  out=$("$rstlab" show "$example" 2>&1 >/dev/null) || fail "an example of rstlab-scenario.5 is refused: $out"
  parsed=$((parsed + 1))
done
[ "$parsed" -ge 2 ] || fail "only $parsed complete examples found in rstlab-scenario.5"

[ $failed -eq 0 ] && echo "man pages: no warnings; rstlab.1 names $(wc -w <<<"$commands") commands and $checked options;" \
  "rstlab-scenario.5 the language's $(wc -w <<<"$keywords") keywords and $parsed valid examples"
exit $failed
