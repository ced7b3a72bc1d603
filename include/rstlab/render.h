// SPDX-License-Identifier: MIT
#pragma once
/// @file Human-readable renderings of a trace.

#include <string>

#include "rstlab/printable.h"
#include "rstlab/trace.h"

namespace rstlab {

/// The annotated timeline as text (trace.txt). With `color`, ANSI colours mark resets,
/// FINs, errors and expectations, for a terminal; without, plain text for files and pipes.
std::string render_text(const Trace& trace, bool color);

/// One line for a packet, tcpdump style: "client > server  Flags [P.], seq 1:2, ack 1, ...".
std::string packet_line(const PacketEvent& p);
/// One line for a call: "write(\"c\") = -1 EPIPE +SIGPIPE (process killed by SIGPIPE)".
std::string syscall_line(const SyscallEvent& s);
// printable(): see rstlab/printable.h.

}  // namespace rstlab
