# SPDX-License-Identifier: MIT
# Bash completion for rstlab(1): commands, each command's options and their values, the
# built-in scenario names, and the files each command reads. The commands, options and
# choices are read from the binary's own --help texts and the scenario names from
# `rstlab list --json`, so this script cannot fall behind the program. It needs neither jq
# nor the bash-completion package.

# The section of a --help text that starts with the line "$2:" (up to the blank line).
_rstlab_help_section() {
  sed -n "/^$2:\$/,/^\$/p" <<<"$1" | sed 1d
}

# Every option name (-x and --long) in the Options section of a --help text.
_rstlab_options() {
  _rstlab_help_section "$1" Options | grep -E '^  -' | awk '{ print $1 }' | tr ',' '\n' | grep -E '^-'
}

# The choices --help prints for option $2, e.g. "--link TEXT:{veth, tun, both}".
_rstlab_choices() {
  _rstlab_help_section "$1" Options | grep -E -e "^  ([^ ]*,)?${2}[ ,]" |
    sed -n 's/.*:{\([^}]*\)}.*/\1/p' | tr -d ',' | head -1
}

# Adds the folders and the files whose name matches one of the globs "$@" to COMPREPLY.
_rstlab_files() {
  local cur=$_rstlab_cur f pat
  compopt -o filenames 2>/dev/null
  local IFS=$'\n'
  for f in $(compgen -d -- "$cur"); do COMPREPLY+=("$f"); done
  for f in $(compgen -f -- "$cur"); do
    [ -d "$f" ] && continue
    for pat in "$@"; do
      # shellcheck disable=SC2053  # $pat is a glob on purpose
      if [[ $f == $pat ]]; then
        COMPREPLY+=("$f")
        break
      fi
    done
  done
}

_rstlab() {
  local bin=${COMP_WORDS[0]}
  local cur=${COMP_WORDS[COMP_CWORD]}
  local prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  # "--link=v": bash splits at '=' (COMP_WORDBREAKS): the option is the word before it.
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" ]] && ((COMP_CWORD > 1)); then
    prev=${COMP_WORDS[COMP_CWORD - 2]}
  fi
  _rstlab_cur=$cur
  COMPREPLY=()

  local top commands cmd="" i
  top=$("$bin" --help 2>/dev/null) || return 0
  commands=$(_rstlab_help_section "$top" Subcommands | awk 'NF { print $1 }')
  local spaced=" ${commands//$'\n'/ } "
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ -n ${COMP_WORDS[i]} && $spaced == *" ${COMP_WORDS[i]} "* ]]; then
      cmd=${COMP_WORDS[i]}
      break
    fi
  done

  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$(_rstlab_options "$top")" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
    fi
    return 0
  fi

  local help
  help=$("$bin" "$cmd" --help 2>/dev/null)

  # The value of an option: its line in --help names a type (TEXT, UINT...) after it.
  if [[ $prev == -* ]]; then
    local line
    line=$(_rstlab_help_section "$help" Options | grep -E -e "^  ([^ ]*,)?${prev}[ ,]" | head -1)
    if [[ $line =~ ^\ \ [^\ ]+\ [A-Z]+([\ :=]|$) ]]; then
      local choices
      choices=$(_rstlab_choices "$help" "$prev")
      if [[ -n $choices ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
        return 0
      fi
      case $cmd:$prev in
        run:--out | course:--out | course:--from | replay:--out | exec:--out)
          compopt -o filenames 2>/dev/null
          mapfile -t COMPREPLY < <(compgen -d -- "$cur")
          ;;
        diagram:-o | diagram:--output | analyze:--svg | analyze:--mermaid | analyze:--plantuml | analyze:--html | explain:--file | replay:--emit-scenario)
          compopt -o filenames 2>/dev/null
          mapfile -t COMPREPLY < <(compgen -f -- "$cur")
          ;;
        *) ;;  # a value such as --flow's ID: nothing to offer
      esac
      return 0
    fi
  fi

  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_rstlab_options "$help")" -- "$cur")
    return 0
  fi
  case $cmd in
    run | show)
      mapfile -t COMPREPLY < <(compgen -W "$("$bin" list --json 2>/dev/null | sed -n 's/^{"name":"\([^"]*\)".*/\1/p')" -- "$cur")
      # .scn files beside the names; folders only once no name fits or a path is typed.
      if [[ $cur == */* || $cur == .* || ${#COMPREPLY[@]} -eq 0 ]]; then
        _rstlab_files '*.scn'
      else
        compopt -o filenames 2>/dev/null
        mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -X '!*.scn' -- "$cur")
      fi
      ;;
    diagram) _rstlab_files '*.json' ;;
    analyze) _rstlab_files '*.pcap' '*.pcapng' '*.cap' '*.pcap[0-9]*' '*.pcapng[0-9]*' ;;
    replay) _rstlab_files '*.pcap' '*.pcapng' '*.cap' ;;
    explain) ;;  # a log line, typed or pasted in quotes: nothing to offer
    exec) mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;  # the program to run
    *) ;;
  esac
  return 0
}
complete -F _rstlab rstlab
