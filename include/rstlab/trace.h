// SPDX-License-Identifier: MIT
#pragma once
/// @file The trace: one timeline of packets (from the capture), syscalls (from the
/// kernel-socket actors) and peer actions, each stamped on CLOCK_REALTIME.
/// Live runs produce it; renderers and the annotator consume it.
///
/// A trace names its actors (processes or threads: a kernel-socket actor, the crafted
/// peer, the middlebox, a traced program) in a table, and may hold several connections,
/// each with its two endpoints and their actors. Packets and calls carry the id of their
/// connection. A scenario run holds one connection (id 0) between the actors "client"
/// and "server"; `client` and `server` below describe that pair, as they always did.

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

/// Index into Trace::actors.
using ActorId = uint32_t;
/// A connection's id: its index in Trace::connections (0 for a scenario run's only one).
using ConnId = uint32_t;

/// A segment seen by the recorder on the lab link: the independent witness.
struct PacketEvent {
  uint64_t frame = 0;  ///< 1-based frame number in capture.pcap
  ConnId conn = 0;     ///< The connection it belongs to
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
  std::string actor;  ///< The actor's name: "client" / "server" in scenario runs
  /// The actor in Trace::actors; absent in traces without a table (hand-built ones),
  /// where the name alone says who called.
  std::optional<ActorId> actor_id;
  ConnId conn = 0;    ///< The connection the call used
  /// What the call was, typed: the only part the model, the annotator and the renderers'
  /// decisions read.
  CallFacts facts;
  std::string call;   ///< For people: "connect", "write", "read", "getsockopt"...
  std::string args;   ///< For people: "\"b\"", "10", "SO_ERROR"
  std::optional<int64_t> ret;  ///< Return value (absent only if the call never returned).
  std::optional<int> err;      ///< errno when the call failed.
  std::optional<int> signal;   ///< Signal the call raised (SIGPIPE).
  SignalFate fate = SignalFate::None;
  std::string value;  ///< Extra result: bytes read, SO_ERROR value, poll revents.
  std::string state;  ///< TCP state after the call (TCP_INFO), empty if no socket.
  /// The same state typed (tcp_state_from_kernel): absent without a socket, and for a
  /// state the model has no name for (NEW_SYN_RECV). The model's state is compared with it.
  std::optional<TcpState> tcp_state;
  int64_t t_start_ns = 0;  ///< When the call was entered; the event time is its return.
  /// When TCP_INFO was read, just after the call returned (0: not recorded).
  int64_t t_state_ns = 0;
  /// A traced program's call the trace placed later than strace's end (just after the
  /// segment that ended its wait, which the capture stamped after that end, or after a
  /// call placed so before it): the end strace gave it. 0: the event time is that end.
  int64_t t_strace_end_ns = 0;

  /// The call failed or raised a signal.
  bool failed() const { return err.has_value() || signal.has_value(); }
  /// A read (read, recv) that returned 0: end of file.
  bool eof() const { return facts.op == CallOp::Read && ret && *ret == 0 && !err; }
};

/// Something the crafted peer or the runner did: "sent RST seq=rcv_nxt", "closed".
struct ActionEvent {
  std::string actor;
  std::string action;
  std::string detail;
};

/// One line a traced program printed on its standard output or error, stamped with the
/// end of the write that printed it (the time rstlab read it when no traced write matches).
struct OutputEvent {
  std::string actor;  ///< the actor (thread) that wrote it; the program's name when unknown
  std::optional<ActorId> actor_id;  ///< the actor in Trace::actors, when it has one
  int stream = 1;     ///< 1 stdout, 2 stderr
  int pid = 0, tid = 0;  ///< the process and thread that wrote it (0: unknown)
  /// The line as the program wrote it, without its newline: any bytes (they need not be
  /// UTF-8; the renderers and trace.json escape what is not text).
  std::string text;
};
const char* stream_name(int stream);  ///< "stdout" / "stderr"

/// One entry of the timeline.
struct Event {
  int64_t t_ns = 0;  ///< CLOCK_REALTIME, nanoseconds
  std::variant<PacketEvent, SyscallEvent, ActionEvent, OutputEvent> body;
  std::string expected;     ///< The step's expectation, as written ("EPIPE +SIGPIPE"); empty if none
  std::optional<bool> met;  ///< Whether the expectation held
  std::string line;         ///< Scenario source location of the step ("file.scn:12"), if any

  const PacketEvent* packet() const { return std::get_if<PacketEvent>(&body); }
  const SyscallEvent* syscall() const { return std::get_if<SyscallEvent>(&body); }
  const ActionEvent* action() const { return std::get_if<ActionEvent>(&body); }
  const OutputEvent* output() const { return std::get_if<OutputEvent>(&body); }
};

/// An explanation attached to one event, rooted in the kernel's rules.
struct Annotation {
  size_t event = 0;  ///< index into Trace::events
  std::string kind;  ///< "rst", "fin", "challenge-ack", "cause", "call", "observer", "mismatch"
  std::string text;
  std::string rule;  ///< the dotted name of the rule behind it (rstlab/rules.h), empty if none
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

/// What an actor is.
enum class ProcessKind : uint8_t {
  Kernel,   ///< a kernel socket driven by scripted calls (an actor process of rstlab)
  Peer,     ///< the crafted peer (libtins), inside rstlab itself
  Middle,   ///< the middlebox on the path, inside rstlab itself
  Program,  ///< an unmodified program whose calls were traced
};
const char* process_kind_name(ProcessKind k);  ///< "kernel", "peer", "middle", "program"
std::optional<ProcessKind> process_kind_from_name(const std::string& name);

/// One actor of a trace: a process, or a thread of one.
struct TraceActor {
  std::string name;  ///< "client", "server", "middle"; a program's own name
  ProcessKind kind = ProcessKind::Kernel;
  int pid = 0;  ///< 0 when it is no process of its own (the peer and the middle run inside rstlab)
  int tid = 0;  ///< the thread; equal to pid for a single-threaded process
  std::string sigpipe;  ///< "default", "ignore", "handler" (kernel actors)
};

/// One endpoint of a connection, and who holds its socket.
struct ConnectionEnd {
  Endpoint endpoint;
  std::optional<ActorId> actor;  ///< absent when no actor of the trace holds it
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

/// One connection of a trace: its endpoints (the client sent the SYN) and the first
/// observer of what ended it.
struct ConnectionInfo {
  ConnId id = 0;
  ConnectionEnd client, server;
  std::optional<FirstObserver> first_observer;
};

struct Trace {
  TraceKind kind = TraceKind::Run;
  std::string scenario;
  std::string title;
  std::string story;
  std::string link;  ///< "veth" / "tun"
  Family family = Family::V4;
  /// The pair of a single-connection trace (a scenario run, one flow of a capture):
  /// connection 0's client and server.
  ActorInfo client, server;
  /// The process table: every actor that calls or sends (ActorId indexes it).
  std::vector<TraceActor> actors;
  /// Every connection, by id (connections[i].id == i). Scenario runs have one.
  std::vector<ConnectionInfo> connections;
  std::vector<Event> events;  ///< Sorted by t_ns
  CaptureInfo capture;
  std::vector<std::string> failures;  ///< Unmet expectations and run errors, in order
  std::vector<Annotation> annotations;  ///< in event order
  /// The run's first observer (of its principal cause); each connection has its own.
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

  /// The actor named `name` in the table, if any.
  std::optional<ActorId> find_actor(const std::string& name) const;
  /// Which end of its connection made the call: 0 the client's, 1 the server's, -1
  /// neither. With a process table it is decided by the actor's id; without one (a
  /// hand-built trace), by the names "client" and "server".
  int side_of(const SyscallEvent& call) const;
};

// errno_name, errno_from_name, signal_name...: see rstlab/vocabulary.h.
/// Annotations of kind "mismatch": results the kernel rules did not predict, and TCP
/// states (TCP_INFO) the model did not reach (rstlab/oracle.h). Run summaries count them.
size_t model_mismatches(const Trace& t);

/// Builds the process table and connection 0 from `client` and `server` when the trace
/// has none (a hand-built trace, a flow of a capture): actors "client" and "server" (the
/// kind from ActorInfo; an end of kind "none" has no actor), plus "middle" when the
/// middlebox took part. Leaves a trace that has a table as it is.
void describe_single_connection(Trace& t);

/// One connection of a trace as a trace of its own (what annotate() reads): its packets
/// and calls, the actions of its actors and of the middlebox, `client` and `server`
/// from its ends. `events[k]` of the view is `original[k]` of the trace.
struct ConnectionView {
  Trace trace;
  std::vector<size_t> original;
};
ConnectionView connection_view(const Trace& t, ConnId id);


}  // namespace rstlab
