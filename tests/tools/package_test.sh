#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian package from an existing build directory (cpack, as tools/package does
# from its Release build), installs it with apt-get, runs the installed binary from an empty
# directory with the source and build trees hidden (a private mount namespace lays an empty
# tmpfs over them, so nothing can be read from there), then purges the package and checks
# that none of its files is left. Leaves the machine as it found it, even when a step fails.
# Needs root and dpkg-dev. Exit 77 (skipped) when a rstlab package was installed by someone
# else: this test would replace it.
#   tests/tools/package_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
marker=/run/rstlab-package-test.installed  # "this test installed rstlab"; /run is a tmpfs
work=$(mktemp -d)
chmod 755 "$work"  # apt's _apt user reads the .deb from here
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
status() { dpkg-query -W -f='${db:Status-Status}' rstlab 2>/dev/null || echo not-installed; }
apt() { DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=120 "$@"; }

mine=0  # set once this run installs the package (while holding the lock below)
cleanup() {
  if [ "$mine" -eq 1 ]; then
    apt remove --purge rstlab >"$work/cleanup.log" 2>&1 || dpkg -P rstlab >>"$work/cleanup.log" 2>&1 \
      || { echo "FAIL: could not remove rstlab again:"; cat "$work/cleanup.log"; }
    rm -f "$marker"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "FAIL: the package test installs a package with apt-get: run it as root"; exit 1; }
# One run at a time on this machine (several worktrees may run their tests at once).
exec 9>/run/rstlab-package-test.lock
flock -w 240 9 || { echo "FAIL: another package test holds /run/rstlab-package-test.lock"; exit 1; }

for tool in cpack dpkg-shlibdeps dpkg-deb apt-get readelf unshare man; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
if [ "$(status)" != not-installed ]; then
  if [ -f "$marker" ]; then
    echo "removing the rstlab package an interrupted run of this test left installed"
    apt remove --purge rstlab >"$work/leftover.log" 2>&1 || { cat "$work/leftover.log"; exit 1; }
    rm -f "$marker"
  else
    echo "SKIP: a rstlab package is installed ($(status), version" \
      "$(dpkg-query -W -f='${Version}' rstlab)); this test would replace it." \
      "Remove it (apt-get remove --purge rstlab) to run the test."
    exit 77
  fi
fi
[ -x "$build/rstlab" ] || { echo "FAIL: $build/rstlab is not built"; exit 1; }

# 1. The package.
start=$SECONDS
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) \
  || { echo "FAIL: cpack failed:"; cat "$work/cpack.log"; exit 1; }
debs=("$work"/pkg/rstlab_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: cpack made no single rstlab_*.deb"; exit 1; }
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg --print-architecture)
echo "package built in $((SECONDS - start)) s: ${deb##*/}"
[ "${deb##*/}" = "rstlab_${version}_${arch}.deb" ] || fail "package file name ${deb##*/}, expected rstlab_${version}_${arch}.deb"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libtins libpcap libc6 libstdc++6; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done
recommends=$(dpkg-deb -f "$deb" Recommends)
for p in tshark strace chromium; do
  [[ $recommends == *"$p"* ]] || fail "Recommends lacks $p: $recommends"
done
[ "$(dpkg-deb -f "$deb" Section)" = net ] || fail "Section is '$(dpkg-deb -f "$deb" Section)', not net"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
[ "$(dpkg-deb -f "$deb" Description | wc -l)" -gt 2 ] || fail "no long Description"
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for f in ./usr/bin/rstlab ./usr/share/doc/rstlab/README.md ./usr/share/doc/rstlab/docs/user-guide.md \
  ./usr/share/doc/rstlab/docs/gallery/broken-pipe.png; do
  grep -qxF "$f" "$work/contents" || fail "the package lacks $f"
done
dpkg-deb -x "$deb" "$work/extracted"
if readelf -S "$work/extracted/usr/bin/rstlab" | grep -qE '\.symtab|\.debug_info'; then
  fail "usr/bin/rstlab in the package is not stripped"
fi

# 2. Install. The dependencies are on the machine already: apt must install nothing but
#    rstlab (a dry run first, so nothing is fetched or changed when that is not so).
apt install --no-install-recommends --simulate "$deb" >"$work/simulate.log" 2>&1
if [ "$(grep -c '^Inst ' "$work/simulate.log")" -ne 1 ] || ! grep -q '^Inst rstlab ' "$work/simulate.log"; then
  echo "FAIL: apt-get would install more than rstlab (or nothing):"; cat "$work/simulate.log"; exit 1
fi
touch "$marker"
mine=1
if ! apt install --no-install-recommends "$deb" >"$work/install.log" 2>&1; then
  echo "FAIL: apt-get install failed:"; cat "$work/install.log"; exit 1
fi
grep -q '^0 upgraded, 1 newly installed, 0 to remove' "$work/install.log" \
  || fail "apt-get install changed more than rstlab: $(grep -E 'upgraded|NEW|REMOVED' "$work/install.log")"
[ "$(status)" = installed ] || fail "rstlab is '$(status)' after apt-get install"
dpkg -L rstlab >"$work/files"

echo "installed, $((SECONDS - start)) s after the start"

# 3. The installed binary, from an empty directory, with the source and build trees hidden.
empty=$(mktemp -d -p "$work")
cp "$src/captures/broken-pipe-veth.pcap" "$work/copy.pcap"
outside() {  # command... -> runs it in $empty with $src and $build covered by empty tmpfs
  unshare --mount --propagation private -- bash -c \
    'mount -t tmpfs hidden "$0" && mount -t tmpfs hidden "$1" && cd "$2" && shift 3 && exec "$@"' \
    "$build" "$src" "$empty" -- "$@"
}
if outside /usr/bin/rstlab list >"$work/list.txt" 2>&1 && grep -q '^ *broken-pipe\b' "$work/list.txt"; then :; else
  fail "rstlab list: $(head -5 "$work/list.txt")"
fi
if outside /usr/bin/rstlab --help 2>&1 | grep -q -- '--version'; then
  outside /usr/bin/rstlab --version >"$work/version.txt" 2>&1 && grep -qF "$version" "$work/version.txt" \
    || fail "rstlab --version does not name $version: $(cat "$work/version.txt")"
else
  echo "skipped: rstlab --version (this build has no --version)"
fi
out=$(mktemp -d)
if outside /usr/bin/rstlab run broken-pipe --out "$out" >"$work/run.txt" 2>&1; then
  for f in trace.txt trace.json capture.pcap index.html diagram.svg; do
    [ -s "$out/broken-pipe/veth/$f" ] || fail "rstlab run wrote no $out/broken-pipe/veth/$f"
  done
else
  fail "rstlab run broken-pipe: $(tail -5 "$work/run.txt")"
fi
rm -rf "$out"
if outside /usr/bin/rstlab analyze "$work/copy.pcap" >"$work/analyze.txt" 2>&1; then
  grep -q 'data-after-close' "$work/analyze.txt" || fail "rstlab analyze did not name the reset's cause: $(head -5 "$work/analyze.txt")"
else
  fail "rstlab analyze: $(tail -5 "$work/analyze.txt")"
fi
if grep -q '^/usr/share/man/man1/rstlab\.1' "$work/files"; then
  page=$(outside man -w rstlab 2>&1)
  [[ $page == /usr/share/man/man1/rstlab.1* ]] || fail "man -w rstlab: $page"
  if grep -q '^/usr/share/man/man5/rstlab-scenario\.5' "$work/files"; then
    page=$(outside man -w 5 rstlab-scenario 2>&1)
    [[ $page == /usr/share/man/man5/rstlab-scenario.5* ]] || fail "man -w 5 rstlab-scenario: $page"
  fi
else
  echo "skipped: man -w rstlab (the package holds no man page yet)"
fi
[ -z "$(ls -A "$empty")" ] || fail "the commands left files in the working directory: $(ls -A "$empty")"

# 4. Remove: nothing of the package is left.
if ! apt remove --purge rstlab >"$work/remove.log" 2>&1; then
  echo "FAIL: apt-get remove --purge failed:"; cat "$work/remove.log"; exit 1
fi
rm -f "$marker"
mine=0
[ "$(status)" = not-installed ] || fail "rstlab is '$(status)' after apt-get remove --purge"
while read -r f; do
  [ -d "$f" ] && continue  # directories shared with other packages (/usr/bin...) stay
  [ -e "$f" ] || [ -L "$f" ] && fail "$f is left after the purge"
done <"$work/files"
for d in /usr/share/doc/rstlab; do
  [ -e "$d" ] && fail "$d is left after the purge"
done
[ -e /usr/bin/rstlab ] && fail "/usr/bin/rstlab is left after the purge"

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed"; exit 1; }
echo "package test passed"
