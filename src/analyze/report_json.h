// SPDX-License-Identifier: MIT
#pragma once
// Internal: a ConnectionReport as one line of `rstlab analyze --json` (JSON Lines).

#include <string>
#include <string_view>
#include <vector>

#include "rstlab/analyze.h"

namespace rstlab::detail {

/// Appends `c` as one JSON object and a newline. The keys, in this order: id, a, b,
/// ending, mid_stream, anomaly, packets, first_frame, last_frame, resets [frame, from,
/// to, reaction, cause, errno, explanation, checksum], fins [frame, from, to], predicted
/// {endpoint: next_read, next_write, write_raises_sigpipe, so_error, why, inferred,
/// unknown (only when not empty)}, notes; then `files` when given (several files read as
/// one capture: the files holding the connection's frames).
void append_connection_json(std::string& out, const ConnectionReport& c,
                            const std::vector<std::string_view>* files = nullptr);

}  // namespace rstlab::detail
