// SPDX-License-Identifier: MIT
// The rule table and the words of every rule: the one place where what rstlab says
// about the kernel is written down.
#include "rstlab/rules.h"

#include <array>
#include <iterator>
#include <string>

namespace rstlab {
namespace {

using C = CallOp;
using R = RuleId;

// In RuleId order (checked by rules_test: the table index is the id).
const std::vector<Rule> kRules = {
    {R::None, "", "-", C::Other, ""},
    {R::BadChecksum, "segment.bad-checksum", "-", C::Other,
     "A segment whose TCP checksum is neither correct nor offload-pending is dropped before TCP looks at it."},
    {R::RstAcceptedSynSent, "rst.accepted.syn-sent", "ECONNREFUSED", C::Connect,
     "An RST|ACK that acknowledges the SYN refuses a connection in progress: connect fails with ECONNREFUSED."},
    {R::RstIgnoredSynSentBadAck, "rst.ignored.syn-sent-bad-ack", "-", C::Other,
     "In SYN_SENT an RST whose ack is not the SYN's is ignored."},
    {R::RstIgnoredSynSentNoAck, "rst.ignored.syn-sent-no-ack", "-", C::Other,
     "In SYN_SENT an RST without the ACK flag is ignored: it must acknowledge the SYN."},
    {R::RstIgnoredNoConnection, "rst.ignored.no-connection", "-", C::Other,
     "An RST for a socket with no connection (closed, or only listening) changes nothing."},
    {R::RstAcceptedEstablished, "rst.accepted.established", "ECONNRESET", C::Other,
     "An RST whose seq is exactly rcv_nxt is accepted in a synchronized state and stores ECONNRESET, which the next "
     "read, write or SO_ERROR reports once."},
    {R::RstAcceptedCloseWait, "rst.accepted.close-wait", "EPIPE", C::Write,
     "An RST accepted after the peer's FIN (CLOSE_WAIT) stores EPIPE: reads keep returning 0, the next write fails "
     "with EPIPE and raises SIGPIPE."},
    {R::RstAcceptedTimeWait, "rst.accepted.time-wait", "-", C::Other,
     "An RST with seq = rcv_nxt in TIME_WAIT ends the remnant early and stores no error."},
    {R::RstChallengeAck, "rst.challenge-ack", "-", C::Other,
     "An RST inside the receive window but not at rcv_nxt is not accepted: a challenge ACK answers it (RFC 5961) "
     "and the connection survives."},
    {R::RstOutsideWindow, "rst.outside-window", "-", C::Other,
     "An RST whose seq lies outside the receive window is dropped silently."},
    {R::FinReceived, "fin.received", "-", C::Other,
     "A FIN in order shuts its receiver's receive side; the receiver can still send."},
    {R::CauseRefused, "cause.refused", "ECONNREFUSED", C::Connect,
     "Nothing listens on the port: the kernel answers the SYN with RST|ACK."},
    {R::CauseNoSocket, "cause.no-socket", "ECONNRESET", C::Other,
     "A segment that finds no socket (the connection was reset or closed) is answered with RST."},
    {R::CauseListenerNonSyn, "cause.listener-non-syn", "ECONNRESET", C::Other,
     "A listening socket answers a segment that is not a SYN with RST."},
    {R::CauseDataAfterClose, "cause.data-after-close", "EPIPE", C::Write,
     "Data arriving after the application closed its socket is answered with RST: the sender, which had the FIN, "
     "gets EPIPE on its next write."},
    {R::CauseCloseUnreadData, "cause.close-unread-data", "ECONNRESET", C::Other,
     "close() with unread bytes in the receive queue aborts the connection with RST instead of FIN."},
    {R::CauseLingerZero, "cause.linger-zero", "ECONNRESET", C::Other,
     "close() on a socket with SO_LINGER {on, 0} aborts the connection with RST instead of FIN."},
    {R::CauseRetransmissionStorm, "cause.retransmission-storm", "ECONNRESET", C::Other,
     "An RST after three or more unanswered retransmissions: the sender gave up, or had no connection left."},
    {R::CauseAbort, "cause.abort", "ECONNRESET", C::Other,
     "An RST with nothing pending: an SO_LINGER {on, 0} close, or the process died."},
    {R::CauseInjected, "cause.injected", "ECONNRESET", C::Other,
     "A segment injected by a middlebox in an endpoint's name: the endpoint never sent it."},
    {R::CausePeerCrafted, "cause.peer-crafted", "-", C::Other, "The crafted peer sent this RST as the scenario asked."},
    {R::CausePeerLinux, "cause.peer-linux", "-", C::Other,
     "The crafted peer answered with RST as a Linux socket in its place would."},
    {R::CausePeer, "cause.peer", "-", C::Other, "The crafted peer sent this RST."},
    {R::PeerDropsConnection, "peer.rst-received", "-", C::Other,
     "An RST to the crafted peer ends its side of the connection."},
    {R::SentReset, "call.after-own-reset", "closed", C::Other,
     "An endpoint that sent an RST has no connection left: its socket was closed or aborted."},
    {R::ReadQueuedData, "read.queued-data", "data", C::Read,
     "Bytes in the receive queue are returned before any EOF or error, even after an RST."},
    {R::ReadEofAfterFin, "read.eof-after-fin", "EOF", C::Read,
     "After the peer's FIN, read returns 0 (EOF) once the receive queue is empty."},
    {R::ReadFinHidesError, "read.fin-hides-error", "EOF", C::Read,
     "After a FIN, read returns 0 and never reports a later RST's error; SO_ERROR or a write does."},
    {R::ErrorReportedOnce, "error.reported-once", "sk_err", C::Other,
     "The error an RST stored (sk_err) is reported by the first read, write or SO_ERROR after it, and cleared."},
    {R::ReadEofAfterReset, "read.eof-after-reset", "EOF", C::Read,
     "Once a reset's error was reported, read returns 0 (EOF) from then on."},
    {R::ReadEofShut, "read.eof-shut", "EOF", C::Read,
     "A read on a shut receive side returns 0; after the actor's own shutdown(SHUT_RD) that is the shutdown's "
     "doing, even once a FIN arrives."},
    {R::ReadBlocks, "read.blocks", "block", C::Read, "A read with nothing queued on an open connection waits."},
    {R::ReadWouldBlock, "read.would-block", "EAGAIN", C::Read,
     "A non-blocking read with nothing queued fails with EAGAIN."},
    {R::WriteEpipeAfterReset, "write.epipe-after-reset", "EPIPE", C::Write,
     "Once a reset's error was reported, write fails with EPIPE and raises SIGPIPE."},
    {R::WriteEpipeShut, "write.epipe-shut", "EPIPE", C::Write,
     "A write on a shut send side (shutdown or close) fails with EPIPE and raises SIGPIPE; nothing is sent."},
    {R::WriteAfterFin, "write.after-fin", "ok", C::Write,
     "A FIN only closes the peer's sending direction: a write after it is accepted and sent."},
    {R::WriteOpen, "write.open", "ok", C::Write, "A write on an open connection is accepted."},
    {R::WriteNoSignal, "write.nosignal", "EPIPE", C::Write,
     "With MSG_NOSIGNAL, a write that fails with EPIPE raises no SIGPIPE."},
    {R::WriteWaited, "write.waited", "sk_err", C::Write,
     "A write blocked for room in the send buffer is ended by an RST that arrives while it waits."},
    {R::WriteCutShort, "write.cut-short", "short", C::Write,
     "A blocked write that has copied bytes returns their count when something ends its wait; the error stays "
     "pending for the next call."},
    {R::WriteDontwaitPartial, "write.dontwait-partial", "short", C::Write,
     "With MSG_DONTWAIT, a send copies what fits in the send buffer and returns at once."},
    {R::SigpipeKills, "signal.sigpipe-kills", "killed", C::Write,
     "SIGPIPE's default action kills the process that wrote."},
    {R::SigpipeIgnored, "signal.sigpipe-ignored", "SIGPIPE", C::Write,
     "An ignored SIGPIPE leaves only the EPIPE: the process carries on."},
    {R::SigpipeHandled, "signal.sigpipe-handled", "SIGPIPE", C::Write,
     "A SIGPIPE handler runs and the process carries on."},
    {R::SoErrorAfterReset, "so-error.after-reset", "0", C::GetSockOpt,
     "Once a reset's error was reported, SO_ERROR returns 0."},
    {R::SoErrorNone, "so-error.none", "0", C::GetSockOpt, "With no error pending, SO_ERROR returns 0."},
    {R::ConnectInProgress, "connect.in-progress", "EINPROGRESS", C::Connect,
     "A non-blocking connect sends the SYN and returns EINPROGRESS; the handshake finishes in the background."},
    {R::ConnectEstablished, "connect.established", "ok", C::Connect,
     "connect returns 0 once the three-way handshake completed."},
    {R::Listen, "listen.accepts", "ok", C::Listen, "After listen() the socket accepts connections."},
    {R::ShutdownWrite, "shutdown.write", "EPIPE", C::Write,
     "shutdown(SHUT_WR) sends a FIN; later writes fail locally with EPIPE."},
    {R::ShutdownRead, "shutdown.read", "EOF", C::Read, "shutdown(SHUT_RD): later reads return 0."},
    {R::CloseSendsFin, "close.fin", "ok", C::Close,
     "close() sends a FIN; data arriving afterwards is answered with RST."},
    {R::CloseAfterReset, "close.after-reset", "ok", C::Close,
     "close() on a connection already reset only releases the descriptor."},
    {R::LingerSet, "linger.set", "ok", C::SetSockOpt, "SO_LINGER with a timeout other than 0 changes no result."},
    {R::UserTimeout, "timeout.user", "ETIMEDOUT", C::Other,
     "Data unacknowledged for longer than TCP_USER_TIMEOUT aborts the connection with ETIMEDOUT and no RST."},
    {R::RetransmissionTimeout, "timeout.retransmissions", "ETIMEDOUT", C::Other,
     "When the retransmission limit runs out, the kernel aborts with ETIMEDOUT and sends no RST."},
    {R::PollErr, "poll.err", "POLLERR", C::Poll,
     "poll reports POLLERR while an error is pending, without consuming it."},
    {R::PollHup, "poll.hup", "POLLHUP", C::Poll, "poll reports POLLHUP when both directions are shut."},
    {R::PollRdHup, "poll.rdhup", "POLLRDHUP", C::Poll,
     "poll reports POLLRDHUP when the receive side is shut (FIN or reset)."},
    {R::PollQuiet, "poll.quiet", "ok", C::Poll, "poll reports neither an error nor a hang-up."},
    {R::PipeCreated, "pipe.created", "ok", C::Pipe, "pipe() makes a write end and a read end."},
    {R::PipeReaderGone, "pipe.reader-gone", "ok", C::Close,
     "Closing a pipe's last read end leaves it without a reader."},
    {R::PipeNoReader, "pipe.no-reader", "EPIPE", C::Write,
     "A write into a pipe without a reader fails with EPIPE and raises SIGPIPE."},
    {R::PipeWrite, "pipe.write", "ok", C::Write, "A write into a pipe with a reader and room queues the bytes."},
    {R::PipeRead, "pipe.read", "data", C::Read, "A read from a pipe returns the bytes written into it."},
    {R::StateSynSent, "state.syn-sent", "-", C::Other, "An endpoint that sent a SYN waits in SYN_SENT."},
    {R::StateSynRecv, "state.syn-recv", "-", C::Other,
     "An endpoint that answered a SYN with SYN|ACK waits in SYN_RECV for the ACK."},
    {R::StateEstablished, "state.established", "-", C::Other,
     "An acceptable ACK of the SYN completes the handshake: ESTABLISHED."},
    {R::StateFinSent, "state.fin-sent", "-", C::Other,
     "An endpoint that sends its FIN moves to FIN_WAIT1 (or LAST_ACK after the peer's FIN)."},
    {R::StateFinAcked, "state.fin-acked", "-", C::Other,
     "An ACK of its FIN moves an endpoint to FIN_WAIT2, TIME_WAIT (from CLOSING) or CLOSED (from LAST_ACK)."},
    {R::AssumedMidStream, "capture.mid-stream", "-", C::Other,
     "A capture without the handshake: both endpoints are taken as ESTABLISHED."},
    {R::AssumedRefusedSyn, "capture.refused-syn", "-", C::Other,
     "A capture that starts with an RST|ACK of seq 0: a SYN it missed was refused."},
    {R::RstChallengeAckRateLimited, "rst.challenge-ack.rate-limited", "-", C::Other,
     "An in-window RST less than net.ipv4.tcp_invalid_ratelimit after the socket's last challenge ACK gets no "
     "answer and changes nothing."},
    {R::RstAcceptedTimewaitFinWait2, "rst.accepted.timewait-fin-wait2", "-", C::Other,
     "A closed socket whose FIN was acknowledged lives on as a FIN_WAIT2 timewait socket: an RST anywhere in its "
     "window ends it, with no challenge ACK and no application to tell."},
    {R::RstTimewaitAck, "rst.timewait-ack", "-", C::Other,
     "An RST outside the window of a FIN_WAIT2 timewait socket is answered with an ACK (rate-limited like a "
     "challenge ACK) and the socket stays."},
    {R::RstIgnoredTimeWait, "rst.ignored.time-wait", "-", C::Other,
     "In TIME_WAIT only an RST at rcv_nxt counts; any other is dropped silently."},
    {R::AbortDataAfterShutRd, "abort.data-after-shut-rd", "ECONNRESET", C::Other,
     "Data arriving in FIN_WAIT1/2 for a socket whose receive side is shut (SHUT_RD or close) makes Linux abort the "
     "connection (RFC 1122): it stores ECONNRESET and answers with RST."},
    {R::ReadEofAfterTimeout, "read.eof-after-timeout", "EOF", C::Read,
     "Once a timeout's ETIMEDOUT was reported, read returns 0 (EOF) from then on."},
    {R::WriteEpipeAfterTimeout, "write.epipe-after-timeout", "EPIPE", C::Write,
     "Once a timeout's ETIMEDOUT was reported, write fails with EPIPE and raises SIGPIPE."},
    {R::SoErrorAfterTimeout, "so-error.after-timeout", "0", C::GetSockOpt,
     "Once a timeout's ETIMEDOUT was reported, SO_ERROR returns 0."},
    {R::WriteNotOnWire, "write.not-on-wire", "ok", C::Write,
     "A write accepted into the send queue whose bytes the capture never shows was held back (Nagle) until the "
     "connection ended: it was not sent."},
};

/// One phrasing of a rule. Placeholders {0}..{9} are the event's values, in the order
/// the caller passes them (the comment beside each says what they are).
struct Words {
  RuleId id;
  unsigned variant;
  const char* text;
};

const Words kWords[] = {
    {R::BadChecksum, 0,
     "bad TCP checksum (neither correct nor the sending host's offload-pending sum): dropped before TCP looks at it"},
    {R::RstAcceptedSynSent, 0, "RST|ACK acknowledges the SYN: accepted in SYN_SENT, the connection is refused"},
    {R::RstAcceptedSynSent, 1, "the RST|ACK {0} was accepted in SYN_SENT: connect fails with ECONNREFUSED"},  // the RST
    {R::RstAcceptedSynSent, 2, "the connection was refused"},
    {R::RstAcceptedSynSent, 3, " (connect in progress)"},  // the stored error's state, in error.reported-once
    {R::RstIgnoredSynSentBadAck, 0, "RST in SYN_SENT whose ack is not the SYN's: ignored"},
    {R::RstIgnoredSynSentNoAck, 0, "RST without ACK in SYN_SENT: ignored (it must acknowledge the SYN)"},
    {R::RstIgnoredNoConnection, 0, "no connection there to reset"},
    // {0}: "= rcv_nxt" or "= rcv_nxt-1 after a FIN"; {1}: the state
    {R::RstAcceptedEstablished, 0, "seq {0}: accepted in {1} -> sk_err = ECONNRESET"},
    {R::RstAcceptedCloseWait, 0, "seq {0}: accepted in CLOSE_WAIT (the FIN came first) -> sk_err = EPIPE"},
    {R::RstAcceptedCloseWait, 3, " (the FIN came first)"},  // the stored error's state, in error.reported-once
    {R::RstAcceptedTimeWait, 0, "seq {0}: accepted in TIME_WAIT: the TIME_WAIT remnant is dropped, no error"},
    {R::RstChallengeAck, 0,  // {0}: the offset from rcv_nxt
     "seq in the window but not rcv_nxt (off by {0}): not accepted; a challenge ACK answers it (RFC 5961), the "
     "connection survives"},
    {R::RstChallengeAck, 1,  // {0}: who sends the challenge ACK
     "challenge ACK from the {0} (RFC 5961): it answers the in-window RST with its real rcv_nxt"},
    {R::RstChallengeAck, 2,  // {0}: the frame
     "#{0} is the challenge ACK answering an in-window RST (RFC 5961), not a duplicate ACK, a retransmission or an "
     "out-of-order segment"},
    {R::RstOutsideWindow, 0, "seq outside the receive window (off by {0}): dropped silently"},
    // {0}: sender, {1}: ", injected by the middlebox" or "", {2}: receiver, {3}: its state
    {R::FinReceived, 0,
     "FIN from the {0}{1}: the {2}'s receive side is shut ({3}); its reads return 0 once the queue is empty, and it "
     "can still send"},
    {R::FinReceived, 1,  // a capture's: {0} sender, {1} receiver
     "FIN from the {0}: the {1}'s reads return EOF once its queue is empty, and it can still send"},
    // Causes: variant 0 in a live trace ({0}: "client"/"server"), the others in a
    // capture's analysis ({0}, {1}: "a"/"b").
    {R::CauseRefused, 0, "nothing listens on the {0}'s port: its kernel answers the SYN with RST|ACK"},
    {R::CauseRefused, 1, "nothing listens on {0}'s port: RST|ACK answers the SYN"},
    {R::CauseNoSocket, 0,  // {1}: the event that reset it, {2}: the other side
     "the {0}'s socket was reset by {1}: its kernel has no connection left and answers the {2}'s segment with RST "
     "(seq = the segment's ack)"},
    {R::CauseListenerNonSyn, 0,
     "the {0}'s socket only listens: its kernel answers a segment that is not a SYN with RST (seq = the segment's "
     "ack)"},
    {R::CauseDataAfterClose, 0,
     "the {0}'s application has closed: data arriving now is answered with RST (seq = the segment's ack)"},
    {R::CauseDataAfterClose, 1, "{0} had closed (FIN sent); {1}'s data arrived afterwards and was answered with RST"},
    {R::CauseCloseUnreadData, 0,  // {1}: "1 unread byte", "5 unread bytes"
     "the {0} closed with {1}: tcp_close() aborts the connection with RST instead of FIN"},
    {R::CauseCloseUnreadData, 1, "close() with {0}: the kernel aborts the connection with RST instead of FIN"},
    {R::CauseCloseUnreadData, 2,
     "{0} ACKed {1}'s last bytes but its application never read them: closing with them unread sends RST|ACK "
     "instead of FIN"},
    {R::CauseCloseUnreadData, 3,
     "{0} closed with {1}'s last bytes unread (this RST|ACK is its first answer to them): RST|ACK instead of FIN"},
    {R::CauseLingerZero, 0,
     "the {0} set SO_LINGER {on, 0} and closed: an abortive close sends RST instead of FIN"},
    {R::CauseLingerZero, 1, "SO_LINGER {on, 0}: close() aborts the connection with RST"},  // the close
    {R::CauseLingerZero, 2, "SO_LINGER {on, 0}: a later close() will abort with RST"},     // the setsockopt
    {R::CauseRetransmissionStorm, 1,  // {1}: how many
     "{0} retransmitted {1} times without an answer, then gave up with RST"},
    {R::CauseRetransmissionStorm, 2,  // {0}: the retransmitting side, {1}: how many, {2}: the RST's sender
     "RST answering {0}'s {1} retransmissions: {2} no longer has the connection"},
    {R::CauseRetransmissionStorm, 0, "the {0} gave up after unanswered retransmissions and sent RST"},
    {R::CauseAbort, 0, "the {0}'s kernel reset the connection"},
    {R::CauseAbort, 1, "{0} aborted with nothing pending (SO_LINGER 0 close, or the process died)"},
    {R::CauseInjected, 0, "injected by the middlebox in the {0}'s name: the {0} never sent it"},
    {R::CauseInjected, 1, " ({0} as the middle saw it)"},  // how it aimed: "seq=rcv_nxt"
    {R::CausePeerCrafted, 0, "crafted by the peer: {0}"},
    {R::CausePeerLinux, 0, "the peer behaves like a Linux socket: {0}"},
    {R::CausePeer, 0, "sent by the crafted peer"},
    {R::PeerDropsConnection, 0, "RST to the crafted peer: it drops its side of the connection"},
    {R::SentReset, 0,
     "it sent the RST: its socket is closed or aborted (calls on a closed descriptor fail with EBADF)"},
    {R::ReadQueuedData, 0, "{0} queued: data is returned before anything else"},  // "5 bytes"
    {R::ReadQueuedData, 1, " (an RST does not purge the receive queue)"},
    {R::ReadEofAfterFin, 0, "the FIN {0} shut the receive side: read returns 0 once the queue is empty"},
    {R::ReadFinHidesError, 0, "; after a FIN, read never reports the later RST ({0} waits for SO_ERROR or a write)"},
    // {0}: the RST, {1}: the state it found, {2}: why that state (the accepting rule's
    // variant 3), {3}: the errno
    {R::ErrorReportedOnce, 0, "the RST {0} was accepted in {1}{2} -> sk_err = {3}"},
    {R::ErrorReportedOnce, 1, "; this {0} is the first call after it, so it reports {1}"},  // the call, the errno
    {R::ErrorReportedOnce, 2, " and clears it"},
    {R::ErrorReportedOnce, 3, " and raises SIGPIPE"},
    {R::ErrorReportedOnce, 4, " (no SIGPIPE: only EPIPE raises it)"},
    {R::ErrorReportedOnce, 5, "; SO_ERROR returns it and clears it"},
    {R::ErrorReportedOnce, 6, " is the first call after it, so it reports "},
    {R::ErrorReportedOnce, 7,
     " is the first call to report it (the write cut short before it returned its count and left the error "
     "pending), so it reports "},
    {R::ReadEofAfterReset, 0, "the reset's error was already reported: read returns 0 (EOF) from now on"},
    {R::ReadEofShut, 0, "the receive side is shut: read returns 0"},
    {R::ReadBlocks, 0, "nothing queued and the connection open: read waits"},
    {R::ReadWouldBlock, 0, "nothing to read yet (non-blocking)"},
    {R::WriteEpipeAfterReset, 0,
     "the reset shut the send side and its error was already reported: write fails with EPIPE and raises SIGPIPE"},
    {R::WriteEpipeShut, 0, "the send side is shut: write fails with EPIPE and raises SIGPIPE, nothing is sent"},
    {R::WriteAfterFin, 0,
     "a FIN only closes the other side's sending direction: this write is accepted and sent (a closed peer answers "
     "it with RST)"},
    {R::WriteOpen, 0, "the connection is open for sending"},
    {R::WriteNoSignal, 0, "; MSG_NOSIGNAL: no signal"},
    {R::WriteWaited, 0, "; the write had been waiting for room in the send buffer when it arrived"},
    {R::WriteCutShort, 0,  // {0}: "78192 of 100000 bytes"
     "the write returned after copying {0}: it waited for room in the send buffer and was cut short (nothing the "
     "rules follow ended it)"},
    {R::WriteCutShort, 1,  // {0}: the counts, {1}: "RST " or "", {2}: the event
     "the write blocked, waiting for room in the send buffer, after copying {0}; the {1}{2} arrived while it waited"},
    {R::WriteCutShort, 2,  // {0}: the state, {1}: the errno
     " (accepted in {0} -> sk_err = {1}) and ended it: a write that has copied bytes returns their count, so this "
     "short count is the reset's first effect; the error stays pending and the next call reports it"},
    {R::WriteCutShort, 3, " and shut the send side: the write returns the bytes it had copied"},
    {R::WriteCutShort, 4, "{0} of {1} bytes"},
    {R::WriteCutShort, 5, "{0} (cut short)"},
    {R::WriteDontwaitPartial, 0, "MSG_DONTWAIT: the send copied what fitted in the send buffer, {0}, without waiting"},
    {R::SigpipeKills, 0, "; SIGPIPE's default action kills the process (signal 13)"},
    {R::SigpipeIgnored, 0, "; SIGPIPE is ignored, the process carries on"},
    {R::SigpipeHandled, 0, "; a SIGPIPE handler ran, the process carries on"},
    {R::SoErrorAfterReset, 0, "the reset's error was already reported: nothing pending"},
    {R::SoErrorNone, 0, "no error pending"},
    {R::ConnectInProgress, 0, "non-blocking connect: the SYN is out, the handshake finishes in the background"},
    {R::ConnectEstablished, 0, "the three-way handshake completed"},
    {R::Listen, 0, "the socket now accepts connections"},
    {R::ShutdownWrite, 0, "shutdown(SHUT_WR): a FIN is sent; from now on writes fail locally with EPIPE"},
    {R::ShutdownRead, 0, "shutdown(SHUT_RD): reads return 0"},
    {R::CloseSendsFin, 0, "close(): a FIN is sent; data arriving after it will be answered with RST"},
    {R::CloseAfterReset, 0, "the connection was already reset: close() just releases the descriptor"},
    {R::LingerSet, 0, "linger set"},
    {R::UserTimeout, 0,
     "the data went unacknowledged longer than TCP_USER_TIMEOUT allows: the kernel aborts the connection with "
     "ETIMEDOUT and sends no RST"},
    {R::UserTimeout, 1, "TCP_USER_TIMEOUT: unacknowledged data older than this aborts the connection"},
    {R::RetransmissionTimeout, 0,  // {0}: how many retransmissions
     "its data went unacknowledged ({0} retransmissions, no answer): when the retransmission limit or "
     "TCP_USER_TIMEOUT runs out the kernel aborts with ETIMEDOUT and sends no RST"},
    {R::PollErr, 0, "POLLERR: an error is pending (poll reports it without consuming it)"},
    {R::PollHup, 0, "POLLHUP: both directions are shut"},
    {R::PollRdHup, 0, "POLLRDHUP: the receive side is shut (FIN or reset)"},
    {R::PollQuiet, 0, "no error and no hang-up"},
    {R::PipeCreated, 0, "pipe(): this process writes into the write end and reads from the read end"},
    {R::PipeReaderGone, 0, "the reader is gone (like head exiting): the pipe has no reader left"},
    {R::PipeNoReader, 0,
     "the pipe has no reader: write fails with EPIPE and raises SIGPIPE (pipe_write in fs/pipe.c)"},
    {R::PipeWrite, 0, "the pipe has a reader and room: the bytes are queued"},
    {R::PipeRead, 0, "the bytes written earlier come back out of the pipe"},
    {R::StateSynSent, 0, "a SYN sent: SYN_SENT"},
    {R::StateSynRecv, 0, "the SYN answered with SYN|ACK: SYN_RECV"},
    {R::StateEstablished, 0, "the handshake completed: ESTABLISHED"},
    {R::StateFinSent, 0, "its FIN sent: {0}"},  // the new state
    {R::StateFinAcked, 0, "its FIN acknowledged: {0}"},
    {R::AssumedMidStream, 0, "no handshake in the capture: taken as ESTABLISHED"},
    {R::AssumedRefusedSyn, 0, "the capture starts with a refusal: its SYN taken as sent"},
    {R::RstChallengeAckRateLimited, 0,  // {0}: the offset from rcv_nxt, {1}: ms since the last one, {2}: the limit
     "seq in the window but not rcv_nxt (off by {0}): not accepted; its challenge ACK is rate-limited (the last one "
     "went {1} ms ago, under net.ipv4.tcp_invalid_ratelimit = {2} ms): no answer, the connection survives"},
    {R::RstAcceptedTimewaitFinWait2, 0,
     "the closed socket lives on in FIN_WAIT2 as a timewait socket: an RST in its window ends it (no challenge ACK, "
     "no application left to tell)"},
    {R::RstTimewaitAck, 0,
     "the closed socket lives on in FIN_WAIT2 as a timewait socket: an RST outside its window is answered with an "
     "ACK (a challenge ACK answers it), and the socket stays"},
    {R::RstTimewaitAck, 1,
     "the closed socket lives on in FIN_WAIT2 as a timewait socket: an RST outside its window would be answered "
     "with an ACK, but the rate limit (net.ipv4.tcp_invalid_ratelimit) holds it back: no answer"},
    {R::RstIgnoredTimeWait, 0, "TIME_WAIT: only an RST at rcv_nxt ends it; this one is dropped silently"},
    {R::AbortDataAfterShutRd, 0,  // {0}: the data segment, {1}: the state, {2}: the errno
     "data {0} arrived after its receive side was shut, in {1}: Linux aborts the connection (RFC 1122) and sends "
     "RST -> sk_err = {2}"},
    {R::AbortDataAfterShutRd, 1,  // {0}: the side, {1}: the state
     "the {0} had shut its receive side and data arrived in {1}: Linux aborts the connection and answers with RST "
     "(RFC 1122)"},
    {R::ReadEofAfterTimeout, 0, "the timeout's error (ETIMEDOUT) was already reported: read returns 0 (EOF) from now on"},
    {R::WriteEpipeAfterTimeout, 0,
     "the timeout closed the connection and its error (ETIMEDOUT) was already reported: write fails with EPIPE and "
     "raises SIGPIPE, nothing is sent"},
    {R::SoErrorAfterTimeout, 0, "the timeout's error (ETIMEDOUT) was already reported: nothing pending"},
    {R::WriteNotOnWire, 0,  // {0}: "its bytes never reached the wire (the capture holds none" or how many it holds
     "this write is accepted into the send queue, but {0}: held back, as Nagle holds small segments while data is "
     "unacknowledged, until the connection ended)"},
    {R::CauseNoSocket, 1,  // {0}: the side, {1}: the other side
     "the {0}'s kernel has no socket for the {1}'s segment and answers it with RST (seq = the segment's ack)"},
};

}  // namespace

const std::vector<Rule>& all_rules() { return kRules; }

const Rule* rule_of(RuleId id) {
  const auto i = static_cast<size_t>(id);
  if (id == RuleId::None || i >= kRules.size()) return nullptr;
  return &kRules[i];
}

const char* rule_name(RuleId id) {
  const Rule* r = rule_of(id);
  return r ? r->name : "";
}

RuleId rule_by_name(std::string_view name) {
  for (const Rule& r : kRules)
    if (r.id != RuleId::None && name == r.name) return r.id;
  return RuleId::None;
}

std::vector<const Rule*> rules_yielding(std::string_view result, CallOp call) {
  // A stored error shows in whichever of these comes first.
  const bool reports_error = call == CallOp::Read || call == CallOp::Write || call == CallOp::GetSockOpt;
  std::vector<const Rule*> out;
  for (const Rule& r : kRules)
    if (r.id != RuleId::None && result == r.result && (r.call == call || (reports_error && r.call == CallOp::Other)))
      out.push_back(&r);
  return out;
}

const char* rule_template(RuleId id, unsigned variant) {
  // Indexed once by (rule, variant): `rstlab analyze --json` builds words for every
  // connection, and a walk of the list per sentence was a tenth of their cost.
  constexpr unsigned kVariants = 8;
  static const auto index = [] {
    std::array<std::array<const char*, kVariants>, 256> t{};
    for (auto it = std::rbegin(kWords); it != std::rend(kWords); ++it)  // the first of a pair wins
      if (it->variant < kVariants) t[static_cast<uint8_t>(it->id)][it->variant] = it->text;
    return t;
  }();
  if (variant < kVariants) return index[static_cast<uint8_t>(id)][variant];
  for (const Words& w : kWords)
    if (w.id == id && w.variant == variant) return w.text;
  return nullptr;
}

void append_rule_words(std::string& out, RuleId id, unsigned variant, std::initializer_list<std::string_view> args) {
  const char* t = rule_template(id, variant);
  if (!t) return;
  std::string_view text(t);
  size_t extra = 0;
  for (std::string_view a : args) extra += a.size();
  out.reserve(out.size() + text.size() + extra);
  // The text between placeholders in one piece each.
  for (size_t at; (at = text.find('{')) != std::string_view::npos;) {
    out.append(text.data(), at);
    text.remove_prefix(at);
    // "{N}" with one digit is a placeholder; any other brace is text ("SO_LINGER {on, 0}").
    if (text.size() >= 3 && text[1] >= '0' && text[1] <= '9' && text[2] == '}') {
      const size_t n = static_cast<size_t>(text[1] - '0');
      if (n < args.size()) out.append(*(args.begin() + n));
      text.remove_prefix(3);
    } else {
      out.push_back('{');
      text.remove_prefix(1);
    }
  }
  out.append(text.data(), text.size());
}

std::string rule_words(RuleId id, unsigned variant, std::initializer_list<std::string_view> args) {
  std::string out;
  append_rule_words(out, id, variant, args);
  return out;
}

}  // namespace rstlab
