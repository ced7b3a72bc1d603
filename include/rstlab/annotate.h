// SPDX-License-Identifier: MIT
#pragma once
/// @file The annotator: explains a live trace with the kernel's rules.

#include "rstlab/trace.h"

namespace rstlab {

/// Follows both endpoints through the trace (packets from the capture, calls from the
/// actors), classifies every RST and FIN, gives each call its reason, marks the first
/// observer, and says so plainly wherever an observation contradicts the rules.
/// Replaces trace.annotations and trace.first_observer.
void annotate(Trace& trace);

}  // namespace rstlab
