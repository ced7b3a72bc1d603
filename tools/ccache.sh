# SPDX-License-Identifier: MIT
# Sourced by tools/build, tools/test and tools/package: the compiler launcher for cmake.
# With ccache installed (tools/setup installs it), every build goes through it, with ccache's
# own cache folder (~/.cache/ccache, or CCACHE_DIR when set; .cache/ccache/ of this checkout
# when there is no home folder) and paths taken relative to the checkout, so a second clone
# elsewhere - a CI run's fresh clone on the same machine - hits the same entries. Without
# ccache the launcher is set empty: a build folder configured with it once still builds.
if command -v ccache >/dev/null; then
  if [ -z "${CCACHE_DIR:-}" ] && { [ -z "${HOME:-}" ] || [ ! -w "${HOME}" ]; }; then
    export CCACHE_DIR=$PWD/.cache/ccache
  fi
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
else
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER= -DCMAKE_C_COMPILER_LAUNCHER=)
fi
