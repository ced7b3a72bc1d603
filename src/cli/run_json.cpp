// SPDX-License-Identifier: MIT
#include "cli/run_json.h"

#include "rstlab/trace.h"

namespace rstlab {

nlohmann::ordered_json run_json(const Trace& t, const std::string& dir) {
  size_t met = 0, total = 0;
  for (const auto& e : t.events)
    if (e.met) {
      ++total;
      met += *e.met ? 1 : 0;
    }
  nlohmann::ordered_json j = {{"scenario", t.scenario},
                              {"link", t.link},
                              {"passed", t.passed()},
                              {"expectations", {{"met", met}, {"failed", total - met}}},
                              {"failures", t.failures},
                              {"model_mismatches", model_mismatches(t)},
                              {"dir", dir}};
  if (const auto& f = t.first_observer)
    j["first_observer"] = {{"actor", f->actor}, {"call", f->call}, {"result", f->result}, {"reason", f->reason}};
  else
    j["first_observer"] = nullptr;
  return j;
}

}  // namespace rstlab
