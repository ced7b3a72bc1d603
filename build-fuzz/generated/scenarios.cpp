// Generated from scenarios/ by cmake/embed_scenarios.cmake. Do not edit.
#include "rstlab/scenario.h"
namespace rstlab {
const std::vector<CatalogueEntry>& embedded_scenarios() {
  static const std::vector<CatalogueEntry> all = {
    {"broken-pipe.scn", R"rstlab_scn(# The classic "write: broken pipe", with the crafted peer as the server.
scenario broken-pipe
title    "write: broken pipe - the peer closed, the client kept writing"
story    "The client sends a byte; the server reads it and closes its socket (FIN)."
story    "The client is now in CLOSE_WAIT and may still write: \"b\" is copied and sent,"
story    "but the server has no socket to take it and answers RST. The RST lands in"
story    "CLOSE_WAIT, so the kernel stores EPIPE: the next write fails with EPIPE and"
story    "raises SIGPIPE, which kills a process that did not ignore it."
client   kernel sigpipe=default
server   peer

client connect           => 0
client write "a"         => 1
server recv 1
server close             # FIN; from now on data gets an RST, like a closed Linux socket
client write "b"         => 1
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"reset-by-peer.scn", R"rstlab_scn(scenario reset-by-peer
title    "read: connection reset by peer - the far end closed with unread data"
story    "The client sends two bytes; the server reads only one and closes. Closing a"
story    "socket with unread bytes aborts the connection: RST at once instead of FIN."
story    "The client is ESTABLISHED when the RST lands, so the kernel stores ECONNRESET:"
story    "the next read reports it, the read after sees EOF, and a write fails with EPIPE"
story    "(and SIGPIPE) because the error was already consumed."
client   kernel sigpipe=default
server   peer

client connect           => 0
client write "ab"        => 2
server recv 1
server close             # 1 byte unread: RST|ACK at once
client read 10           => ECONNRESET
client read 10           => EOF
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"broken-pipe-kernel.scn", R"rstlab_scn(scenario broken-pipe-kernel
title    "write: broken pipe - two kernel sockets"
story    "The same story as broken-pipe, with a real kernel socket as the server:"
story    "it reads one byte and closes; its kernel answers the client's next byte with"
story    "RST (the socket is gone); the client's following write gets EPIPE + SIGPIPE."
client   kernel sigpipe=default
server   kernel

server listen            => 0
client connect           => 0
server accept
client write "a"         => 1
server read 1            => "a"
server close             => 0
client write "b"         => 1
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"reset-by-peer-kernel.scn", R"rstlab_scn(scenario reset-by-peer-kernel
title    "read: connection reset by peer - two kernel sockets"
story    "The same story as reset-by-peer between two kernel sockets: the server reads"
story    "one of two bytes and closes; its kernel sends RST instead of FIN."
client   kernel sigpipe=default
server   kernel

server listen            => 0
client connect           => 0
server accept
client write "ab"        => 2
server read 1            => "a"
server close             => 0
client read 10           => ECONNRESET
client read 10           => EOF
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"sigpipe-ignored.scn", R"rstlab_scn(scenario sigpipe-ignored
title    "SIGPIPE ignored: a plain EPIPE, and the process lives on"
story    "broken-pipe again, but the client ignores SIGPIPE (as servers usually do)."
story    "The kernel still raises it; SIG_IGN discards it. The write fails with EPIPE,"
story    "and the process survives to fail the same way again."
client   kernel sigpipe=ignore
server   kernel

server listen            => 0
client connect           => 0
server accept
client write "a"         => 1
server read 1            => "a"
server close             => 0
client write "b"         => 1
client write "c"         => EPIPE +SIGPIPE
client write "d"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"sigpipe-nosignal.scn", R"rstlab_scn(scenario sigpipe-nosignal
title    "send(MSG_NOSIGNAL): EPIPE without any signal"
story    "The client keeps the default SIGPIPE disposition but writes with"
story    "send(..., MSG_NOSIGNAL): the kernel reports EPIPE and raises no signal, so"
story    "the process lives."
client   kernel sigpipe=default
server   peer

client connect           => 0
client send "a"          => 1
server recv 1
server close
client send "b" nosignal => 1
client send "c" nosignal => EPIPE
client send "d" nosignal => EPIPE
)rstlab_scn"},
    {"sigpipe-handler.scn", R"rstlab_scn(scenario sigpipe-handler
title    "SIGPIPE caught by a handler"
story    "With a SIGPIPE handler installed the handler runs and the write returns EPIPE."
client   kernel sigpipe=handler
server   peer

client connect           => 0
client write "a"         => 1
server recv 1
server close
client write "b"         => 1
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"rst-idle-write.scn", R"rstlab_scn(scenario rst-idle-write
title    "RST on an idle connection, then write: ECONNRESET first, EPIPE after"
story    "The server resets an idle ESTABLISHED connection with an exact RST. The kernel"
story    "stores ECONNRESET; the first call reports it - here a write, which therefore"
story    "gets ECONNRESET and no SIGPIPE. Only the second write gets EPIPE and SIGPIPE."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
server rst
client write "a"         => ECONNRESET
client write "b"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"rst-idle-read.scn", R"rstlab_scn(scenario rst-idle-read
title    "RST on an idle connection, then read: ECONNRESET once, then EOF"
story    "An exact RST on an idle connection: the first read reports ECONNRESET and"
story    "clears the error; every later read returns 0 as if the peer had closed."
client   kernel sigpipe=default
server   peer

client connect           => 0
server rst
client read 10           => ECONNRESET
client read 10           => EOF
client read 10           => EOF
)rstlab_scn"},
    {"queued-data-first.scn", R"rstlab_scn(scenario queued-data-first
title    "Queued data is read before the reset is reported"
story    "The server sends \"hello\" then resets. The RST does not purge the receive"
story    "queue: the client reads \"hel\", then \"lo\", and only then ECONNRESET."
client   kernel sigpipe=default
server   peer

client connect           => 0
server send "hello"
server rst
client read 3            => "hel"
client read 10           => "lo"
client read 10           => ECONNRESET
client read 10           => EOF
)rstlab_scn"},
    {"fin-then-rst.scn", R"rstlab_scn(scenario fin-then-rst
title    "FIN, read 0, a write that succeeds, the RST, then EPIPE"
story    "The server closes (FIN). The client's read returns 0 - EOF - but the"
story    "connection is only half closed, so its write succeeds and is sent. The"
story    "server's closed socket answers RST, which lands in CLOSE_WAIT: the next"
story    "write fails with EPIPE."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
server close
client read 10           => EOF
client write "x"         => 1
client write "y"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"rst-after-fin-so-error.scn", R"rstlab_scn(scenario rst-after-fin-so-error
title    "An RST after a FIN is invisible to read; SO_ERROR shows EPIPE"
story    "The server half-closes (FIN) and then resets. The RST lands in CLOSE_WAIT and"
story    "stores EPIPE, but read keeps returning 0: after a FIN, read never reports a"
story    "later reset. Only SO_ERROR (or a write) reveals it."
client   kernel sigpipe=default
server   peer

client connect           => 0
server fin
client read 10           => EOF
server rst
client read 10           => EOF
client so_error          => EPIPE
client so_error          => 0
)rstlab_scn"},
    {"rst-after-fin-write.scn", R"rstlab_scn(scenario rst-after-fin-write
title    "An RST after a FIN: the next write gets EPIPE with SIGPIPE"
story    "As rst-after-fin-so-error, but the client writes: the stored error is EPIPE"
story    "(the RST arrived in CLOSE_WAIT), so the very first write fails with EPIPE and"
story    "raises SIGPIPE."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
server fin
client read 10           => EOF
server rst
client write "x"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"linger-zero.scn", R"rstlab_scn(scenario linger-zero
title    "SO_LINGER {on, 0} then close: an abortive close with RST"
story    "The server sets SO_LINGER with a zero timeout and closes: no FIN, no"
story    "graceful shutdown - its kernel sends RST at once. The client's read reports"
story    "ECONNRESET."
client   kernel sigpipe=default
server   kernel

server listen            => 0
client connect           => 0
server accept
server linger 0          => 0
server close             => 0
client read 10           => ECONNRESET
)rstlab_scn"},
    {"unread-data-write.scn", R"rstlab_scn(scenario unread-data-write
title    "The server closes with unread data while the client writes"
story    "The server never reads the client's request and closes: RST at once. The"
story    "client's next call is a write: it reports ECONNRESET (no SIGPIPE); the write"
story    "after that gets EPIPE and SIGPIPE."
client   kernel sigpipe=ignore
server   kernel

server listen            => 0
client connect           => 0
server accept
client write "GET /"     => 5
server close             => 0
client write "more"      => ECONNRESET
client write "more"      => EPIPE +SIGPIPE
)rstlab_scn"},
    {"shutdown-write.scn", R"rstlab_scn(scenario shutdown-write
title    "shutdown(SHUT_WR) then write: EPIPE with no RST on the wire"
story    "The client shuts down its own sending side (FIN) and then writes. The kernel"
story    "refuses locally with EPIPE and SIGPIPE; nothing is sent and nobody resets."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
client shutdown wr       => 0
client write "x"         => EPIPE +SIGPIPE
server expect F.
)rstlab_scn"},
    {"connect-refused.scn", R"rstlab_scn(scenario connect-refused
title    "connect: connection refused - RST|ACK answers the SYN"
story    "Nothing listens on the server's port. Its kernel answers the SYN with RST|ACK;"
story    "the RST lands in SYN_SENT, so connect fails with ECONNREFUSED."
client   kernel sigpipe=default
server   kernel

client connect           => ECONNREFUSED
)rstlab_scn"},
    {"syn-bare-rst-ignored.scn", R"rstlab_scn(scenario syn-bare-rst-ignored
title    "A bare RST to a SYN is ignored; RST|ACK with the right ack refuses"
story    "In SYN_SENT the kernel only accepts an RST that acknowledges its SYN. The peer"
story    "first answers with a bare RST (no ACK): ignored, the connect is still in"
story    "progress. Then RST|ACK acknowledging the SYN: ECONNREFUSED."
client   kernel sigpipe=default
server   peer

server synack off
client connect nonblock  => EINPROGRESS
server expect S
server rst
client so_error          => 0
server rst ack
client so_error          => ECONNREFUSED
)rstlab_scn"},
    {"challenge-ack.scn", R"rstlab_scn(scenario challenge-ack
title    "An in-window RST is answered with a challenge ACK (RFC 5961)"
story    "The peer sends an RST whose sequence number is inside the client's receive"
story    "window but not exactly rcv_nxt. Linux does not reset: it answers with a"
story    "challenge ACK, and the connection carries on."
client   kernel sigpipe=default
server   peer

client connect           => 0
server rst seq=+100
server expect .
client so_error          => 0
client write "still here" => 10
server recv 10
)rstlab_scn"},
    {"out-of-window-rst.scn", R"rstlab_scn(scenario out-of-window-rst
title    "An RST outside the window is silently dropped"
story    "An RST far outside the receive window gets no answer at all - not even a"
story    "challenge ACK - and the connection carries on."
client   kernel sigpipe=default
server   peer

client connect           => 0
server rst seq=oow
client so_error          => 0
client write "ok"        => 2
server recv 2
)rstlab_scn"},
    {"bad-checksum-rst.scn", R"rstlab_scn(scenario bad-checksum-rst
title    "An RST with a bad checksum never reaches TCP"
story    "The peer sends an exact RST with a corrupted TCP checksum. The kernel drops"
story    "it before TCP looks at it; the connection carries on."
client   kernel sigpipe=default
server   peer

client connect           => 0
server rst badsum
client so_error          => 0
client write "ok"        => 2
server recv 2
)rstlab_scn"},
    {"rst-unacked-data.scn", R"rstlab_scn(scenario rst-unacked-data
title    "RST while the client's data is still unacknowledged"
story    "The peer withholds its ACKs; the client's bytes wait in its send queue. An"
story    "exact RST purges that queue: the data is lost and the next write reports"
story    "ECONNRESET."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
server autoack off
client write "lost"      => 4
server rst
client write "more"      => ECONNRESET
client read 10           => EOF
)rstlab_scn"},
    {"blocked-read-rst.scn", R"rstlab_scn(scenario blocked-read-rst
title    "A read blocked in the kernel is woken by an RST: ECONNRESET"
story    "The client waits in read() for data that never comes; the server resets."
story    "The sleeping read wakes up with ECONNRESET."
client   kernel sigpipe=default
server   peer

client connect           => 0
client read 10 &
server rst
client wait              => ECONNRESET
)rstlab_scn"},
    {"blocked-read-fin.scn", R"rstlab_scn(scenario blocked-read-fin
title    "A read blocked in the kernel is woken by a FIN: EOF"
story    "The same wait, ended by a FIN instead: the read returns 0."
client   kernel sigpipe=default
server   peer

client connect           => 0
client read 10 &
server close
client wait              => EOF
)rstlab_scn"},
    {"half-close-then-rst.scn", R"rstlab_scn(scenario half-close-then-rst
title    "Half-close, then an RST: reads after shutdown(SHUT_WR) still see the reset"
story    "The client shuts down its sending side (FIN) but keeps reading. The server"
story    "sends a reply, then resets. The client, in FIN_WAIT2, reads the reply, then"
story    "ECONNRESET: only CLOSE_WAIT turns a reset into EPIPE."
client   kernel sigpipe=default
server   peer

client connect           => 0
client shutdown wr       => 0
server expect F.
server send "reply"
server rst
client read 10           => "reply"
client read 10           => ECONNRESET
)rstlab_scn"},
    {"poll-after-fin.scn", R"rstlab_scn(scenario poll-after-fin
title    "poll after a FIN: POLLIN|POLLRDHUP, no error"
story    "After a FIN, poll reports the socket readable (the read will return 0) and"
story    "POLLRDHUP; there is no POLLERR and no POLLHUP while the client can still send."
client   kernel sigpipe=default
server   peer

client connect           => 0
server close
client poll in out rdhup => POLLIN|POLLOUT|POLLRDHUP
client read 10           => EOF
)rstlab_scn"},
    {"poll-after-rst.scn", R"rstlab_scn(scenario poll-after-rst
title    "poll after an RST: POLLERR|POLLHUP until SO_ERROR clears the error"
story    "poll with no events waits for POLLERR/POLLHUP without consuming the error."
story    "SO_ERROR then reads and clears it: POLLERR disappears, POLLHUP stays."
client   kernel sigpipe=default
server   peer

client connect           => 0
server rst
client poll              => POLLERR|POLLHUP
client poll in out rdhup => POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP
client so_error          => ECONNRESET
client poll in out rdhup => POLLIN|POLLOUT|POLLHUP|POLLRDHUP
)rstlab_scn"},
    {"so-error-consumes.scn", R"rstlab_scn(scenario so-error-consumes
title    "getsockopt(SO_ERROR) consumes the reset: read then sees EOF"
story    "SO_ERROR is one of the calls that take the stored error: after it, read"
story    "returns 0 and write fails with EPIPE - nobody ever sees ECONNRESET."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
server rst
client so_error          => ECONNRESET
client so_error          => 0
client read 10           => EOF
client write "x"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"user-timeout.scn", R"rstlab_scn(scenario user-timeout
title    "TCP_USER_TIMEOUT: ETIMEDOUT, and no RST on the wire"
story    "The peer stops acknowledging. The client's data is retransmitted until"
story    "TCP_USER_TIMEOUT expires; the kernel then gives up with ETIMEDOUT. Nothing"
story    "tells the peer: no RST is sent."
client   kernel sigpipe=default
server   peer
rto_min  10ms          # retransmit after 10 ms, not 200: the story takes milliseconds

client connect           => 0
client user_timeout 60   => 0
server autoack off
client write "x"         => 1
client read 10           => ETIMEDOUT
client write "y"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"slow-path-late-rst.scn", R"rstlab_scn(scenario slow-path-late-rst
title    "On a slow path, several writes succeed before the late RST lands"
story    "The server's segments take 10 ms to arrive. After its close, the client's"
story    "writes keep succeeding: \"b\" is sent and provokes an RST that is still on its"
story    "way; \"c\" and \"d\" are copied into the send buffer (Nagle holds small segments"
story    "back while \"b\" is unacknowledged). Once the RST lands, the next write fails."
client   kernel sigpipe=ignore
server   peer

client connect           => 0
server delay 10ms
server close
after 15ms client write "b" => 1
client write "c"         => 1
client write "d"         => 1
after 15ms client write "e" => EPIPE +SIGPIPE
)rstlab_scn"},
    {"pipe-reader-gone.scn", R"rstlab_scn(scenario pipe-reader-gone
title    "No network at all: a pipe whose reader is gone (prog | head)"
story    "The same EPIPE/SIGPIPE without TCP: head exits after reading what it wanted,"
story    "and the writer's next write to the pipe fails with EPIPE and raises SIGPIPE,"
story    "which silently kills it - the usual end of 'prog | head'."
client   kernel sigpipe=default
server   none

client pipe              => 0
client write "line 1\n"  => 7
client read 7            => "line 1\n"
client close-read-end    => 0
client write "line 2\n"  => EPIPE +SIGPIPE
)rstlab_scn"},
    {"broken-pipe-ipv6.scn", R"rstlab_scn(# The classic "write: broken pipe", with the crafted peer as the server.
scenario broken-pipe-ipv6
title    "IPv6: write: broken pipe - the peer closed, the client kept writing"
story    "The client sends a byte; the server reads it and closes its socket (FIN)."
story    "The client is now in CLOSE_WAIT and may still write: \"b\" is copied and sent,"
story    "but the server has no socket to take it and answers RST. The RST lands in"
story    "CLOSE_WAIT, so the kernel stores EPIPE: the next write fails with EPIPE and"
story    "raises SIGPIPE, which kills a process that did not ignore it."
client   kernel sigpipe=default
server   peer
family   ipv6

client connect           => 0
client write "a"         => 1
server recv 1
server close             # FIN; from now on data gets an RST, like a closed Linux socket
client write "b"         => 1
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"reset-by-peer-ipv6.scn", R"rstlab_scn(scenario reset-by-peer-ipv6
title    "IPv6: read: connection reset by peer - the far end closed with unread data"
story    "The client sends two bytes; the server reads only one and closes. Closing a"
story    "socket with unread bytes aborts the connection: RST at once instead of FIN."
story    "The client is ESTABLISHED when the RST lands, so the kernel stores ECONNRESET:"
story    "the next read reports it, the read after sees EOF, and a write fails with EPIPE"
story    "(and SIGPIPE) because the error was already consumed."
client   kernel sigpipe=default
server   peer
family   ipv6

client connect           => 0
client write "ab"        => 2
server recv 1
server close             # 1 byte unread: RST|ACK at once
client read 10           => ECONNRESET
client read 10           => EOF
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"broken-pipe-kernel-ipv6.scn", R"rstlab_scn(scenario broken-pipe-kernel-ipv6
title    "IPv6: write: broken pipe - two kernel sockets"
story    "The same story as broken-pipe, with a real kernel socket as the server:"
story    "it reads one byte and closes; its kernel answers the client's next byte with"
story    "RST (the socket is gone); the client's following write gets EPIPE + SIGPIPE."
client   kernel sigpipe=default
server   kernel
family   ipv6

server listen            => 0
client connect           => 0
server accept
client write "a"         => 1
server read 1            => "a"
server close             => 0
client write "b"         => 1
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"reset-by-peer-kernel-ipv6.scn", R"rstlab_scn(scenario reset-by-peer-kernel-ipv6
title    "IPv6: read: connection reset by peer - two kernel sockets"
story    "The same story as reset-by-peer between two kernel sockets: the server reads"
story    "one of two bytes and closes; its kernel sends RST instead of FIN."
client   kernel sigpipe=default
server   kernel
family   ipv6

server listen            => 0
client connect           => 0
server accept
client write "ab"        => 2
server read 1            => "a"
server close             => 0
client read 10           => ECONNRESET
client read 10           => EOF
client write "c"         => EPIPE +SIGPIPE
)rstlab_scn"},
    {"challenge-ack-ipv6.scn", R"rstlab_scn(scenario challenge-ack-ipv6
title    "IPv6: An in-window RST is answered with a challenge ACK (RFC 5961)"
story    "The peer sends an RST whose sequence number is inside the client's receive"
story    "window but not exactly rcv_nxt. Linux does not reset: it answers with a"
story    "challenge ACK, and the connection carries on."
client   kernel sigpipe=default
server   peer
family   ipv6

client connect           => 0
server rst seq=+100
server expect .
client so_error          => 0
client write "still here" => 10
server recv 10
)rstlab_scn"},
    {"connect-refused-ipv6.scn", R"rstlab_scn(scenario connect-refused-ipv6
title    "IPv6: connect: connection refused - RST|ACK answers the SYN"
story    "Nothing listens on the server's port. Its kernel answers the SYN with RST|ACK;"
story    "the RST lands in SYN_SENT, so connect fails with ECONNREFUSED."
client   kernel sigpipe=default
server   kernel
family   ipv6

client connect           => ECONNREFUSED
)rstlab_scn"},
    {"linger-zero-ipv6.scn", R"rstlab_scn(scenario linger-zero-ipv6
title    "IPv6: SO_LINGER {on, 0} then close: an abortive close with RST"
story    "The server sets SO_LINGER with a zero timeout and closes: no FIN, no"
story    "graceful shutdown - its kernel sends RST at once. The client's read reports"
story    "ECONNRESET."
client   kernel sigpipe=default
server   kernel
family   ipv6

server listen            => 0
client connect           => 0
server accept
server linger 0          => 0
server close             => 0
client read 10           => ECONNRESET
)rstlab_scn"},
  };
  return all;
}
}  // namespace rstlab
