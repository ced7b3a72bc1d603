// SPDX-License-Identifier: MIT
#pragma once
// Internal: how calls are named and described in traces, and how results are
// checked against a step's expectation.

#include <string>

#include "rstlab/app.h"
#include "rstlab/scenario.h"

namespace rstlab::detail {

/// "write", "send", "getsockopt"...
std::string call_name(const CallRequest& c);
/// "\"b\"", "10", "SO_ERROR", "POLLIN|POLLOUT, 100 ms"...
std::string call_args(const CallRequest& c);
/// "1", "EPIPE +SIGPIPE (killed by SIGPIPE)", "\"hel\""...
std::string describe_result(const CallRequest& c, const CallResult& r);
bool expectation_met(const Expectation& e, const CallResult& r);

}  // namespace rstlab::detail
