// SPDX-License-Identifier: MIT
// rstlab-difftest: the differential tester of rstlab's kernel model against the live
// kernel (docs/difftest.md). Generates N scenarios from consecutive seeds, runs each live
// on one reused lab per link, and writes every disagreement as a shrunk reproducer.
// Exit status: 0 no unexplained mismatch, 1 some, 2 bad input, 3 the lab failed.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "difftest/difftest.h"
#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/oracle.h"
#include "rstlab/trace_json.h"
#include "rstlab/outputs.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"

namespace {

using namespace rstlab;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t count = 200;
  uint64_t seed = 1;
  std::string link = "both";
  std::string out = "difftest-out";
  std::string known = std::string(RSTLAB_SOURCE_DIR) + "/tests/data/difftest-known.txt";
  int step_timeout_ms = 5000;  // a niced tester on a loaded machine can wait seconds for a time slice
  bool shrink = true;
};

class Tester {
 public:
  explicit Tester(const Options& o) : o_(o), known_(difftest::load_known(o.known)) {}

  int run() {
    std::vector<LinkKind> links;
    if (o_.link == "veth" || o_.link == "both") links.push_back(LinkKind::Veth);
    if (o_.link == "tun" || o_.link == "both") links.push_back(LinkKind::Tun);
    fs::create_directories(o_.out);
    const auto start = Clock::now();
    auto last_report = start;
    for (uint64_t i = 0; i < o_.count; ++i) {
      const uint64_t seed = o_.seed + i;
      const LinkKind link = links[i % links.size()];
      one(seed, link);
      ++per_link_[link_name(link)];
      if (Clock::now() - last_report > std::chrono::seconds(5) || i + 1 == o_.count) {
        last_report = Clock::now();
        progress(i + 1, start);
      }
    }
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("rstlab-difftest: %llu scenarios (seeds %llu-%llu", static_cast<unsigned long long>(o_.count),
                static_cast<unsigned long long>(o_.seed), static_cast<unsigned long long>(o_.seed + o_.count - 1));
    for (const auto& [l, n] : per_link_) std::printf(", %s %llu", l.c_str(), static_cast<unsigned long long>(n));
    std::printf(") in %.1f s: %zu unexplained mismatch%s, %zu explained\n", secs, unexplained_,
                unexplained_ == 1 ? "" : "es", explained_);
    for (const auto& [kind, n] : by_kind_) std::printf("  %-16s %zu\n", kind.c_str(), n);
    for (const auto& [reason, n] : by_known_) std::printf("  explained (%zu): %s\n", n, reason.c_str());
    for (const std::string& f : reproducers_) std::printf("  reproducer: %s\n", f.c_str());
    return unexplained_ ? kExitFailed : kExitOk;
  }

 private:
  std::vector<difftest::Mismatch> run_text(const std::string& text, uint64_t seed, LinkKind link,
                                           RunResult* kept = nullptr) {
    const Scenario sc = parse_scenario(text, "seed-" + std::to_string(seed) + ".scn");
    RunOptions opt;
    opt.link = link;
    opt.step_timeout = std::chrono::milliseconds(o_.step_timeout_ms);
    RunResult r = run_scenario(sc, opt, labs_);
    auto found = difftest::check(r.trace);
    if (kept) *kept = std::move(r);
    return found;
  }

  void one(uint64_t seed, LinkKind link) {
    const difftest::Generated g = difftest::generate(seed);
    RunResult run;
    const auto found = run_text(g.text, seed, link, &run);
    std::vector<difftest::Mismatch> open;
    for (const auto& m : found) {
      if (const difftest::Known* k = difftest::explained(m, known_)) {
        ++explained_;
        ++by_known_[k->reason];
      } else {
        open.push_back(m);
      }
    }
    if (open.empty()) return;
    unexplained_ += open.size();
    std::set<std::string> kinds;
    for (const auto& m : open) {
      ++by_kind_[m.kind];
      kinds.insert(m.kind);
    }
    const std::string text = o_.shrink ? shrink(g.text, seed, link, kinds) : g.text;
    const std::string base = o_.out + "/seed-" + std::to_string(seed) + "-" + link_name(link);
    std::ofstream(base + ".original.scn") << g.text;
    std::ofstream f(base + ".scn");
    f << "# rstlab-difftest --seed " << seed << " --link " << link_name(link) << " 1 reproduces the original ("
      << base << ".original.scn); this is it shrunk.\n";
    for (const auto& m : open) f << "# " << m.kind << ": " << m.text << "\n";
    f << text;
    reproducers_.push_back(base + ".scn");
    // The run that showed it, as every run is written: a mismatch that hangs on timing (a
    // loaded machine) may not come back, and its trace and capture are the evidence.
    try {
      const std::string folder = write_run_folder(o_.out + "/runs", run);
      f << "# the run that showed it: " << folder << "\n";
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rstlab-difftest: seed %llu: the run's folder was not written: %s\n",
                   static_cast<unsigned long long>(seed), e.what());
    }
    for (const auto& m : open)
      std::fprintf(stderr, "rstlab-difftest: seed %llu %s: %s: %s\n", static_cast<unsigned long long>(seed),
                   link_name(link), m.kind.c_str(), m.text.c_str());
  }

  /// Drops steps one at a time, last first, as long as a mismatch of the same kind stays.
  std::string shrink(const std::string& text, uint64_t seed, LinkKind link, const std::set<std::string>& kinds) {
    const size_t n = difftest::step_lines(text).size();
    std::vector<bool> keep(n, true);
    for (size_t k = n; k-- > 0;) {
      keep[k] = false;
      bool still = false;
      try {
        for (const auto& m : run_text(difftest::with_steps(text, keep), seed, link))
          if (kinds.count(m.kind) && !difftest::explained(m, known_)) still = true;
      } catch (const InputError&) {
      }
      if (!still) keep[k] = true;
    }
    return difftest::with_steps(text, keep);
  }

  void progress(uint64_t done, Clock::time_point start) {
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "rstlab-difftest: %llu/%llu scenarios, %.1f/s, %zu unexplained mismatches, %zu explained\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(o_.count),
                 secs > 0 ? done / secs : 0.0, unexplained_, explained_);
  }

  const Options& o_;
  std::vector<difftest::Known> known_;
  LabCache labs_;
  size_t unexplained_ = 0, explained_ = 0;
  std::map<std::string, size_t> by_kind_, by_known_;
  std::map<std::string, uint64_t> per_link_;
  std::vector<std::string> reproducers_;
};

/// Judges saved runs again - each trace.json annotated afresh by this build's model, its
/// states compared with TCP_INFO and its checks run - without running anything: whether a
/// mismatch a loaded machine once showed is explained now. Returns the exit status.
int recheck(const std::vector<std::string>& files, const std::vector<difftest::Known>& known) {
  size_t open = 0;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw InputError(file + ": cannot be read");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Trace t = trace_from_json(text, file);
    judge_lab_run(t);
    size_t here = 0;
    for (const auto& m : difftest::check(t)) {
      if (difftest::explained(m, known)) continue;
      std::printf("%s: %s: %s\n", file.c_str(), m.kind.c_str(), m.text.c_str());
      ++here;
    }
    if (!here) std::printf("%s: no unexplained mismatch\n", file.c_str());
    open += here;
  }
  return open ? kExitFailed : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{
      "rstlab-difftest - checks rstlab's kernel model against the live kernel.\n"
      "Generates COUNT random scenarios (seeds SEED, SEED+1, ...), runs each live (root: network\n"
      "namespaces), and compares every call's predicted result, the first observer, the\n"
      "challenge ACKs and every claim about the wire with the kernel and the capture. Each\n"
      "unexplained mismatch is written to OUT as a shrunk .scn reproducer. Progress goes to\n"
      "stderr. Exit status: 0 no unexplained mismatch, 1 some, 2 bad input, 3 the lab failed.",
      "rstlab-difftest"};
  app.add_option("count", o.count, "How many scenarios (default 200)");
  app.add_option("--seed", o.seed, "The first seed (default 1)");
  app.add_option("--link", o.link, "veth, tun or both (alternating; default both)")
      ->check(CLI::IsMember({"veth", "tun", "both"}));
  app.add_option("--out", o.out, "Where reproducers go (default difftest-out)");
  app.add_option("--known", o.known, "The reviewed list of explained mismatch classes");
  app.add_option("--step-timeout", o.step_timeout_ms, "How long one call may block, in ms (default 5000)");
  app.add_flag("!--no-shrink", o.shrink, "Write reproducers as generated, without shrinking them");
  std::vector<std::string> again;
  app.add_option("--recheck", again,
                 "Run nothing: judge saved runs (OUT/runs/.../trace.json) again with this build's model and checks")
      ->check(CLI::ExistingFile);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitInput;
  }
  if (!again.empty()) {
    try {
      return recheck(again, difftest::load_known(o.known));
    } catch (const std::exception& e) {
      const Failure f = failure_for(e);
      std::fprintf(stderr, "rstlab-difftest: %s\n", f.message.c_str());
      return f.status;
    }
  }
  if (o.count == 0) {
    std::fprintf(stderr, "rstlab-difftest: COUNT must be at least 1\n");
    return kExitInput;
  }
  try {
    Tester t(o);
    return t.run();
  } catch (const std::exception& e) {
    const Failure f = failure_for(e);
    std::fprintf(stderr, "rstlab-difftest: %s\n", f.message.c_str());
    return f.status;
  }
}
