// SPDX-License-Identifier: MIT
#pragma once
/// @file A scenario: two actors (client, server), each a real kernel socket or the
/// crafted peer, and the steps they take, with the results expected.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/call_request.h"
#include "rstlab/vocabulary.h"

namespace rstlab {

// Role, role_name, LinkKind, SeqPolicy: see rstlab/vocabulary.h.

/// Which end an injected segment of the middle actor goes to.
enum class MiddleTarget { Client, Server, Both };

enum class ActorKind {
  Kernel,  ///< a real kernel socket (or pipe), driven by system calls
  Peer,    ///< the crafted libtins peer
  None,    ///< absent (a scenario with no network, e.g. a pipe)
};

/// The TCP options the crafted peer offers in its SYN (client) or SYN-ACK (server),
/// written on its declaration: `server peer wscale=7 sackok ts`. An option is used when
/// both ends offered it; with timestamps, every segment the peer sends (but a crafted
/// RST) carries them, its TSval increasing, as a kernel's PAWS check requires.
struct PeerOffer {
  uint16_t mss = 1460;            ///< `mss=N`
  std::optional<uint8_t> wscale;  ///< `wscale=N` (0-14)
  bool sack_permitted = false;    ///< `sackok`
  bool timestamps = false;        ///< `ts`
  /// `isn=N`: the peer's initial sequence number (a replay keeps the captured one);
  /// unset, a fixed 1000000000, so every run shows the same absolute numbers.
  std::optional<uint32_t> isn;
  /// As written on the declaration: "wscale=7 sackok ts" ("" for the defaults).
  std::string str() const;
};

/// `client exec "CMD ARGS..."` / `server exec "..."`: an unmodified program plays this end
/// (traced, like `rstlab exec`), against the crafted peer playing the other. Its calls are
/// its own: the scenario holds only the peer's steps. `{server}` and `{client}` in its
/// words become ADDR:PORT.
struct ProgramSpec {
  std::vector<std::string> argv;  ///< the words of the command (no shell)
  std::string text;               ///< the command as written
  std::string where;              ///< "file.scn:3"
};

struct ActorSpec {
  ActorKind kind = ActorKind::Kernel;  ///< a program (`exec`) is a kernel socket: Kernel
  SigpipeMode sigpipe = SigpipeMode::Default;
  PeerOffer offer;  ///< the crafted peer only
  std::optional<ProgramSpec> program;  ///< `exec "..."`: a program plays this end
};

/// What a step must produce. Written `=> 1`, `=> EPIPE +SIGPIPE`, `=> killed by SIGPIPE`.
struct Expectation {
  enum class Kind {
    Return,  ///< the call returns `ret` (no error)
    Errno,   ///< the call fails with `err`; `sigpipe` says whether SIGPIPE is raised
    Killed,  ///< the process dies of SIGPIPE
    Value,   ///< SO_ERROR / poll revents / bytes read equal `value`
  } kind = Kind::Return;
  int64_t ret = 0;
  int err = 0;
  bool sigpipe = false;
  std::string value;
  /// Clauses after the result (`state=CLOSE inq=0 outq=3`): what TCP_INFO, SIOCINQ and
  /// SIOCOUTQ say right after the call. A query step (`client state => X`) has only these.
  std::optional<std::string> state;
  std::optional<int64_t> inq, outq;
  bool query = false;  ///< a query step: no call result to compare, only the clauses
  std::string text;  ///< as written, for the trace
};

enum class StepOp {
  // Kernel actors: one system call each (see KernelCall).
  Call,
  // Peer actions.
  PeerConnect,      ///< SYN, then wait for the handshake to complete
  PeerRecv,         ///< wait for `count` bytes and read them
  PeerSend,         ///< send `data`
  PeerFin,          ///< FIN (half-close)
  PeerClose,        ///< application close (FIN, or RST|ACK with unread data)
  PeerRst,          ///< crafted RST (`seq`, `with_ack`, `bad_checksum`)
  PeerAck,          ///< a bare ACK
  PeerExpect,       ///< wait for a segment with flags `data` ("." "R" "F." ...)
  /// `expect none N ms` / `expect no FLAGS N ms`: wait `count` ms; no segment (with every
  /// flag of `data`, when given) may arrive
  PeerExpectNone,
  PeerAutoAck,      ///< `flag`: ACK received data automatically
  PeerClosedSocket, ///< `flag`: answer data after close with RST
  PeerAnswerSyn,    ///< `flag`: answer SYNs with SYN-ACK (server role)
  PeerDelay,        ///< `count` ms: hold every segment the peer sends that long (a slow path)
  // Either kind of actor.
  Wait,             ///< collect the result of this actor's background call
  // The middle actor (`middle box`): segments injected toward `target`.
  MiddleRst,        ///< RST (`seq`, `with_ack`)
  MiddleFin,        ///< FIN|ACK (`seq`)
  /// `ACTOR note "TEXT"`: no action, a line in the trace (a replay says there what it
  /// inferred, e.g. "close() or shutdown(): the capture cannot tell")
  Note,
};

struct Step {
  Role actor = Role::Client;
  StepOp op = StepOp::Call;
  CallRequest call;        ///< for StepOp::Call (endpoints filled in by the runner)
  int64_t count = 0;       ///< PeerRecv; PeerSend `N bytes`
  std::string data;        ///< PeerSend payload (empty: `count` filler bytes) / PeerExpect flags / Note text
  SeqPolicy seq;           ///< PeerRst
  /// PeerExpect: the segment's sequence number must be this (Absolute, or Explicit:
  /// relative to the sender's ISN as tcpdump prints it)
  std::optional<SeqPolicy> match_seq;
  bool with_ack = false;   ///< PeerRst
  bool bad_checksum = false;
  MiddleTarget target = MiddleTarget::Both;  ///< MiddleRst / MiddleFin
  bool flag = true;        ///< PeerAutoAck / PeerClosedSocket / PeerAnswerSyn
  bool background = false; ///< Call: start it and go on (`&`); a later Wait collects it
  int64_t after_ms = 0;    ///< `after N ms`: let the network run this long before the step
  std::optional<Expectation> expect;
  std::string where;       ///< "file.scn:12", for messages
  std::string text;        ///< the step as the user would write it, for the trace
};

struct Scenario {
  std::string name;
  std::string title;
  std::string story;
  ActorSpec client, server;
  Family family = Family::V4;
  /// `link veth|tun|both`: where the scenario runs unless the command line says otherwise.
  std::vector<LinkKind> links = {LinkKind::Veth};
  uint16_t client_port = 40001;
  uint16_t server_port = 8080;
  /// `rto_min N ms`: the lab's minimum retransmission timeout for this run
  /// (net.ipv4.tcp_rto_min_us inside the lab), so timeout stories take milliseconds.
  std::optional<int> rto_min_ms;
  /// `middle box`: a middlebox on the path between the two kernel sockets, which can
  /// inject RSTs and FINs toward either (kernel against kernel only).
  bool middle = false;
  std::vector<Step> steps;

  bool kernel_vs_kernel() const {
    return client.kind == ActorKind::Kernel && server.kind == ActorKind::Kernel;
  }
  /// The actor an `exec` header gives to a program, if any.
  const ActorSpec* program_actor() const {
    return client.program ? &client : server.program ? &server : nullptr;
  }
};

/// Parses a scenario file's text. `source` names it in messages. Throws InputError
/// "source:line:column: what was expected, what was found" on the first problem.
Scenario parse_scenario(const std::string& text, const std::string& source);
/// Reads and parses a scenario file.
Scenario load_scenario_file(const std::string& path);

/// A built-in scenario's source text, as shipped in scenarios/.
struct CatalogueEntry {
  std::string file;  ///< "broken-pipe.scn"
  std::string text;
};
const std::vector<CatalogueEntry>& catalogue_sources();
/// The built-in scenarios, parsed, in catalogue order.
const std::vector<Scenario>& catalogue();
/// A built-in scenario by name; throws InputError listing the names when unknown.
const Scenario& find_scenario(const std::string& name);
const CatalogueEntry& find_scenario_source(const std::string& name);

}  // namespace rstlab
