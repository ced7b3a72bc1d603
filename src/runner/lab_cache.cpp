// SPDX-License-Identifier: MIT
#include "runner/lab_cache.h"

namespace rstlab {

LabCache::LabCache() = default;

LabCache::~LabCache() {
  // Reverse order: each Lab returns the thread to the namespace it found.
  while (!entries_.empty()) entries_.pop_back();
}

LabCache::Entry& LabCache::get(const LabConfig& c) {
  for (auto& e : entries_)
    if (e->config.link == c.link && e->config.far_end == c.far_end && e->config.family == c.family)
      return *e;
  auto e = std::make_unique<Entry>();
  e->config = c;
  e->lab = std::make_unique<Lab>(c);
  // Lab leaves the thread in its near namespace: the recorder opens there.
  e->recorder = std::make_unique<Recorder>(kNearIface);
  entries_.push_back(std::move(e));
  return *entries_.back();
}

}  // namespace rstlab
