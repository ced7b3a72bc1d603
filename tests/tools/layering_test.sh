#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Layering: core code includes no lab header (docs/architecture.md). Reads the layers
# CMake knows (build/layering.txt: the core target's sources, the lab's public headers,
# the source folders whose private headers are lab code) and checks every core source,
# every core public header and every private header of a core folder. Prints each
# offending include as file:line and fails.
set -euo pipefail
layers=$1 src_root=$2
[[ -r $layers ]] || { echo "layering: cannot read $layers" >&2; exit 2; }
lab_headers=() lab_dirs=() core_sources=()
while read -r kind value; do
  case $kind in
    lab-header) lab_headers+=("$value") ;;
    lab-dir) lab_dirs+=("$value") ;;
    core-source) core_sources+=("$value") ;;
  esac
done <"$layers"
(( ${#lab_headers[@]} && ${#lab_dirs[@]} && ${#core_sources[@]} )) || { echo "layering: $layers lists nothing" >&2; exit 2; }

is_lab_dir() { local d; for d in "${lab_dirs[@]}"; do [[ $1 == "$d" ]] && return 0; done; return 1; }
is_lab_header() { local h; for h in "${lab_headers[@]}"; do [[ $1 == "$h" ]] && return 0; done; return 1; }

files=()
for f in "${core_sources[@]}"; do
  [[ $f == /* ]] || f=$src_root/$f
  [[ -f $f ]] && files+=("$f")
done
for f in "$src_root"/include/rstlab/*.h; do is_lab_header "$(basename "$f")" || files+=("$f"); done
for f in "$src_root"/src/*/*.h; do
  dir=$(basename "$(dirname "$f")")
  [[ $dir == cli ]] && continue  # the executable: above both layers
  is_lab_dir "$dir" || files+=("$f")
done

# One pass over every file: each quoted include that names a lab header or a lab folder.
bad=$(grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${files[@]}" |
  awk -v headers="${lab_headers[*]}" -v dirs="${lab_dirs[*]}" -v root="$src_root/" '
    BEGIN { n = split(headers, h, " "); for (k = 1; k <= n; ++k) lab["rstlab/" h[k]] = 1
            n = split(dirs, d, " "); for (k = 1; k <= n; ++k) labdir[d[k]] = 1 }
    {
      split($0, part, ":"); file = part[1]; line = part[2]
      if (index(file, root) == 1) file = substr(file, length(root) + 1)
      inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
      top = inc; sub(/\/.*$/, "", top)
      if (inc in lab) print file ":" line ": core code includes the lab header " inc
      else if (inc ~ /\// && top in labdir) print file ":" line ": core code includes the lab'"'"'s private header " inc
    }')
if [[ -n $bad ]]; then
  echo "$bad" >&2
  echo "layering: core code must not depend on the lab (see docs/architecture.md)" >&2
  exit 1
fi
echo "layering: ${#files[@]} core files include no lab header"
