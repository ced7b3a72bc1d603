// SPDX-License-Identifier: MIT
// The wordings: how Go, Java, Python, Node.js, Rust, .NET and Windows, Ruby, curl, nginx,
// HAProxy, Envoy, gRPC, PostgreSQL, MySQL, OpenSSL and the C library word a socket error,
// each with the errno (or EOF) behind it, the call when the wording tells it, and every
// reading when it has more than one. The table is tried in order and the first wording
// found wins, so the order is the specificity: wrappers (a wording around another one:
// curl's "Recv failure: ...") first, then each ecosystem's own words, then the texts and
// numbers anyone prints (strerror, Windows' messages, errno numbers and names).
//
// A pattern is an ECMAScript regex searched only near one of its anchors (lower-case
// literals the line must hold): most log lines hold none and cost a few substring
// searches, and std::regex never walks more than a short window of a long line.
#include "explain/log_lines.h"

#include <algorithm>
#include <cctype>

namespace rstlab::detail {
namespace {

constexpr size_t kBefore = 240;  // bytes of the line searched before an anchor...
constexpr size_t kAfter = 400;   // ...and after it

/// Fluent setters for one row of the table.
class Row {
 public:
  explicit Row(Wording& w) : w_(w) {}
  Row& meaning(const char* s) { return w_.meaning = s, *this; }
  Row& side(LineSide s, const char* who = "") { return w_.side = s, w_.who = who, *this; }
  Row& reads(const char* result, CallOp call, const char* what) {
    w_.readings.push_back({result, call, what});
    return *this;
  }
  Row& errno_in(int group) { return w_.errno_group = group, *this; }
  Row& call_in(int group) { return w_.call_group = group, *this; }
  Row& call(CallOp c) { return w_.call = c, *this; }
  Row& wraps() { return w_.wrapper = true, *this; }
  Row& pipe() { return w_.may_be_pipe = true, *this; }
  Row& exact_case() { return w_.icase = false, *this; }
  Row& note(const char* s, const char* only_for = "") { return w_.notes.push_back({s, only_for}), *this; }

 private:
  Wording& w_;
};

class Table {
 public:
  /// `anchors`: lower-case literals separated by '|'.
  Row add(const char* ecosystem, const char* anchors, const char* pattern, const char* example) {
    rows_.emplace_back();
    Wording& w = rows_.back();
    w.ecosystem = ecosystem;
    std::string a = anchors;
    for (size_t at = 0; at <= a.size();) {
      const size_t bar = std::min(a.find('|', at), a.size());
      w.anchors.push_back(a.substr(at, bar - at));
      at = bar + 1;
    }
    w.pattern = pattern;
    w.example = example;
    return Row(w);
  }
  std::vector<Wording> done() {
    for (Wording& w : rows_) {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (w.icase) flags |= std::regex::icase;
      w.re = std::regex(w.pattern, flags);
    }
    return std::move(rows_);
  }

 private:
  std::vector<Wording> rows_;
};

constexpr CallOp kRead = CallOp::Read, kWrite = CallOp::Write, kConnect = CallOp::Connect,
                 kAny = CallOp::Other;
constexpr LineSide kClient = LineSide::Client, kServer = LineSide::Server;

// Readings shared by several wordings.
const char* kPeerFin = "the peer closed the connection in order (its FIN) before the answer came";
const char* kPeerRst = "an RST ended the connection (the peer closed with unread data, aborted, or a "
                       "middlebox reset it)";

void wrappers(Table& t) {
  // curl (and libcurl's messages in PHP, R, ...): the exit code says the call, the text after
  // it the error.
  t.add("curl", "curl|recv failure", R"(curl(?::\s*\(|\s+error\s*:?\s*\(?)56\b|Recv failure: )",
        "curl: (56) Recv failure: Connection reset by peer")
      .meaning("curl's exit code 56, CURLE_RECV_ERROR: receiving data failed; the text after it is the "
               "system's error")
      .side(kClient, "curl, the client")
      .call(kRead)
      .wraps();
  t.add("curl", "curl|send failure", R"(curl(?::\s*\(|\s+error\s*:?\s*\(?)55\b|Send failure: )",
        "curl: (55) Send failure: Broken pipe")
      .meaning("curl's exit code 55, CURLE_SEND_ERROR: sending data failed; the text after it is the "
               "system's error")
      .side(kClient, "curl, the client")
      .call(kWrite)
      .wraps();
  t.add("curl", "curl|failed to connect", R"(curl(?::\s*\(|\s+error\s*:?\s*\(?)7\b|Failed to connect to )",
        "curl: (7) Failed to connect to 192.0.2.2 port 8080 after 0 ms: Connection refused")
      .meaning("curl's exit code 7, CURLE_COULDNT_CONNECT: the connection could not be made")
      .side(kClient, "curl, the client")
      .call(kConnect)
      .wraps()
      .reads("ECONNREFUSED", kConnect, "the SYN was refused (RST|ACK, or an ICMP unreachable)")
      .reads("ETIMEDOUT", kConnect, "the SYN was never answered and the kernel gave up")
      .note("curl 8 may end this message with \"Couldn't connect to server\" instead of the "
            "system's error: then the line does not say which of the two it was.");
  // curl's own timers and its word for a close before any reply: not wrappers, but before the
  // C library's "Connection timed out".
  t.add("curl", "timed out after", R"((Connection|Operation) timed out after \d+ milli)",
        "curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received")
      .meaning("curl's exit code 28, CURLE_OPERATION_TIMEDOUT: curl's own timer (--connect-timeout for "
               "\"Connection\", --max-time for \"Operation\"), not the kernel's ETIMEDOUT")
      .side(kClient, "curl, the client")
      .call_in(1)
      .reads("timer", kAny, "no system call failed: curl's timeout expired while it waited");
  t.add("curl", "empty reply from server", R"(Empty reply from server)", "curl: (52) Empty reply from server")
      .meaning("curl's exit code 52, CURLE_GOT_NOTHING: the connection ended before any byte of a reply")
      .side(kClient, "curl, the client")
      .reads("EOF", kRead, "the server closed the connection (FIN) without answering: often a kept-alive "
                           "connection it had just timed out, or a server that crashed on the request");
  // PostgreSQL: the server (backend) and libpq (the client) name the other end.
  t.add("PostgreSQL", "could not receive data from client", R"(could not receive data from client)",
        "LOG:  could not receive data from client: Connection reset by peer")
      .meaning("PostgreSQL's server (pqcomm.c): a recv() from the client failed")
      .side(kServer, "the PostgreSQL server (its backend for this session)")
      .call(kRead)
      .wraps();
  t.add("PostgreSQL", "could not send data to client", R"(could not send data to client)",
        "LOG:  could not send data to client: Broken pipe")
      .meaning("PostgreSQL's server (pqcomm.c): a send() to the client failed")
      .side(kServer, "the PostgreSQL server (its backend for this session)")
      .call(kWrite)
      .wraps();
  t.add("PostgreSQL", "could not receive data from server", R"(could not receive data from server)",
        "psql: error: could not receive data from server: Connection reset by peer")
      .meaning("libpq, PostgreSQL's client library: a recv() from the server failed")
      .side(kClient, "the PostgreSQL client (libpq)")
      .call(kRead)
      .wraps();
  t.add("PostgreSQL", "could not send data to server", R"(could not send data to server)",
        "could not send data to server: Broken pipe")
      .meaning("libpq, PostgreSQL's client library: a send() to the server failed")
      .side(kClient, "the PostgreSQL client (libpq)")
      .call(kWrite)
      .wraps();
  t.add("PostgreSQL", "ssl syscall error: eof detected", R"(SSL SYSCALL error: EOF detected)",
        "psql: SSL SYSCALL error: EOF detected")
      .meaning("libpq under TLS: OpenSSL's SSL_ERROR_SYSCALL with no errno: the stream ended")
      .side(kClient, "the PostgreSQL client (libpq)")
      .reads("EOF", kRead, "the server closed the connection (FIN) without a TLS close_notify");
  t.add("PostgreSQL", "ssl syscall error", R"(SSL SYSCALL error: )",
        "SSL SYSCALL error: Connection reset by peer")
      .meaning("libpq under TLS: OpenSSL's SSL_ERROR_SYSCALL; the system's error follows")
      .side(kClient, "the PostgreSQL client (libpq)")
      .wraps();
  // MySQL and MariaDB clients.
  t.add("MySQL", "lost connection to", R"(Lost connection to (?:MySQL |MariaDB )?server)",
        "ERROR 2013 (HY000): Lost connection to MySQL server during query")
      .meaning("MySQL's client error 2013 (CR_SERVER_LOST): the connection broke while the client waited "
               "for a reply")
      .side(kClient, "the MySQL client")
      .call(kRead)
      .wraps()
      .reads("EOF", kRead, "the server closed the connection during the query (it was killed, restarted, "
                           "or hit max_execution_time / wait_timeout)")
      .reads("ECONNRESET", kRead, kPeerRst)
      .reads("timer", kRead, "the client's own read timeout (net_read_timeout, a driver's readTimeout) "
                             "expired")
      .note("\"at 'reading initial communication packet'\" means during the handshake; a \"system error: "
            "N\" after the message is the errno.");
  t.add("MySQL", "system error:", R"(system error: (\d+))",
        "Lost connection to MySQL server at 'reading initial communication packet', system error: 104")
      .meaning("MySQL's client: the errno of a lost connection")
      .side(kClient, "the MySQL client")
      .errno_in(1);
  // gRPC: the status wraps the transport's error.
  t.add("gRPC", "unavailable", R"(code\s*=\s*Unavailable|UNAVAILABLE:|StatusCode\.UNAVAILABLE)",
        "rpc error: code = Unavailable desc = error reading from server: read tcp "
        "192.0.2.1:40001->192.0.2.2:8080: read: connection reset by peer")
      .meaning("gRPC's status UNAVAILABLE: the RPC failed on its connection; the transport's error is "
               "inside")
      .side(kClient, "the gRPC client")
      .wraps();
  // Python's requests and urllib3: the first element says where, the second what.
  t.add("Python (requests/urllib3)", "connection aborted", R"(Connection aborted\.)",
        "requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104, "
        "'Connection reset by peer'))")
      .meaning("urllib3's ProtocolError('Connection aborted.', ...), which requests raises as "
               "ConnectionError: the connection broke during the request; the error inside decides")
      .side(kClient, "the HTTP client (requests/urllib3)")
      .wraps();
  // .NET: the transport connection wraps the socket error.
  t.add(".NET", "unable to read data from the transport connection",
        R"(Unable to read data from the transport connection)",
        "System.IO.IOException: Unable to read data from the transport connection: An existing "
        "connection was forcibly closed by the remote host..")
      .meaning(".NET's IOException around a SocketException: a read on the connection failed")
      .call(kRead)
      .wraps();
  t.add(".NET", "unable to write data to the transport connection",
        R"(Unable to write data to the transport connection)",
        "System.IO.IOException: Unable to write data to the transport connection: Broken pipe.")
      .meaning(".NET's IOException around a SocketException: a write on the connection failed")
      .call(kWrite)
      .wraps();
  // OpenSSL (and libraries that print its calls).
  t.add("OpenSSL", "ssl_error_syscall", R"(SSL_ERROR_SYSCALL[^\n]{0,60}?errno[ =:]*0\b)",
        "SSL_read() failed (SSL_ERROR_SYSCALL), errno=0")
      .meaning("OpenSSL 1.1's SSL_ERROR_SYSCALL with errno 0: the stream ended without a TLS "
               "close_notify")
      .reads("EOF", kRead, "the peer closed the connection (FIN) without closing TLS first");
  t.add("OpenSSL", "ssl_error_syscall", R"(SSL_ERROR_SYSCALL)", "SSL_ERROR_SYSCALL, errno 104")
      .meaning("OpenSSL's SSL_ERROR_SYSCALL: a system call under TLS failed; errno says which error")
      .wraps();
  t.add("OpenSSL", "ssl_read", R"(SSL_read\b)", "OpenSSL SSL_read: Connection reset by peer, errno 104")
      .meaning("OpenSSL's SSL_read(): a read under TLS; the system's error follows")
      .call(kRead)
      .wraps();
  t.add("OpenSSL", "ssl_write", R"(SSL_write\b)", "SSL_write: Broken pipe")
      .meaning("OpenSSL's SSL_write(): a write under TLS; the system's error follows")
      .call(kWrite)
      .wraps();
  // Envoy: the 503 body names the reset's reason; a connect failure may carry the errno.
  t.add("Envoy", "reset reason: connection failure", R"(reset reason: connection failure)",
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure, "
        "transport failure reason: delayed connect error: 111")
      .meaning("Envoy could not connect to the upstream; \"delayed connect error: N\" is the errno")
      .side(kClient, "Envoy, toward its upstream (the client there)")
      .call(kConnect)
      .wraps()
      .reads("ECONNREFUSED", kConnect, "the upstream refused the SYN (RST|ACK)")
      .reads("ETIMEDOUT", kConnect, "the SYN was never answered");
}

void go(Table& t) {
  t.add("Go (net.OpError)", "broken pipe|connection reset by peer|connection refused|connection timed out|connection abort",
        R"(\b(?:read|write|dial|accept) (?:tcp[46]?|unix)\b[^\n]*?: (\w+): (broken pipe|connection reset by peer|connection refused|connection timed out|software caused connection abort)\b)",
        "write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe")
      .exact_case()
      .meaning("Go's net.OpError: \"OP NET LOCAL->REMOTE: SYSCALL: ERROR\", the system call and the "
               "kernel's errno as Go prints them")
      .call_in(1)
      .errno_in(2)
      .note("Go ignores SIGPIPE for sockets (it kills a Go program only for a write to a closed fd 1 or "
            "2), so the write returns the error and the program logs it.",
            "EPIPE");
  t.add("Go (net.OpError)", "i/o timeout",
        R"(\b(read|write|dial|accept) (?:tcp[46]?|udp[46]?|unix)\b[^\n]*?: i/o timeout)",
        "read tcp 192.0.2.1:40001->192.0.2.2:8080: i/o timeout")
      .exact_case()
      .meaning("Go's own deadline expired (SetDeadline, SetReadDeadline, a Dialer's or http.Client's "
               "Timeout): os.ErrDeadlineExceeded, a net.Error whose Timeout() is true")
      .call_in(1)
      .reads("timer", kAny, "no system call failed: Go's deadline expired while the call waited")
      .note("This is not the kernel's ETIMEDOUT: that one reads \"connection timed out\".");
  t.add("Go", "i/o timeout|context deadline exceeded|client.timeout exceeded",
        R"(\bi/o timeout\b|context deadline exceeded|Client\.Timeout exceeded)",
        "net/http: request canceled (Client.Timeout exceeded while awaiting headers)")
      .meaning("a Go deadline or context expired: the program's own timer")
      .reads("timer", kAny, "no system call failed: a deadline or a context's timeout expired")
      .note("This is not the kernel's ETIMEDOUT: that one reads \"connection timed out\".");
  t.add("Go (net.OpError)", "use of closed network connection",
        R"((?:\b(read|write|accept|close) (?:tcp[46]?|udp[46]?|unix)\b[^\n]*?: )?use of closed network connection)",
        "read tcp 192.0.2.1:40001->192.0.2.2:8080: use of closed network connection")
      .exact_case()
      .meaning("Go's net.ErrClosed: the program used a connection it had closed itself")
      .call_in(1)
      .reads("local-close", kAny, "this program closed the socket (another goroutine called Close), then "
                                  "used it; nothing came from the peer");
  t.add("Go (net/http)", "server closed idle connection", R"(server closed idle connection)",
        "http: server closed idle connection")
      .meaning("Go's HTTP client: a kept-alive connection it reused had been closed by the server")
      .side(kClient, "the Go HTTP client")
      .reads("EOF", kRead, "the server closed the idle connection (FIN), as its keep-alive timeout says, "
                           "just before or as the client reused it");
  t.add("Go (a system call's error)", "broken pipe|connection reset by peer|connection refused|connection timed out",
        R"(\b(read|write|writev|readv|sendfile|sendmsg|recvmsg|sendto|recvfrom|connect): (broken pipe|connection reset by peer|connection refused|connection timed out)\b)",
        "write: broken pipe")
      .exact_case()
      .meaning("\"SYSCALL: error\" in lower case, as Go's os.SyscallError prints a system call's errno")
      .call_in(1)
      .errno_in(2);
}

void java(Table& t) {
  // .NET's SocketException first: Java's rows below would take its "SocketException ...: text".
  t.add(".NET", "socketexception (", R"(SocketException \((\d+)\))",
        "System.Net.Sockets.SocketException (104): Connection reset by peer")
      .meaning(".NET's SocketException: the number is the native error (Linux's errno, or Windows' WSA "
               "code)")
      .errno_in(1);
  t.add("Java", "broken pipe (write failed)", R"(Broken pipe \(Write failed\))",
        "java.net.SocketException: Broken pipe (Write failed)")
      .meaning("Java 9 to 12's message for EPIPE on a socket write")
      .reads("EPIPE", kWrite, "a write after the peer's RST (or after this side's shutdown)");
  t.add("Java (Netty epoll)", "failed: ",
        R"(\b(readAddress|writeAddress|writevAddresses|sendAddress|sendToAddress|read|write|writev|sendmsg|recvmsg|sendfile)\(\.\.\) failed: (Broken pipe|Connection reset by peer|Connection refused|Connection timed out))",
        "io.netty.channel.unix.Errors$NativeIoException: readAddress(..) failed: Connection reset by peer")
      .exact_case()
      .meaning("Netty's native epoll transport: \"CALL(..) failed: strerror\"")
      .call_in(1)
      .errno_in(2);
  t.add("Java", "connection reset by peer", R"((?:Socket|IO|SSL)Exception[^\n]{0,40}?: Connection reset by peer)",
        "java.io.IOException: Connection reset by peer")
      .meaning("Java's text for ECONNRESET from the C library: a write on a java.net.Socket (Java 13 and "
               "later), or a read or write on an NIO channel")
      .reads("ECONNRESET", kAny, "an RST accepted before this call")
      .note("The call is in the stack trace: sun.nio.ch...read0 or readAddress is a read, write0/writev0 a "
            "write; on Windows \": socket write error\" marks a write, \": recv failed\" a read.");
  t.add("Java", "connection reset", R"((?:Exception|Error): Connection reset(?! by peer))",
        "java.net.SocketException: Connection reset")
      .meaning("Java's own text (sun.net.ConnectionResetException) for ECONNRESET")
      .reads("ECONNRESET", kRead, "a read found the RST: the usual case, and Java repeats it on every later "
                                  "read of that socket")
      .reads("ECONNRESET", kWrite, "a write found the RST: Java 12 and older word a write's ECONNRESET this "
                                   "way too")
      .note("Java 13 and later (NioSocketImpl) say \"Connection reset\" only for reads; a write's "
            "ECONNRESET reads \"Connection reset by peer\".");
  t.add("Java", "broken pipe", R"((?:Socket|IO)Exception[^\n]{0,40}?: Broken pipe)",
        "java.net.SocketException: Broken pipe")
      .meaning("Java's text for EPIPE on a socket write (Java ignores SIGPIPE)")
      .reads("EPIPE", kWrite, "a write after the connection was reset or this side shut it down");
  t.add("Java", "software caused connection abort", R"(Exception[^\n]{0,40}?: Software caused connection abort)",
        "java.net.SocketException: Software caused connection abort: recv failed")
      .meaning("ECONNABORTED (WSAECONNABORTED, 10053, on Windows, where Java adds \"recv failed\" for a read "
               "or \"socket write error\" for a write)")
      .reads("ECONNABORTED", kAny, "the local stack aborted the connection");
  t.add("Java", "connectexception: connection refused", R"(ConnectException: Connection refused)",
        "java.net.ConnectException: Connection refused")
      .meaning("Java's ConnectException: connect() failed with ECONNREFUSED")
      .side(kClient)
      .reads("ECONNREFUSED", kConnect, "the SYN was refused");
  t.add("Java", "connectexception: connection timed out", R"(ConnectException: Connection timed out)",
        "java.net.ConnectException: Connection timed out (Connection timed out)")
      .meaning("Java's ConnectException: connect() failed with the kernel's ETIMEDOUT")
      .side(kClient)
      .reads("ETIMEDOUT", kConnect, "the SYN was never answered and the kernel gave up");
  t.add("Java", "sockettimeoutexception",
        R"(SocketTimeoutException(?:: (Read|connect|Connect|Accept) timed out)?)",
        "java.net.SocketTimeoutException: Read timed out")
      .exact_case()
      .meaning("Java's own timer expired (Socket.setSoTimeout for reads, connect's timeout argument)")
      .call_in(1)
      .reads("timer", kAny, "no system call failed: Java's timeout expired while the call waited");
  t.add("Java", "socket closed|socket is closed", R"(SocketException: Socket (?:is )?closed)",
        "java.net.SocketException: Socket closed")
      .meaning("Java: the program used a socket it had closed itself (often another thread closed it "
               "during a blocking read)")
      .reads("local-close", kAny, "this program closed the socket, then used it");
  t.add("Java", "eofexception", R"(\bEOFException\b)", "java.io.EOFException")
      .exact_case()
      .meaning("Java's EOFException: a read needed more bytes and the stream had ended")
      .reads("EOF", kRead, "the peer closed (FIN) before the whole message arrived");
  t.add("Java (Apache HttpClient)", "nohttpresponseexception|failed to respond",
        R"(NoHttpResponseException|target server failed to respond|:\d+ failed to respond)",
        "org.apache.http.NoHttpResponseException: 192.0.2.2:8080 failed to respond")
      .meaning("Apache HttpClient: the connection ended before any response")
      .side(kClient, "the HTTP client")
      .reads("EOF", kRead, "the server closed a kept-alive connection (FIN) as the client reused it");
}

void python(Table& t) {
  t.add("Python", "brokenpipeerror", R"(BrokenPipeError)",
        "BrokenPipeError: [Errno 32] Broken pipe")
      .exact_case()
      .meaning("Python's OSError subclass for EPIPE (and ESHUTDOWN); CPython ignores SIGPIPE at start-up")
      .reads("EPIPE", kWrite, "a write to a TCP socket after the connection was reset or shut down")
      .pipe();
  t.add("Python", "connectionreseterror", R"(ConnectionResetError)",
        "ConnectionResetError: [Errno 104] Connection reset by peer")
      .exact_case()
      .meaning("Python's OSError subclass for ECONNRESET")
      .reads("ECONNRESET", kAny, "an RST accepted before this call");
  t.add("Python", "connectionrefusederror", R"(ConnectionRefusedError)",
        "ConnectionRefusedError: [Errno 111] Connection refused")
      .exact_case()
      .meaning("Python's OSError subclass for ECONNREFUSED")
      .side(kClient)
      .reads("ECONNREFUSED", kConnect, "the SYN was refused");
  t.add("Python", "connectionabortederror", R"(ConnectionAbortedError)",
        "ConnectionAbortedError: [WinError 10053] An established connection was aborted by the software in "
        "your host machine")
      .exact_case()
      .meaning("Python's OSError subclass for ECONNABORTED (WSAECONNABORTED on Windows)")
      .reads("ECONNABORTED", kAny, "the local stack aborted the connection");
  t.add("Python", "timeouterror", R"(TimeoutError(?::\s*\[Errno 110\]|\(110\b))",
        "TimeoutError: [Errno 110] Connection timed out")
      .exact_case()
      .meaning("Python's OSError subclass for the kernel's ETIMEDOUT")
      .reads("ETIMEDOUT", kAny, "the kernel gave up on the connection");
  t.add("Python", "timed out", R"((?:socket\.timeout|TimeoutError|ReadTimeoutError|ConnectTimeoutError|ReadTimeout|ConnectTimeout)\b[^\n]{0,80}?timed out)",
        "TimeoutError: timed out")
      .exact_case()
      .meaning("Python's own socket timeout (settimeout, a library's timeout=) expired: no errno")
      .reads("timer", kAny, "no system call failed: the socket's timeout expired while the call waited");
  t.add("Python (http.client)", "remotedisconnected|remote end closed connection",
        R"(RemoteDisconnected|Remote end closed connection without response)",
        "http.client.RemoteDisconnected: Remote end closed connection without response")
      .meaning("http.client read an empty status line: the connection ended before any response")
      .side(kClient, "the HTTP client (http.client)")
      .reads("EOF", kRead, "the server closed the connection (FIN) before answering: often a kept-alive "
                           "connection the server had just timed out");
  t.add("Python (http.client)", "incompleteread", R"(IncompleteRead)",
        "http.client.IncompleteRead: IncompleteRead(512 bytes read, 1024 more expected)")
      .exact_case()
      .meaning("http.client: the body ended before Content-Length")
      .side(kClient, "the HTTP client (http.client)")
      .reads("EOF", kRead, "the server closed the connection (FIN) in the middle of the body");
  t.add("Python (ssl)", "ssleoferror|eof occurred in violation of protocol|unexpected_eof_while_reading",
        R"(SSLEOFError|EOF occurred in violation of protocol|UNEXPECTED_EOF_WHILE_READING)",
        "ssl.SSLEOFError: EOF occurred in violation of protocol (_ssl.c:2426)")
      .meaning("Python's ssl module: the stream ended without a TLS close_notify")
      .reads("EOF", kRead, "the peer closed the connection (FIN) without closing TLS first");
}

void node(Table& t) {
  t.add("Node.js", "socket hang up", R"(socket hang up)", "Error: socket hang up")
      .meaning("Node's http client made this up (its err.code ECONNRESET is Node's label, not the kernel's "
               "errno): the request's socket closed before a response")
      .side(kClient, "the Node.js HTTP client")
      .reads("EOF", kRead, "the server (or a proxy) closed the connection in order (FIN) before answering: "
                           "often a kept-alive connection it had just timed out")
      .reads("local-close", kAny, "this program destroyed the request's socket itself before the answer (a "
                                  "timeout handler calling req.destroy(), an aborted request)")
      .note("A real RST from the peer reads \"read ECONNRESET\" instead, not \"socket hang up\".");
  t.add("Node.js", "client network socket disconnected",
        R"(Client network socket disconnected before secure TLS connection was established)",
        "Error: Client network socket disconnected before secure TLS connection was established")
      .meaning("Node's tls: the connection ended during the TLS handshake")
      .side(kClient, "the Node.js TLS client")
      .reads("EOF", kRead, kPeerFin)
      .reads("ECONNRESET", kRead, kPeerRst);
  t.add("Node.js", "this socket has been ended by the other party",
        R"(This socket has been ended by the other party)", "Error: This socket has been ended by the other party")
      .meaning("Node refused a write itself (code EPIPE): the socket had read the peer's FIN and, with "
               "allowHalfOpen false, Node had ended it")
      .reads("EOF", kWrite, "the peer's FIN came first; no write reached the kernel");
  t.add("Node.js", "write after end", R"(write after end|ERR_STREAM_WRITE_AFTER_END)",
        "Error [ERR_STREAM_WRITE_AFTER_END]: write after end")
      .meaning("Node's streams: the program wrote after it had called end() itself")
      .reads("local-close", kWrite, "this program ended the stream, then wrote to it");
  t.add("Node.js (undici)", "other side closed", R"(other side closed)",
        "SocketError: other side closed")
      .meaning("undici (Node's fetch): the socket ended before the response was complete")
      .side(kClient, "the Node.js HTTP client (undici)")
      .reads("EOF", kRead, kPeerFin);
  t.add("Node.js", "econn|epipe|etimedout",
        R"(\b(read|write|connect|writev|shutdown) (ECONNRESET|EPIPE|ECONNREFUSED|ETIMEDOUT|ECONNABORTED)\b)",
        "Error: read ECONNRESET")
      .exact_case()
      .meaning("Node's error for a failed system call: \"SYSCALL ERRNO\" (libuv's code, the kernel's errno)")
      .call_in(1)
      .errno_in(2);
  t.add("Node.js", "code: '|\"code\"", R"re(\bcode:\s*'(E[A-Z]+)'|"code"\s*:\s*"(E[A-Z]+)")re",
        "{ errno: -104, code: 'ECONNRESET', syscall: 'read' }")
      .exact_case()
      .meaning("a Node.js error object as util.inspect or a JSON logger prints it")
      .errno_in(1);
}

void rust_ruby_dotnet(Table& t) {
  t.add("Rust", "failed printing to stdout|failed printing to stderr",
        R"(failed printing to std(?:out|err))", "thread 'main' panicked: failed printing to stdout: Broken pipe (os error 32)")
      .meaning("Rust's print! panics when stdout's write fails: stdout is a pipe whose reader has gone")
      .reads("EPIPE", CallOp::Pipe, "a write to stdout, a pipe whose reader has exited (prog | head)");
  t.add("Rust", "os error", R"(\(os error (\d+)\))", "Broken pipe (os error 32)")
      .meaning("Rust's std::io::Error: the system's text and \"(os error N)\", the errno")
      .errno_in(1)
      .pipe()
      .note("Rust's standard library ignores SIGPIPE: a write returns EPIPE instead of dying.", "EPIPE");
  t.add("Rust", "os {", R"(Os \{ code: (\d+))", "Os { code: 104, kind: ConnectionReset, message: \"Connection reset by peer\" }")
      .exact_case()
      .meaning("Rust's std::io::Error printed with {:?}: the errno is its code")
      .errno_in(1)
      .pipe();
  t.add("Rust", "errorkind::|kind: |kind(",
        R"((?:ErrorKind::|kind: |Kind\()(BrokenPipe|ConnectionReset|ConnectionRefused|ConnectionAborted|TimedOut|UnexpectedEof)\b)",
        "called `Result::unwrap()` on an `Err` value: Kind(ConnectionReset)")
      .exact_case()
      .meaning("Rust's io::ErrorKind, the portable name of the errno")
      .errno_in(1)
      .note("TimedOut is the kernel's ETIMEDOUT on Linux; tokio's timeout() says \"deadline has elapsed\" "
            "instead.");
  t.add("Ruby", "errno::e", R"(Errno::(EPIPE|ECONNRESET|ECONNREFUSED|ETIMEDOUT|ECONNABORTED)\b)",
        "Errno::ECONNRESET: Connection reset by peer - SSL_connect")
      .exact_case()
      .meaning("Ruby's SystemCallError subclass named after the errno")
      .errno_in(1)
      .pipe();
  t.add("Ruby", "net::readtimeout|net::opentimeout|net::writetimeout", R"(Net::(Read|Open|Write)Timeout)",
        "Net::ReadTimeout: Net::ReadTimeout with #<TCPSocket:(closed)>")
      .exact_case()
      .meaning("Ruby's Net::HTTP timer (read_timeout, open_timeout, write_timeout) expired")
      .call_in(1)
      .reads("timer", kAny, "no system call failed: Net::HTTP's timeout expired while the call waited");
  t.add("Ruby", "eoferror", R"(\bEOFError\b)", "EOFError: end of file reached")
      .exact_case()
      .meaning("Ruby's EOFError: a read needed more bytes and the stream had ended (Python raises the same "
               "name for input streams, not sockets)")
      .reads("EOF", kRead, "the peer closed the connection (FIN) before the answer was complete");
  t.add(".NET", "the response ended prematurely", R"(The response ended prematurely)",
        "System.Net.Http.HttpIOException: The response ended prematurely. (ResponseEnded)")
      .meaning(".NET's HttpClient: the connection ended before the response was complete")
      .side(kClient, "the .NET HTTP client")
      .reads("EOF", kRead, kPeerFin);
}

void proxies(Table& t) {
  // nginx error log: "CALL() failed (ERRNO: strerror) while DOING, client: ..., upstream: ...".
  t.add("nginx", "() failed (",
        R"(\b(\w+)\(\) failed \((\d+): [^)]*\)[^,\n]*?(?:from|to|connecting to) upstream)",
        "recv() failed (104: Connection reset by peer) while reading response header from upstream, client: "
        "198.51.100.7, server: example.org, request: \"GET / HTTP/1.1\", upstream: "
        "\"http://192.0.2.2:8080/\"")
      .meaning("nginx's error log: the system call and the errno, on its connection to an upstream server")
      .side(kClient, "nginx, on its connection to the upstream (nginx is the client there)")
      .call_in(1)
      .errno_in(2);
  t.add("nginx", "() failed (", R"(\b(\w+)\(\) failed \((\d+): [^)]*\)[^,\n]*?client)",
        "writev() failed (32: Broken pipe) while sending to client, client: 198.51.100.7, server: example.org")
      .meaning("nginx's error log: the system call and the errno, on a client's connection (nginx logs it "
               "at info level: the client went away)")
      .side(kServer, "nginx, on the client's connection (nginx is the server there)")
      .call_in(1)
      .errno_in(2);
  t.add("nginx", "() failed (", R"(\b(\w+)\(\) failed \((\d+): )", "connect() failed (111: Connection refused)")
      .meaning("an error log in nginx's style: the system call and the errno")
      .call_in(1)
      .errno_in(2);
  t.add("nginx", "upstream prematurely closed connection", R"(upstream prematurely closed connection)",
        "upstream prematurely closed connection while reading response header from upstream, client: "
        "198.51.100.7")
      .meaning("nginx: recv() from the upstream returned 0 before the response was complete")
      .side(kClient, "nginx, on its connection to the upstream (nginx is the client there)")
      .reads("EOF", kRead, "the upstream closed the connection (FIN) before its whole response");
  t.add("nginx", "client prematurely closed connection", R"(client prematurely closed connection)",
        "client prematurely closed connection while reading client request body")
      .meaning("nginx: recv() from the client returned 0")
      .side(kServer, "nginx, on the client's connection (nginx is the server there)")
      .reads("EOF", kRead, "the client closed the connection (FIN) before nginx was done");
  t.add("nginx", "upstream timed out", R"(upstream timed out \(\d+)",
        "upstream timed out (110: Connection timed out) while reading response header from upstream")
      .meaning("nginx's own timer (proxy_connect_timeout, proxy_read_timeout, proxy_send_timeout): nginx "
               "prints 110 (ETIMEDOUT) but no system call failed")
      .side(kClient, "nginx, on its connection to the upstream (nginx is the client there)")
      .reads("timer", kAny, "nginx's timeout for the upstream expired while it waited");
  t.add("nginx", "client timed out", R"(client timed out \(\d+)",
        "client timed out (110: Connection timed out) while waiting for request")
      .meaning("nginx's own timer for the client (client_body_timeout, send_timeout...): no system call "
               "failed")
      .side(kServer, "nginx, on the client's connection (nginx is the server there)")
      .reads("timer", kAny, "nginx's timeout for the client expired while it waited");
  t.add("nginx", "peer closed connection in ssl handshake", R"(peer closed connection in SSL handshake)",
        "peer closed connection in SSL handshake while SSL handshaking to upstream")
      .meaning("nginx: the connection ended during the TLS handshake")
      .reads("EOF", kRead, kPeerFin);

  // HAProxy's log: the termination state, two letters after the status and byte counts.
  struct State {
    const char* code;
    const char* meaning;
    LineSide side;
    std::vector<std::pair<const char*, const char*>> readings;
    CallOp call;
  };
  const char* toward_server = "HAProxy, on its connection to the server (HAProxy is the client there)";
  const char* toward_client = "HAProxy, on the client's connection (HAProxy is the server there)";
  const State states[] = {
      {"SC", "the server refused the connection (an RST, or an ICMP error, answered the SYN)", kClient,
       {{"ECONNREFUSED", "the server's host refused the SYN"}}, kConnect},
      {"SD", "the connection to the server died with an error during the data transfer", kClient,
       {{"ECONNRESET", "the server (or something on the way) sent an RST"}}, kAny},
      {"SH", "the server aborted before sending its full response headers (it may have crashed)", kClient,
       {{"EOF", "the server closed the connection (FIN) before its headers"}, {"ECONNRESET", kPeerRst}}, kRead},
      {"CD", "the client aborted during the data transfer", kServer,
       {{"EOF", "the client closed the connection (FIN)"}, {"ECONNRESET", "the client sent an RST"}}, kRead},
      {"CH", "the client aborted while waiting for the server to start responding", kServer,
       {{"EOF", "the client closed the connection (FIN)"}, {"ECONNRESET", "the client sent an RST"}}, kRead},
      {"CR", "the client aborted before sending a full request", kServer,
       {{"EOF", "the client closed the connection (FIN)"}, {"ECONNRESET", "the client sent an RST"}}, kRead},
      {"sC", "the connect timeout struck before the server accepted (timeout connect)", kClient,
       {{"timer", "HAProxy's timeout connect expired: the SYN went unanswered or late"}}, kConnect},
      {"sH", "the server timeout struck while waiting for the response headers (timeout server)", kClient,
       {{"timer", "HAProxy's timeout server expired"}}, kRead},
      {"sD", "the server timeout struck during the data transfer (timeout server)", kClient,
       {{"timer", "HAProxy's timeout server expired"}}, kRead},
      {"cD", "the client timeout struck during the data transfer (timeout client)", kServer,
       {{"timer", "HAProxy's timeout client expired"}}, kRead},
      {"cR", "the client timeout struck before a full request (timeout http-request)", kServer,
       {{"timer", "HAProxy's timeout http-request expired"}}, kRead},
  };
  for (const State& s : states) {
    const std::string pattern = std::string(R"(haproxy[^\n]*?\s)") + s.code + R"([-A-Za-z]{2}\s)";
    const std::string example = std::string("haproxy[2345]: 198.51.100.7:51234 [29/Nov/2026:22:10:01.123] "
                                            "web be/app1 0/0/1/-1/3 502 204 - - ") +
                                s.code + "-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"";
    const std::string meaning = std::string("HAProxy's termination state ") + s.code + ": " + s.meaning;
    Row r = t.add("HAProxy", "haproxy", pattern.c_str(), example.c_str());  // copied in
    r.exact_case().meaning(meaning.c_str()).side(s.side, s.side == kClient ? toward_server : toward_client);
    for (const auto& [result, what] : s.readings) r.reads(result, s.call, what);
  }

  // Envoy's access log: the response flags after the status code.
  t.add("Envoy", " uc ", R"(" \d{1,3} UC )", "[2026-11-29T22:10:01.123Z] \"GET / HTTP/1.1\" 503 UC 0 95 12 - ")
      .exact_case()
      .meaning("Envoy's flag UC: the upstream connection ended (upstream connection termination)")
      .side(kClient, "Envoy, on its connection to the upstream (the client there)")
      .reads("EOF", kRead, "the upstream closed the connection (FIN): often its keep-alive timeout shorter "
                           "than Envoy's idle timeout")
      .reads("ECONNRESET", kRead, kPeerRst);
  t.add("Envoy", " uf ", R"(" \d{1,3} UF )", "[2026-11-29T22:10:01.123Z] \"GET / HTTP/1.1\" 503 UF 0 91 3 - ")
      .exact_case()
      .meaning("Envoy's flag UF: the connection to the upstream could not be made")
      .side(kClient, "Envoy, on its connection to the upstream (the client there)")
      .reads("ECONNREFUSED", kConnect, "the upstream refused the SYN")
      .reads("ETIMEDOUT", kConnect, "the SYN was never answered");
  t.add("Envoy", " dc ", R"(" \d{1,3} DC )", "[2026-11-29T22:10:01.123Z] \"GET / HTTP/1.1\" 0 DC 0 0 5 - ")
      .exact_case()
      .meaning("Envoy's flag DC: the downstream (client) connection ended")
      .side(kServer, "Envoy, on the client's connection (the server there)")
      .reads("EOF", kRead, "the client closed the connection (FIN)")
      .reads("ECONNRESET", kRead, "the client sent an RST");
  t.add("Envoy", " ut ", R"(" \d{1,3} UT )", "[2026-11-29T22:10:01.123Z] \"GET / HTTP/1.1\" 504 UT 0 24 15000 - ")
      .exact_case()
      .meaning("Envoy's flag UT: its upstream request timeout expired")
      .side(kClient, "Envoy, on its connection to the upstream (the client there)")
      .reads("timer", kRead, "Envoy's route timeout expired while it waited for the upstream");
  t.add("Envoy", "reset reason: connection termination", R"(reset reason: connection termination)",
        "upstream connect error or disconnect/reset before headers. reset reason: connection termination")
      .meaning("Envoy: the upstream connection ended before the response headers")
      .side(kClient, "Envoy, on its connection to the upstream (the client there)")
      .reads("EOF", kRead, "the upstream closed the connection (FIN) before answering")
      .reads("ECONNRESET", kRead, kPeerRst);
  t.add("Envoy", "delayed connect error", R"(delayed connect error: (\d+))", "delayed connect error: 111")
      .meaning("Envoy: connect() failed with this errno")
      .side(kClient, "Envoy, on its connection to the upstream (the client there)")
      .call(kConnect)
      .errno_in(1);
  // gRPC's own words.
  t.add("gRPC", "transport is closing", R"(transport is closing)",
        "rpc error: code = Unavailable desc = transport is closing")
      .meaning("gRPC's transport was closed while the RPC was in flight; the wording does not say why")
      .side(kClient, "the gRPC client")
      .reads("EOF", kRead, "the server or a proxy closed the connection (FIN), e.g. after a GOAWAY (max "
                           "connection age, a shutdown) or an idle timeout")
      .reads("ECONNRESET", kRead, kPeerRst)
      .reads("local-close", kAny, "this client closed its channel while the RPC ran");
  // PostgreSQL's and MySQL's words for a lost connection.
  t.add("PostgreSQL", "server closed the connection unexpectedly", R"(server closed the connection unexpectedly)",
        "server closed the connection unexpectedly. This probably means the server terminated abnormally")
      .meaning("libpq: a read from the server ended; libpq says this for EOF and for ECONNRESET alike")
      .side(kClient, "the PostgreSQL client (libpq)")
      .reads("EOF", kRead, "the server closed the connection (FIN): its backend exited (killed, a "
                           "restart, idle_session_timeout) or a proxy closed it")
      .reads("ECONNRESET", kRead, kPeerRst);
  t.add("PostgreSQL", "unexpected eof on client connection", R"(unexpected EOF on client connection)",
        "LOG:  unexpected EOF on client connection with an open transaction")
      .meaning("PostgreSQL's server: the client's connection ended without a Terminate message")
      .side(kServer, "the PostgreSQL server (its backend for this session)")
      .reads("EOF", kRead, "the client closed the connection (FIN) without saying goodbye: it exited or "
                           "its pool dropped the connection");
  t.add("PostgreSQL", "connection to client lost", R"(connection to client lost)",
        "FATAL:  connection to client lost")
      .meaning("PostgreSQL's server: a send to the client failed and the session ends")
      .side(kServer, "the PostgreSQL server (its backend for this session)")
      .reads("EPIPE", kWrite, "the client's connection was gone (its RST had come)")
      .reads("ECONNRESET", kWrite, "the first write after the client's RST");
  t.add("MySQL", "server has gone away", R"(server has gone away)",
        "ERROR 2006 (HY000): MySQL server has gone away")
      .meaning("MySQL's client error 2006 (CR_SERVER_GONE_ERROR): the connection was gone when the client "
               "used it")
      .side(kClient, "the MySQL client")
      .reads("EOF", kRead, "the server had closed the idle connection (wait_timeout, a restart); the query's "
                           "write still succeeded and the read of the reply found the FIN")
      .reads("EPIPE", kWrite, "the write of the query failed: the server's RST had already come");
  t.add("MySQL", "got an error reading communication packets", R"(Got an error reading communication packets)",
        "[Warning] Aborted connection 42 to db: 'app' user: 'app' host: '198.51.100.7' (Got an error reading "
        "communication packets)")
      .meaning("MySQL's server: a read from the client failed or ended")
      .side(kServer, "the MySQL server")
      .reads("EOF", kRead, "the client closed the connection (FIN) without COM_QUIT")
      .reads("ECONNRESET", kRead, "the client sent an RST");
  t.add("MySQL", "got timeout reading communication packets", R"(Got timeout reading communication packets)",
        "Aborted connection 42 to db: 'app' user: 'app' host: '198.51.100.7' (Got timeout reading communication "
        "packets)")
      .meaning("MySQL's server: its own timer (wait_timeout, net_read_timeout) closed an idle connection")
      .side(kServer, "the MySQL server")
      .reads("timer", kRead, "the server's timeout expired while it waited for the client");
  // OpenSSL 3, and OpenSSH's words.
  t.add("OpenSSL", "unexpected eof while reading", R"(unexpected eof while reading)",
        "error:0A000126:SSL routines::unexpected eof while reading")
      .meaning("OpenSSL 3: the stream ended without a TLS close_notify (an RST would give SSL_ERROR_SYSCALL "
               "with ECONNRESET instead)")
      .reads("EOF", kRead, "the peer closed the connection (FIN) without closing TLS first");
  t.add("OpenSSH", "connection reset by", R"(Connection reset by [0-9A-Fa-f:.]+ port \d+)",
        "Connection reset by 192.0.2.2 port 22")
      .meaning("OpenSSH's text for ECONNRESET, with the peer's address")
      .side(kClient, "the SSH client")
      .reads("ECONNRESET", kRead, "an RST from the server (or something on the way)");
  t.add("OpenSSH", "connection closed by", R"(Connection closed by [0-9A-Fa-f:.]+ port \d+)",
        "Connection closed by 192.0.2.2 port 22")
      .meaning("OpenSSH: the connection ended")
      .side(kClient, "the SSH client")
      .reads("EOF", kRead, "the server closed the connection (FIN)");
}

void late_ecosystem_words(Table& t) {
  // Go's io.ErrUnexpectedEOF before the C library's texts: it names no errno.
  t.add("Go (io.ErrUnexpectedEOF)", "unexpected eof", R"(\bunexpected EOF\b)", "unexpected EOF")
      .exact_case()
      .meaning("Go's io.ErrUnexpectedEOF: a reader needed more bytes (a message, a TLS record, a body) and the "
               "stream ended")
      .reads("EOF", kRead, "the peer closed the connection (FIN) in the middle of a message");
}

void generic(Table& t) {
  // perror(3) and the like: "CALL: strerror", capitalised as the C library writes it.
  t.add("C library (perror)", "broken pipe|connection reset by peer|connection refused|connection timed out|connection abort",
        R"(\b(read|write|send|recv|sendto|recvfrom|sendmsg|recvmsg|writev|readv|connect|sendfile)(?:\(\))?(?: failed)?: (Broken pipe|Connection reset by peer|Connection refused|Connection timed out|Software caused connection abort))",
        "send: Connection reset by peer")
      .exact_case()
      .meaning("\"CALL: strerror\" as perror(3) and many C programs print a failed system call")
      .call_in(1)
      .errno_in(2)
      .pipe();
  // strerror(3)'s texts, whatever printed them.
  const char* strerror_meaning = "the C library's text for the errno (strerror), which most runtimes print";
  t.add("C library (strerror)", "broken pipe", R"(\bBroken pipe\b)", "write error: Broken pipe")
      .meaning(strerror_meaning)
      .reads("EPIPE", kWrite, "a write to a TCP socket after the connection was reset or shut down")
      .pipe();
  t.add("C library (strerror)", "connection reset by peer", R"(\bConnection reset by peer\b)",
        "error: Connection reset by peer")
      .meaning(strerror_meaning)
      .reads("ECONNRESET", kAny, "an RST accepted before this call");
  t.add("C library (strerror)", "connection refused", R"(\bConnection refused\b)", "Connection refused")
      .meaning(strerror_meaning)
      .reads("ECONNREFUSED", kAny, "the SYN was refused");
  t.add("C library (strerror)", "connection timed out", R"(\bConnection timed out\b)", "Connection timed out")
      .meaning(strerror_meaning)
      .reads("ETIMEDOUT", kAny, "the kernel gave up on the connection")
      .note("The kernel's ETIMEDOUT; a program's own timer usually says \"timed out\" without \"Connection\".");
  t.add("C library (strerror)", "software caused connection abort", R"(\bSoftware caused connection abort\b)",
        "Software caused connection abort")
      .meaning(strerror_meaning)
      .reads("ECONNABORTED", kAny, "the local stack aborted the connection");
  // Windows' messages (FormatMessage), which .NET, Python and Java on Windows print.
  const char* windows = "Windows' message for a Winsock error (WSAGetLastError), printed by .NET, Python, Java...";
  t.add("Windows", "forcibly closed by the remote host", R"(forcibly closed by the remote host)",
        "An existing connection was forcibly closed by the remote host.")
      .meaning(windows)
      .reads("ECONNRESET", kAny, "WSAECONNRESET (10054): an RST from the peer")
      .note("Windows reports the RST as WSAECONNRESET to reads and writes alike and has no EPIPE for sockets: "
            "the packets are the same, the Linux rules for which call sees what are not Windows'.");
  t.add("Windows", "aborted by the software in your host machine",
        R"(aborted by the software in your host machine)",
        "An established connection was aborted by the software in your host machine.")
      .meaning(windows)
      .reads("ECONNABORTED", kAny, "WSAECONNABORTED (10053): the host's own stack aborted the connection");
  t.add("Windows", "actively refused", R"(actively refused)",
        "No connection could be made because the target machine actively refused it.")
      .meaning(windows)
      .side(kClient)
      .reads("ECONNREFUSED", kConnect, "WSAECONNREFUSED (10061): the SYN was refused");
  t.add("Windows", "did not properly respond after a period of time",
        R"(did not properly respond after a period of time)",
        "A connection attempt failed because the connected party did not properly respond after a period of "
        "time, or established connection failed because connected host has failed to respond.")
      .meaning(windows)
      .reads("ETIMEDOUT", kConnect, "WSAETIMEDOUT (10060): the SYN (or the data) was never answered");
  // Numbers and names.
  t.add("Windows", "winerror", R"(\[WinError (\d+)\])", "[WinError 10054]")
      .meaning("a Winsock error number, as Python on Windows prints it")
      .errno_in(1);
  t.add("Windows", "wsae", R"(\b(WSAE(?:CONNRESET|CONNABORTED|CONNREFUSED|TIMEDOUT))\b)", "WSAECONNRESET")
      .exact_case()
      .meaning("a Winsock error's name")
      .errno_in(1);
  t.add("Python", "[errno", R"(\[Errno (\d+)\])", "[Errno 104]")
      .meaning("an OSError's errno, as Python prints it")
      .errno_in(1)
      .pipe();
  t.add("C library (errno)", "errno", R"(\berrno\s*[=:]?\s*(\d+))", "send failed, errno=104")
      .meaning("an errno number, as a C program logs it")
      .errno_in(1)
      .pipe();
  t.add("C library (errno)", "epipe|econnreset|econnrefused|etimedout|econnaborted",
        R"(\b(EPIPE|ECONNRESET|ECONNREFUSED|ETIMEDOUT|ECONNABORTED)\b)", "ECONNRESET")
      .exact_case()
      .meaning("the errno's name")
      .errno_in(1)
      .pipe();
  t.add("a program's own words", "connection reset", R"(\bconnection reset\b)", "upstream connection reset")
      .meaning("\"connection reset\" in a program's own words: most likely the kernel's ECONNRESET")
      .reads("ECONNRESET", kAny, "an RST accepted before this call");
  // Go's io.EOF, and anything else that prints a bare EOF: last, it is the loosest.
  t.add("Go (io.EOF)", "eof", R"((?:^|[^A-Za-z_.])EOF(?:$|[^A-Za-z_]))", "Get \"http://192.0.2.2:8080/\": EOF")
      .exact_case()
      .meaning("Go's io.EOF (and other programs' bare EOF): a read found the stream's end")
      .reads("EOF", kRead, "the peer closed the connection (FIN)");
}

}  // namespace

const std::vector<Wording>& wordings() {
  static const std::vector<Wording> table = [] {
    Table t;
    wrappers(t);
    go(t);
    java(t);
    python(t);
    node(t);
    rust_ruby_dotnet(t);
    proxies(t);
    late_ecosystem_words(t);
    generic(t);
    return t.done();
  }();
  return table;
}

std::string result_from_token(std::string_view token) {
  std::string t;
  for (char c : token) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.rfind("wsa", 0) == 0) t.erase(0, 3);
  static const std::pair<const char*, const char*> words[] = {
      {"32", "EPIPE"}, {"104", "ECONNRESET"}, {"111", "ECONNREFUSED"}, {"110", "ETIMEDOUT"},
      {"103", "ECONNABORTED"}, {"10054", "ECONNRESET"}, {"10053", "ECONNABORTED"}, {"10061", "ECONNREFUSED"},
      {"10060", "ETIMEDOUT"}, {"epipe", "EPIPE"}, {"econnreset", "ECONNRESET"}, {"econnrefused", "ECONNREFUSED"},
      {"etimedout", "ETIMEDOUT"}, {"econnaborted", "ECONNABORTED"}, {"brokenpipe", "EPIPE"},
      {"connectionreset", "ECONNRESET"}, {"connectionrefused", "ECONNREFUSED"},
      {"connectionaborted", "ECONNABORTED"}, {"timedout", "ETIMEDOUT"}, {"unexpectedeof", "EOF"},
      {"broken pipe", "EPIPE"}, {"connection reset by peer", "ECONNRESET"}, {"connection refused", "ECONNREFUSED"},
      {"connection timed out", "ETIMEDOUT"}, {"software caused connection abort", "ECONNABORTED"},
  };
  for (const auto& [word, result] : words)
    if (t == word) return result;
  return "";
}

CallOp call_from_token(std::string_view token) {
  std::string t;
  for (char c : token) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.find("read") != std::string::npos || t.find("recv") != std::string::npos) return CallOp::Read;
  if (t.find("write") != std::string::npos || t.find("send") != std::string::npos) return CallOp::Write;
  if (t == "connect" || t == "dial" || t == "open" || t == "connection") return CallOp::Connect;
  if (t == "operation") return CallOp::Read;  // curl's transfer timer: it waits for data
  if (t.rfind("accept", 0) == 0) return CallOp::Accept;
  return CallOp::Other;
}

std::optional<WordingMatch> find_wording(std::string_view line, std::string_view lower, bool wrappers) {
  for (const Wording& w : wordings()) {
    if (w.wrapper && !wrappers) continue;
    for (const std::string& anchor : w.anchors) {
      size_t at = lower.find(anchor);
      for (int tries = 0; at != std::string_view::npos && tries < 4; ++tries, at = lower.find(anchor, at + 1)) {
        const size_t from = at > kBefore ? at - kBefore : 0;
        const size_t to = std::min(line.size(), at + anchor.size() + kAfter);
        std::cmatch m;
        if (!std::regex_search(line.data() + from, line.data() + to, m, w.re)) continue;
        WordingMatch found;
        found.wording = &w;
        found.begin = from + static_cast<size_t>(m.position(0));
        found.end = found.begin + static_cast<size_t>(m.length(0));
        if (w.errno_group) {
          // The first group that matched at or after errno_group (alternatives number theirs apart).
          for (size_t g = static_cast<size_t>(w.errno_group); g < m.size() && found.result.empty(); ++g)
            if (m[g].matched) found.result = result_from_token(std::string_view(m[g].first, static_cast<size_t>(m[g].length())));
          if (found.result.empty()) continue;  // a number or name that is no connection error
        }
        if (w.call_group && m[w.call_group].matched) {
          found.call_token = m[w.call_group].str();
          found.call = call_from_token(found.call_token);
        }
        return found;
      }
    }
  }
  return std::nullopt;
}

}  // namespace rstlab::detail
