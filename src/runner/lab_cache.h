// SPDX-License-Identifier: MIT
#pragma once
// Internal: what a LabCache keeps per kind of lab.

#include <memory>

#include "rstlab/capture.h"
#include "rstlab/lab.h"
#include "rstlab/runner.h"

namespace rstlab {

struct LabCache::Entry {
  LabConfig config;
  std::unique_ptr<Lab> lab;
  std::unique_ptr<Recorder> recorder;
  uint16_t runs = 0;  ///< runs so far on this lab: each shifts the ports by one
};

}  // namespace rstlab
