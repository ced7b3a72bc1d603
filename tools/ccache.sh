# SPDX-License-Identifier: MIT
# Sourced by tools/build, tools/test and tools/package: the compiler launcher for cmake.
# With ccache installed (tools/setup installs it), every build goes through it, its cache in
# .cache/ccache/ of this checkout (unless CCACHE_DIR says otherwise) and paths taken relative
# to the checkout, so a second clone elsewhere hits the same entries. Without ccache the
# launcher is set empty: a build folder configured with it once still builds.
if command -v ccache >/dev/null; then
  export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
  export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
else
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER= -DCMAKE_C_COMPILER_LAUNCHER=)
fi
