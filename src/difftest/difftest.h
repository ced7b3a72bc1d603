// SPDX-License-Identifier: MIT
#pragma once
// Internal: the differential tester of the kernel model against the live kernel
// (docs/difftest.md). It writes random but valid scenarios in the scenario language,
// runs them live, and lists every place where what rstlab says disagrees with what the
// kernel did or what the capture holds.

#include <cstdint>
#include <string>
#include <vector>

#include "rstlab/link.h"
#include "rstlab/trace.h"

namespace rstlab::difftest {

/// A small, fully specified generator (splitmix64): the same seed gives the same
/// scenario with any compiler and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// 0 .. n-1
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
  bool chance(uint32_t percent) { return below(100) < percent; }

 private:
  uint64_t s_;
};

/// One generated scenario: its text (parsed like any .scn file) and what produced it.
struct Generated {
  uint64_t seed = 0;
  std::string text;
};

/// The scenario for `seed`: kernel client against the crafted peer (either side), or
/// kernel against kernel; IPv4 or IPv6; 3 to 12 random steps after the handshake.
Generated generate(uint64_t seed);

/// Where what rstlab said disagrees with the kernel or the capture.
struct Mismatch {
  /// "call" (a call's predicted result), "first-observer", "challenge-ack", "wire"
  /// (an annotation about the wire the capture contradicts), "stalled" (a call that
  /// never returned, so nothing could be compared).
  std::string kind;
  std::string text;
  size_t event = 0;
};

/// Every disagreement in a live run's annotated trace.
std::vector<Mismatch> check(const Trace& trace);

/// A known, explained class of mismatch: tests/data/difftest-known.txt, one per line as
/// `KIND | TEXT FRAGMENT | REASON`; a mismatch of that kind whose text holds the fragment
/// is explained.
struct Known {
  std::string kind, fragment, reason;
};
std::vector<Known> load_known(const std::string& path);
const Known* explained(const Mismatch& m, const std::vector<Known>& known);

/// The scenario text with only the steps `keep` says (header and prologue always kept).
std::string with_steps(const std::string& text, const std::vector<bool>& keep);
/// The indexes of the removable step lines of a generated text.
std::vector<size_t> step_lines(const std::string& text);

}  // namespace rstlab::difftest
