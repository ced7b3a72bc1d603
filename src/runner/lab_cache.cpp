// SPDX-License-Identifier: MIT
#include "runner/lab_cache.h"

namespace rstlab {

LabCache::LabCache(uint32_t max_runs) : max_runs_(max_runs) {}

LabCache::~LabCache() {
  // Reverse order: each Lab returns the thread to the namespace it found.
  while (!entries_.empty()) entries_.pop_back();
}

LabCache::Entry& LabCache::get(const LabConfig& c) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    Entry& e = **it;
    if (e.config.link != c.link || e.config.far_end != c.far_end || e.config.family != c.family) continue;
    if (e.runs < max_runs_) return e;
    // Worn out: the labs after this one were built inside it (each Lab returns the thread
    // to the namespace it found), so those go first, newest first, then this one.
    while (entries_.end() - it > 1) entries_.pop_back();
    entries_.pop_back();
    break;
  }
  auto e = std::make_unique<Entry>();
  e->config = c;
  e->lab = std::make_unique<Lab>(c);
  // Lab leaves the thread in its near namespace: the recorder opens there.
  e->recorder = std::make_unique<Recorder>(kNearIface);
  entries_.push_back(std::move(e));
  return *entries_.back();
}

}  // namespace rstlab
