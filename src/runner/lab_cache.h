// SPDX-License-Identifier: MIT
#pragma once
// Internal: what a LabCache keeps per kind of lab.

#include <memory>

#include "rstlab/app.h"
#include "rstlab/capture.h"
#include "rstlab/lab.h"
#include "rstlab/runner.h"

namespace rstlab {

struct LabCache::Entry {
  LabConfig config;
  std::unique_ptr<Lab> lab;
  std::unique_ptr<Recorder> recorder;
  /// Runs so far on this lab: each shifts the ports by one, so that no run meets an
  /// earlier run's TIME_WAIT. After LabCache::max_runs() the lab is rebuilt (new namespaces, no
  /// TIME_WAIT) rather than letting the shifted ports wrap past 65535.
  uint32_t runs = 0;
  /// The near side's actor of the last run, its descriptors closed (KernelActor::renew):
  /// the next run takes it instead of forking another. Declared last, so it is killed
  /// before the lab's namespaces go.
  std::unique_ptr<KernelActor> spare_actor;
};

}  // namespace rstlab
