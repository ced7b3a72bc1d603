// SPDX-License-Identifier: MIT
#pragma once
/// @file The kernel rules by name. Every rule the model, the annotator and the analyzer
/// apply has a RuleId and one entry in one table: a stable dotted name
/// ("rst.accepted.established") that JSON carries and tests assert on, the result it
/// yields, the call it shows in, a one-sentence summary usable outside a trace, and the
/// words a trace prints (templates whose {0}, {1}... are filled from the event). Words
/// live only here: one place to review them, and to translate them later.
/// docs/rules.md lists the table; docs/kernel-rules.md names the rules beside the kernel
/// code they follow.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "rstlab/vocabulary.h"

namespace rstlab {

enum class RuleId : uint8_t {
  None,  ///< no rule applies (not in the table)
  // What a segment does to its receiver (ConnectionModel::on_segment).
  BadChecksum,             ///< segment.bad-checksum: dropped before TCP
  RstAcceptedSynSent,      ///< rst.accepted.syn-sent -> ECONNREFUSED
  RstIgnoredSynSentBadAck, ///< rst.ignored.syn-sent-bad-ack
  RstIgnoredSynSentNoAck,  ///< rst.ignored.syn-sent-no-ack
  RstIgnoredNoConnection,  ///< rst.ignored.no-connection
  RstAcceptedEstablished,  ///< rst.accepted.established -> ECONNRESET (every synchronized state but those below)
  RstAcceptedCloseWait,    ///< rst.accepted.close-wait -> EPIPE
  RstAcceptedTimeWait,     ///< rst.accepted.time-wait: the remnant goes, no error
  RstChallengeAck,         ///< rst.challenge-ack: in the window, not rcv_nxt (RFC 5961)
  RstOutsideWindow,        ///< rst.outside-window: dropped silently
  FinReceived,             ///< fin.received: the receive side is shut
  // Why a segment was answered with (or a socket sent) an RST.
  CauseRefused,            ///< cause.refused: nothing listens (SYN answered with RST|ACK)
  CauseNoSocket,           ///< cause.no-socket: the socket is gone, its kernel answers with RST
  CauseListenerNonSyn,     ///< cause.listener-non-syn: a listener answers a non-SYN with RST
  CauseDataAfterClose,     ///< cause.data-after-close: data for a closed application
  CauseCloseUnreadData,    ///< cause.close-unread-data: close() with unread bytes aborts
  CauseLingerZero,         ///< cause.linger-zero: SO_LINGER {on, 0} close aborts
  CauseRetransmissionStorm,///< cause.retransmission-storm: gave up after retransmissions
  CauseAbort,              ///< cause.abort: nothing pending (linger 0, or the process died)
  CauseInjected,           ///< cause.injected: a middlebox in the sender's name
  CausePeerCrafted,        ///< cause.peer-crafted: the crafted peer's own RST
  CausePeerLinux,          ///< cause.peer-linux: the crafted peer acting as a Linux socket
  CausePeer,               ///< cause.peer: the crafted peer, no action on record
  PeerDropsConnection,     ///< peer.rst-received: an RST to the crafted peer
  // What a call returns (predictions and live calls).
  SentReset,               ///< call.after-own-reset -> closed
  ReadQueuedData,          ///< read.queued-data -> data
  ReadEofAfterFin,         ///< read.eof-after-fin -> EOF
  ReadFinHidesError,       ///< read.fin-hides-error: after a FIN, read never reports the RST
  ErrorReportedOnce,       ///< error.reported-once: sk_err, reported once and cleared
  ReadEofAfterReset,       ///< read.eof-after-reset -> EOF
  ReadEofShut,             ///< read.eof-shut -> EOF (SHUT_RD, or shut by the rules)
  ReadBlocks,              ///< read.blocks -> block
  ReadWouldBlock,          ///< read.would-block -> EAGAIN
  WriteEpipeAfterReset,    ///< write.epipe-after-reset -> EPIPE +SIGPIPE
  WriteEpipeShut,          ///< write.epipe-shut -> EPIPE +SIGPIPE (local shutdown)
  WriteAfterFin,           ///< write.after-fin -> ok
  WriteOpen,               ///< write.open -> ok
  WriteNoSignal,           ///< write.nosignal: MSG_NOSIGNAL, EPIPE without SIGPIPE
  WriteWaited,             ///< write.waited: a blocked write ended by what arrived
  WriteCutShort,           ///< write.cut-short: a blocked write returns the bytes it copied
  WriteDontwaitPartial,    ///< write.dontwait-partial
  SigpipeKills,            ///< signal.sigpipe-kills
  SigpipeIgnored,          ///< signal.sigpipe-ignored
  SigpipeHandled,          ///< signal.sigpipe-handled
  SoErrorAfterReset,       ///< so-error.after-reset -> 0
  SoErrorNone,             ///< so-error.none -> 0
  ConnectInProgress,       ///< connect.in-progress -> EINPROGRESS
  ConnectEstablished,      ///< connect.established -> ok
  Listen,                  ///< listen.accepts
  ShutdownWrite,           ///< shutdown.write: FIN, later writes EPIPE
  ShutdownRead,            ///< shutdown.read: reads return 0
  CloseSendsFin,           ///< close.fin
  CloseAfterReset,         ///< close.after-reset: only the descriptor goes
  LingerSet,               ///< linger.set
  UserTimeout,             ///< timeout.user -> ETIMEDOUT
  RetransmissionTimeout,   ///< timeout.retransmissions -> ETIMEDOUT (from a capture)
  PollErr,                 ///< poll.err -> POLLERR
  PollHup,                 ///< poll.hup -> POLLHUP
  PollRdHup,               ///< poll.rdhup -> POLLRDHUP
  PollQuiet,               ///< poll.quiet
  PipeCreated,             ///< pipe.created
  PipeReaderGone,          ///< pipe.reader-gone
  PipeNoReader,            ///< pipe.no-reader -> EPIPE +SIGPIPE
  PipeWrite,               ///< pipe.write -> ok
  PipeRead,                ///< pipe.read -> data
  // State changes that are no error (ConnectionModel's history names them).
  StateSynSent,            ///< state.syn-sent: it sent a SYN
  StateSynRecv,            ///< state.syn-recv: it answered a SYN with SYN|ACK
  StateEstablished,        ///< state.established: the handshake completed
  StateFinSent,            ///< state.fin-sent: it sent its FIN
  StateFinAcked,           ///< state.fin-acked: the other side acknowledged its FIN
  AssumedMidStream,        ///< capture.mid-stream: no handshake in the capture
  AssumedRefusedSyn,       ///< capture.refused-syn: the capture starts with a refusal
  // Found by the differential tester (docs/difftest.md).
  RstChallengeAckRateLimited,  ///< rst.challenge-ack.rate-limited: within tcp_invalid_ratelimit, no answer
  RstAcceptedTimewaitFinWait2, ///< rst.accepted.timewait-fin-wait2: a closed socket's FIN_WAIT2 remnant goes
  RstTimewaitAck,          ///< rst.timewait-ack: outside that remnant's window, answered with an ACK
  RstIgnoredTimeWait,      ///< rst.ignored.time-wait: TIME_WAIT takes only an RST at rcv_nxt
  AbortDataAfterShutRd,    ///< abort.data-after-shut-rd -> ECONNRESET, and an RST
  ReadEofAfterTimeout,     ///< read.eof-after-timeout -> EOF
  WriteEpipeAfterTimeout,  ///< write.epipe-after-timeout -> EPIPE +SIGPIPE
  SoErrorAfterTimeout,     ///< so-error.after-timeout -> 0
  WriteNotOnWire,          ///< write.not-on-wire: accepted into the send queue, never sent
  Count_                   ///< not a rule: the number of ids
};

/// One rule of the table.
struct Rule {
  RuleId id;
  const char* name;     ///< stable dotted name: "rst.accepted.established"
  /// What it yields: an errno name ("ECONNRESET", "EPIPE"), "EOF", "data", "ok", "block",
  /// "closed", "0" (SO_ERROR), a poll event ("POLLERR"), "sk_err" (the error stored
  /// before), or "-" for a rule about segments that no call returns.
  const char* result;
  /// The call it shows in. CallOp::Other: any call that reports the socket's pending
  /// error (read, write, getsockopt(SO_ERROR)), or none (segment rules with result "-").
  CallOp call;
  const char* summary;  ///< one plain sentence, usable outside a trace
};

/// The table entry of `id`; nullptr for RuleId::None and out-of-range values.
const Rule* rule_of(RuleId id);
/// The dotted name, "" for RuleId::None.
const char* rule_name(RuleId id);
/// The rule of a dotted name; RuleId::None if there is none.
RuleId rule_by_name(std::string_view name);
/// Every rule, in RuleId order.
const std::vector<Rule>& all_rules();

/// The rules that yield `result` ("ECONNRESET", "EOF", "EPIPE"...) on `call`: those
/// whose call is `call`, and, for read, write and getsockopt, those that show in any
/// call reporting the pending error (Rule::call == CallOp::Other).
std::vector<const Rule*> rules_yielding(std::string_view result, CallOp call);

/// The words of rule `id`, phrasing `variant` (0: the main one; a rule said in several
/// places - a live trace, a capture's analysis, a fragment added to another sentence -
/// has more), as a template: {0}, {1}... stand for the event's values. nullptr if the
/// rule has no such phrasing.
const char* rule_template(RuleId id, unsigned variant = 0);
/// Appends the words of (`id`, `variant`) to `out` with the placeholders filled from
/// `args` in order ({0} = the first). A missing template appends nothing.
void append_rule_words(std::string& out, RuleId id, unsigned variant,
                       std::initializer_list<std::string_view> args = {});
/// The same, as a new string.
std::string rule_words(RuleId id, unsigned variant = 0, std::initializer_list<std::string_view> args = {});

}  // namespace rstlab
