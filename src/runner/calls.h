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
/// " state=CLOSE inq=0": what the socket showed, for the clauses `e` names ("" for none).
std::string describe_socket(const Expectation& e, const CallResult& r);
bool expectation_met(const Expectation& e, const CallResult& r);
/// The call as typed facts, from what was asked and what the actor measured.
CallFacts call_facts(const CallRequest& c, const CallResult& r);
/// The trace's event for a call: its facts, and its name, arguments and value for people.
SyscallEvent syscall_event(const std::string& actor, const CallRequest& c, const CallResult& r);

}  // namespace rstlab::detail
