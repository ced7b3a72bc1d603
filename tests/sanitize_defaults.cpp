// SPDX-License-Identifier: MIT
// Linked into every program of a -DRSTLAB_SANITIZE=ON build (the tests, rstlab itself, which
// the CLI tests run, and the helper programs): the sanitizers' defaults, so that
// `ctest --test-dir build-asan` behaves the same by hand and in tools/test. The runtimes call
// these weak hooks at start-up; ASAN_OPTIONS / UBSAN_OPTIONS in the environment still win.
//
// exitcode=86: a sanitizer report must never pass for one of rstlab's own exit statuses
// (0 to 4), which the CLI tests check. UBSan stops at the first report
// (-fno-sanitize-recover=all) and prints where it came from.

extern "C" {

const char* __asan_default_options() {
  return "exitcode=86:detect_leaks=1:strict_string_checks=1:check_initialization_order=1";
}

const char* __ubsan_default_options() { return "exitcode=86:print_stacktrace=1:halt_on_error=1"; }
}
