// SPDX-License-Identifier: MIT
// The built-in catalogue: the files under scenarios/, compiled in (see
// cmake/embed_scenarios.cmake) and parsed on first use.
#include "rstlab/error.h"
#include "rstlab/scenario.h"

namespace rstlab {

// Generated at build time from scenarios/index and the .scn files it lists.
extern const std::vector<CatalogueEntry>& embedded_scenarios();

const char* role_name(Role r) {
  return r == Role::Client ? "client" : r == Role::Server ? "server" : "middle";
}

const std::vector<CatalogueEntry>& catalogue_sources() { return embedded_scenarios(); }

const std::vector<Scenario>& catalogue() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> v;
    for (const auto& e : catalogue_sources()) v.push_back(parse_scenario(e.text, "scenarios/" + e.file));
    return v;
  }();
  return all;
}

namespace {
template <class T, class Name>
const T& find_by_name(const std::vector<T>& items, const std::string& name, Name name_of) {
  std::string names;
  for (const auto& s : items) {
    if (name_of(s) == name) return s;
    names += (names.empty() ? "" : ", ") + name_of(s);
  }
  throw InputError("no scenario named '" + name + "' (built-in: " + names + ")");
}
}  // namespace

const Scenario& find_scenario(const std::string& name) {
  return find_by_name(catalogue(), name, [](const Scenario& s) { return s.name; });
}

const CatalogueEntry& find_scenario_source(const std::string& name) {
  return find_by_name(catalogue_sources(), name + ".scn", [](const CatalogueEntry& e) { return e.file; });
}

}  // namespace rstlab
