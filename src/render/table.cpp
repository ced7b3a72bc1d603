// SPDX-License-Identifier: MIT
#include "rstlab/table.h"

#include <algorithm>

namespace rstlab {
namespace {

/// Characters as a terminal shows them: UTF-8 continuation bytes take no column.
size_t width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  const auto measure = [&widths](const std::vector<std::string>& cells) {
    if (widths.size() < cells.size()) widths.resize(cells.size(), 0);
    for (size_t k = 0; k < cells.size(); ++k) widths[k] = std::max(widths[k], width(cells[k]));
  };
  measure(header);
  for (const auto& r : rows) measure(r);

  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t k = 0; k < cells.size(); ++k) {
      if (k) l.append(2, ' ');
      l += cells[k];
      if (k + 1 < cells.size()) l.append(widths[k] - width(cells[k]), ' ');
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();  // an empty last cell
    out += l;
    out += '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

std::string render_run_summary(const std::vector<RunSummaryRow>& rows) {
  std::vector<std::vector<std::string>> cells;
  for (const auto& r : rows)
    cells.push_back({r.scenario, r.link, r.first_observer, r.passed ? "passed" : "FAILED",
                     std::to_string(r.met) + "/" + std::to_string(r.total), r.dir});
  return render_table({"SCENARIO", "LINK", "FIRST OBSERVER", "RESULT", "EXPECT", "OUTPUT"}, cells);
}

}  // namespace rstlab
