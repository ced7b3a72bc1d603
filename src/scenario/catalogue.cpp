// SPDX-License-Identifier: MIT
// The built-in catalogue: the files under scenarios/, compiled in (see
// cmake/embed_scenarios.cmake) and parsed on first use.
#include "rstlab/error.h"
#include "rstlab/scenario.h"
#include "util/suggest.h"

namespace rstlab {

// Generated at build time from scenarios/index and the .scn files it lists.
extern const std::vector<CatalogueEntry>& embedded_scenarios();

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
/// The item named `name`; otherwise one line with the closest names, then how to see them all.
template <class T, class Name>
const T& find_by_name(const std::vector<T>& items, const std::string& name, Name name_of) {
  std::vector<std::string> names;
  for (const auto& s : items) {
    if (name_of(s) == name) return s;
    names.push_back(name_of(s));
  }
  const auto near = detail::closest_names(name, names);
  throw InputError("no scenario named '" + name + "'" +
                   (near.empty() ? "" : "; did you mean " + detail::alternatives(near) + "?") + " ('rstlab list' shows all " +
                   std::to_string(names.size()) + ")");
}

std::string without_extension(const std::string& file) {
  return file.size() > 4 && file.compare(file.size() - 4, 4, ".scn") == 0 ? file.substr(0, file.size() - 4) : file;
}
}  // namespace

const Scenario& find_scenario(const std::string& name) {
  return find_by_name(catalogue(), name, [](const Scenario& s) { return s.name; });
}

const CatalogueEntry& find_scenario_source(const std::string& name) {
  return find_by_name(catalogue_sources(), name, [](const CatalogueEntry& e) { return without_extension(e.file); });
}

}  // namespace rstlab
