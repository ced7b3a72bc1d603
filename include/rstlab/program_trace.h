// SPDX-License-Identifier: MIT
#pragma once
/// @file A traced program's run as a Trace: its calls (from strace's records) become the
/// same SyscallEvents, with the same CallFacts, that a kernel actor's calls are; its
/// threads and processes fill the process table; each TCP connection it made (found from
/// its sockets' addresses and from the capture) becomes a connection of the trace, its
/// packets numbered as in the capture; each line it printed becomes an output event and
/// its end an action.
/// Then the same annotator runs on every connection. Core code: no lab, no privileges
/// (the live side is rstlab/program.h).

#include <cstdint>
#include <string>
#include <vector>

#include "rstlab/capture.h"
#include "rstlab/strace_parse.h"
#include "rstlab/trace.h"

namespace rstlab {

/// Bytes the program wrote on its standard output (stream 1) or error (2), as they were
/// read from the pipe rstlab gave it.
struct OutputChunk {
  int stream = 1;
  int64_t t_ns = 0;  ///< when rstlab read them (used only when no traced write matches)
  std::string bytes;
};

/// Everything a run of a program left behind.
struct ProgramObservations {
  std::string name;                  ///< the run's name (trace.scenario)
  std::vector<std::string> command;  ///< the command line as given
  std::vector<StraceRecord> records;
  /// The inodes of the pipes rstlab reads the program's stdout and stderr from: writes on
  /// them are its output, not calls under study.
  uint64_t stdout_inode = 0, stderr_inode = 0;
  std::vector<OutputChunk> output;
  int link_type = 0;
  std::vector<CapturedPacket> packets;  ///< everything the recorder saw, in order
  std::vector<std::string> failures;    ///< what went wrong around the program (timeout...)
  std::string link = "veth";
  /// The crafted peer, when it played the program's far end (`--peer`): its address,
  /// and what it did (actions of the actor "peer": its scenario steps, its own RSTs).
  std::optional<Endpoint> peer;
  std::vector<Event> peer_events;
  std::string peer_scenario;  ///< the scenario whose peer steps it followed
};

struct ProgramTrace {
  Trace trace;
  std::vector<CapturedPacket> packets;  ///< the capture as written to capture.pcap
  size_t calls_left_out = 0;  ///< traced calls on sockets that belong to no TCP connection
};

/// Builds and annotates the trace. A run without any TCP connection gets the failure
/// "no TCP connection was made".
ProgramTrace build_program_trace(const ProgramObservations& obs);

/// Parses a sockaddr as strace prints it ({sa_family=AF_INET, sin_port=htons(8080),
/// sin_addr=inet_addr("127.0.0.1")} and the AF_INET6 form); nullopt for other families.
std::optional<Endpoint> parse_strace_sockaddr(const std::string& text);

}  // namespace rstlab
