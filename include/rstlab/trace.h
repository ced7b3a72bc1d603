// SPDX-License-Identifier: MIT
#pragma once
/// @file The trace: one timeline of packets (from the capture), syscalls (from the
/// kernel-socket actors) and peer actions, each stamped on CLOCK_REALTIME.
/// Live runs produce it; renderers and (later) the annotator consume it.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/vocabulary.h"

namespace rstlab {

enum class Dir { ClientToServer, ServerToClient };
const char* dir_name(Dir d);  ///< "client>server" / "server>client"

/// A segment seen by the recorder on the lab link: the independent witness.
struct PacketEvent {
  uint64_t frame = 0;  ///< 1-based frame number in capture.pcap
  Dir dir = Dir::ClientToServer;
  uint8_t flags = 0;
  uint32_t seq = 0, ack = 0;          ///< Relative to each direction's ISN, as tcpdump prints.
  uint32_t seq_abs = 0, ack_abs = 0;  ///< Raw values on the wire.
  uint32_t len = 0;                   ///< Payload bytes.
  uint16_t window = 0;
  bool checksum_ok = true;
  int wscale = -1;      ///< Window-scale option (SYNs only; -1 when absent)
  std::string payload;  ///< Up to 64 payload bytes, for display.
  /// "middle" when the middle actor injected it (neither end sent it); empty otherwise.
  std::string injected_by;
};

/// How a SIGPIPE raised by a call ended.
enum class SignalFate { None, Killed, Ignored, Handled };
const char* signal_fate_name(SignalFate f);  ///< "none", "killed", "ignored", "handled"

/// One system call made by a kernel-socket actor, with what the kernel answered.
struct SyscallEvent {
  std::string actor;  ///< "client" / "server"
  /// What the call was, typed: the only part the model and the annotator read.
  CallFacts facts;
  std::string call;   ///< For people: "connect", "write", "read", "getsockopt"...
  std::string args;   ///< For people: "\"b\"", "10", "SO_ERROR"
  std::optional<int64_t> ret;  ///< Return value (absent only if the call never returned).
  std::optional<int> err;      ///< errno when the call failed.
  std::optional<int> signal;   ///< Signal the call raised (SIGPIPE).
  SignalFate fate = SignalFate::None;
  std::string value;  ///< Extra result: bytes read, SO_ERROR value, poll revents.
  std::string state;  ///< TCP state after the call (TCP_INFO), empty if no socket.
  int64_t t_start_ns = 0;  ///< When the call was entered; the event time is its return.
};

/// Something the crafted peer or the runner did: "sent RST seq=rcv_nxt", "closed".
struct ActionEvent {
  std::string actor;
  std::string action;
  std::string detail;
};

/// One entry of the timeline.
struct Event {
  int64_t t_ns = 0;  ///< CLOCK_REALTIME, nanoseconds
  std::variant<PacketEvent, SyscallEvent, ActionEvent> body;
  std::string expected;     ///< The step's expectation, as written ("EPIPE +SIGPIPE"); empty if none
  std::optional<bool> met;  ///< Whether the expectation held
  std::string line;         ///< Scenario source location of the step ("file.scn:12"), if any

  const PacketEvent* packet() const { return std::get_if<PacketEvent>(&body); }
  const SyscallEvent* syscall() const { return std::get_if<SyscallEvent>(&body); }
  const ActionEvent* action() const { return std::get_if<ActionEvent>(&body); }
};

/// An explanation attached to one event, rooted in the kernel's rules.
struct Annotation {
  size_t event = 0;  ///< index into Trace::events
  std::string kind;  ///< "rst", "fin", "challenge-ack", "cause", "call", "observer", "mismatch"
  std::string text;
};

/// The first system call whose result was caused by the reset (or FIN, or local
/// shutdown, or timeout) that ended the connection.
struct FirstObserver {
  size_t event = 0;  ///< index into Trace::events
  std::string actor, call, result;
  std::string reason;
  std::optional<size_t> cause;  ///< the packet (or call) that caused it, if any
};

/// One side of the connection as the trace introduces it.
struct ActorInfo {
  std::string kind;     ///< "kernel" or "peer"
  Endpoint endpoint;
  std::string sigpipe;  ///< "default", "ignore", "handler" (kernel actors)
};

/// What the recorder says about its own capture.
struct CaptureInfo {
  std::string file;          ///< capture.pcap, relative to the trace
  uint64_t packets = 0;      ///< Packets written
  uint64_t dropped = 0;      ///< pcap_stats ps_drop
  uint64_t if_dropped = 0;   ///< pcap_stats ps_ifdrop
  uint64_t undecoded = 0;    ///< Packets that could not be decoded as TCP
  uint64_t foreign = 0;      ///< Late segments of earlier runs on a shared lab, left out
};

/// Where a trace comes from.
enum class TraceKind {
  Run,      ///< a live run: calls, expectations, a recorder on the lab link
  Capture,  ///< one connection of a capture (`rstlab analyze --flow`): packets only
};

/// What one endpoint's next calls return, predicted from a capture (TraceKind::Capture:
/// there are no calls to observe).
struct EndpointOutlook {
  std::string role;  ///< "client a" / "server b" (a sent the SYN, as in the table)
  Endpoint endpoint;
  std::string next_read, next_write, so_error;
  bool sigpipe = false;   ///< the write raises SIGPIPE
  std::string why;
  bool inferred = false;  ///< rests on state inferred from the other side's segments
  std::string unknown;    ///< what the capture cannot tell
};

/// A file an HTML page links to, beside it.
struct FileLink {
  std::string href, what;
};

struct Trace {
  TraceKind kind = TraceKind::Run;
  std::string scenario;
  std::string title;
  std::string story;
  std::string link;  ///< "veth" / "tun"
  Family family = Family::V4;
  ActorInfo client, server;
  std::vector<Event> events;  ///< Sorted by t_ns
  CaptureInfo capture;
  std::vector<std::string> failures;  ///< Unmet expectations and run errors, in order
  std::vector<Annotation> annotations;  ///< in event order
  std::optional<FirstObserver> first_observer;
  /// Live runs: net.ipv4.tcp_invalid_ratelimit in the lab's namespace (ms), which limits
  /// challenge ACKs per socket; unknown (captures): the model assumes Linux's 500.
  std::optional<int> invalid_ratelimit_ms;
  /// TraceKind::Capture: the prediction per endpoint (client, server), the files the
  /// HTML page links (only those written beside it), and the capture's files and frames
  /// in words (several files read as one capture).
  std::vector<EndpointOutlook> outlook;
  std::vector<FileLink> files;
  std::string frames_in;

  bool from_capture() const { return kind == TraceKind::Capture; }
  bool passed() const { return failures.empty(); }
  /// True when the middle actor took part: an action of its own or a packet it injected.
  bool has_middle() const {
    for (const Event& e : events) {
      if (const auto* a = e.action(); a && a->actor == "middle") return true;
      if (const auto* p = e.packet(); p && !p->injected_by.empty()) return true;
    }
    return false;
  }
  /// Sorts events by time; ties keep insertion order.
  void sort_events();
};

/// errno value <-> symbolic name ("EPIPE"). Unknown values print as "E<number>".
std::string errno_name(int err);
/// The symbolic name of an errno Linux defines, else nullptr.
const char* known_errno_name(int err);
/// Every Linux errno name and alias (EWOULDBLOCK, EDEADLOCK, ENOTSUP), to its value.
std::optional<int> errno_from_name(const std::string& name);
/// Every name errno_from_name accepts: by value, then the aliases.
const std::vector<std::string>& all_errno_names();
/// Signal number <-> name ("SIGPIPE").
std::string signal_name(int sig);

}  // namespace rstlab
