// SPDX-License-Identifier: MIT
// `rstlab explain`: real-looking log lines of every ecosystem (time stamps, pids, addresses,
// stack-trace prefixes around the words), the lines with two readings, unknown lines, the
// JSON shape, and every scenario named being one the catalogue has.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <set>

#include "explain/events.h"
#include "explain/log_lines.h"
#include "rstlab/explain.h"
#include "rstlab/rules.h"
#include "rstlab/scenario.h"

using namespace rstlab;

namespace {

struct Case {
  const char* line;
  const char* ecosystem;  ///< the start of the ecosystem's name
  const char* err;        ///< JSON errno: a name, "EOF", or nullptr (null)
  const char* call;       ///< JSON call, or nullptr (null: the line does not tell)
  const char* side;
  size_t readings;
};

const Case kCases[] = {
    // Go
    {"2026/11/29 22:10:01 http: proxy error: write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe",
     "Go (net.OpError)", "EPIPE", "write", "unknown", 1},
    {"time=\"2026-11-29T22:10:01Z\" level=error msg=\"copy failed\" err=\"read tcp "
     "192.0.2.1:40001->192.0.2.2:8080: read: connection reset by peer\"",
     "Go (net.OpError)", "ECONNRESET", "read", "unknown", 1},
    {"dial tcp 192.0.2.2:8080: connect: connection refused", "Go (net.OpError)", "ECONNREFUSED", "connect",
     "unknown", 1},
    {"read tcp [2001:db8::1]:40001->[2001:db8::2]:8080: read: connection timed out", "Go (net.OpError)",
     "ETIMEDOUT", "read", "unknown", 1},
    {"Get \"http://192.0.2.2:8080/\": dial tcp 192.0.2.2:8080: i/o timeout", "Go (net.OpError)", nullptr,
     "connect", "unknown", 1},
    {"read tcp [2001:db8::1]:40001->[2001:db8::2]:8080: i/o timeout", "Go (net.OpError)", nullptr, "read",
     "unknown", 1},
    {"2026/11/29 22:10:01 accept tcp [::]:8080: use of closed network connection", "Go (net.OpError)", nullptr,
     "accept", "unknown", 1},
    {"2026/11/29 22:10:01 Get \"http://192.0.2.2:8080/\": EOF", "Go (io.EOF)", "EOF", "read", "unknown", 1},
    {"2026/11/29 22:10:01 proxy: unexpected EOF", "Go (io.ErrUnexpectedEOF)", "EOF", "read", "unknown", 1},
    {"Get \"http://192.0.2.2:8080/\": net/http: request canceled (Client.Timeout exceeded while awaiting "
     "headers)",
     "Go", nullptr, nullptr, "unknown", 1},
    // Java
    {"2026-11-29 22:10:01.123 ERROR 4242 --- [http-nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet] : "
     "java.net.SocketException: Connection reset",
     "Java", "ECONNRESET", nullptr, "unknown", 2},
    {"Caused by: java.io.IOException: Broken pipe", "Java", "EPIPE", "write", "unknown", 1},
    {"java.net.SocketException: Broken pipe (Write failed)", "Java", "EPIPE", "write", "unknown", 1},
    {"java.io.IOException: Connection reset by peer at sun.nio.ch.FileDispatcherImpl.read0(Native Method)", "Java",
     "ECONNRESET", "read", "unknown", 1},
    {"java.net.SocketException: Connection reset by peer: socket write error", "Java", "ECONNRESET", "write",
     "unknown", 1},
    {"java.net.ConnectException: Connection refused (Connection refused)", "Java", "ECONNREFUSED", "connect",
     "client", 1},
    {"java.net.SocketTimeoutException: Read timed out", "Java", nullptr, "read", "unknown", 1},
    {"java.net.SocketException: Software caused connection abort: recv failed", "Java", "ECONNABORTED", "read",
     "unknown", 1},
    {"22:10:01.123 [epollEventLoopGroup-3-1] WARN  i.n.c.DefaultChannelPipeline - "
     "io.netty.channel.unix.Errors$NativeIoException: readAddress(..) failed: Connection reset by peer",
     "Java (Netty epoll)", "ECONNRESET", "read", "unknown", 1},
    {"org.apache.http.NoHttpResponseException: 192.0.2.2:8080 failed to respond", "Java (Apache HttpClient)", "EOF",
     "read", "client", 1},
    {"java.io.EOFException: null", "Java", "EOF", "read", "unknown", 1},
    // Python
    {"  File \"/usr/lib/python3.11/socket.py\", line 722, in write BrokenPipeError: [Errno 32] Broken pipe",
     "Python", "EPIPE", "write", "unknown", 2},
    {"ConnectionResetError: [Errno 104] Connection reset by peer", "Python", "ECONNRESET", nullptr, "unknown", 1},
    {"requests.exceptions.ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed "
     "connection without response'))",
     "Python (requests", "EOF", "read", "client", 1},
    {"requests.exceptions.ConnectionError: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by "
     "peer'))",
     "Python (requests", "ECONNRESET", nullptr, "client", 1},
    {"ConnectionRefusedError: [Errno 111] Connection refused", "Python", "ECONNREFUSED", "connect", "client", 1},
    {"TimeoutError: [Errno 110] Connection timed out", "Python", "ETIMEDOUT", nullptr, "unknown", 1},
    {"socket.timeout: timed out", "Python", nullptr, nullptr, "unknown", 1},
    {"ConnectionAbortedError: [WinError 10053] An established connection was aborted by the software in your "
     "host machine",
     "Python", "ECONNABORTED", nullptr, "unknown", 1},
    {"ssl.SSLEOFError: EOF occurred in violation of protocol (_ssl.c:2426)", "Python (ssl)", "EOF", "read",
     "unknown", 1},
    // Node.js
    {"Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)", "Node.js",
     "ECONNRESET", "read", "unknown", 1},
    {"Error: write EPIPE", "Node.js", "EPIPE", "write", "unknown", 1},
    {"Error: connect ECONNREFUSED 192.0.2.2:8080", "Node.js", "ECONNREFUSED", "connect", "unknown", 1},
    {"Error: connect ETIMEDOUT 192.0.2.2:443", "Node.js", "ETIMEDOUT", "connect", "unknown", 1},
    {"[2026-11-29T22:10:01.123Z] ERROR: request failed: Error: socket hang up", "Node.js", "EOF", nullptr, "client",
     2},
    {"{ errno: -104, code: 'ECONNRESET', syscall: 'read' }", "Node.js", "ECONNRESET", "read", "unknown", 1},
    {"Error [ERR_STREAM_WRITE_AFTER_END]: write after end", "Node.js", nullptr, "write", "unknown", 1},
    {"Error: This socket has been ended by the other party", "Node.js", "EOF", "write", "unknown", 1},
    // Rust
    {"Error: Os { code: 104, kind: ConnectionReset, message: \"Connection reset by peer\" }", "Rust", "ECONNRESET",
     nullptr, "unknown", 1},
    {"thread 'main' panicked at library/std/src/io/stdio.rs:1021:9: failed printing to stdout: Broken pipe (os "
     "error 32)",
     "Rust", "EPIPE", "write", "unknown", 1},
    {"Error: Broken pipe (os error 32)", "Rust", "EPIPE", "write", "unknown", 2},
    // .NET and Windows
    {"Unhandled exception. System.Net.Sockets.SocketException (10054): An existing connection was forcibly closed "
     "by the remote host.",
     ".NET", "ECONNRESET", nullptr, "unknown", 1},
    {"System.IO.IOException: Unable to read data from the transport connection: Connection reset by peer.", ".NET",
     "ECONNRESET", "read", "unknown", 1},
    {"System.Net.Sockets.SocketException (10061): No connection could be made because the target machine actively "
     "refused it.",
     ".NET", "ECONNREFUSED", "connect", "unknown", 1},
    {"An existing connection was forcibly closed by the remote host.", "Windows", "ECONNRESET", nullptr, "unknown",
     1},
    // Ruby
    {"E, [2026-11-29T22:10:01.123 #4242] ERROR -- : Errno::ECONNRESET: Connection reset by peer - SSL_connect",
     "Ruby", "ECONNRESET", nullptr, "unknown", 1},
    {"Errno::EPIPE: Broken pipe", "Ruby", "EPIPE", "write", "unknown", 2},
    {"/usr/lib/ruby/3.1.0/net/protocol.rb:227:in `rbuf_fill': end of file reached (EOFError)", "Ruby", "EOF", "read",
     "unknown", 1},
    // curl
    {"curl: (56) Recv failure: Connection reset by peer", "curl", "ECONNRESET", "read", "client", 1},
    {"curl: (55) Send failure: Broken pipe", "curl", "EPIPE", "write", "client", 1},
    {"curl: (7) Failed to connect to 192.0.2.2 port 8080 after 0 ms: Connection refused", "curl", "ECONNREFUSED",
     "connect", "client", 1},
    {"curl: (7) Failed to connect to 192.0.2.2 port 8080 after 0 ms: Couldn't connect to server", "curl",
     "ECONNREFUSED", "connect", "client", 2},
    {"curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received", "curl", nullptr, "read",
     "client", 1},
    {"curl: (28) Connection timed out after 10002 milliseconds", "curl", nullptr, "connect", "client", 1},
    {"curl: (52) Empty reply from server", "curl", "EOF", "read", "client", 1},
    {"curl: (56) OpenSSL SSL_read: Connection reset by peer, errno 104", "curl", "ECONNRESET", "read", "client", 1},
    {"PHP Fatal error:  Uncaught GuzzleHttp\\Exception\\ConnectException: cURL error 56: Recv failure: Connection "
     "reset by peer",
     "curl", "ECONNRESET", "read", "client", 1},
    // nginx
    {"2026/11/29 22:10:01 [error] 1234#1234: *5678 recv() failed (104: Connection reset by peer) while reading "
     "response header from upstream, client: 198.51.100.7, server: example.org, request: \"GET / HTTP/1.1\", "
     "upstream: \"http://192.0.2.2:8080/\", host: \"example.org\"",
     "nginx", "ECONNRESET", "read", "client", 1},
    {"2026/11/29 22:10:01 [info] 1234#1234: *5678 writev() failed (32: Broken pipe) while sending to client, "
     "client: 198.51.100.7, server: example.org, request: \"GET /big HTTP/1.1\"",
     "nginx", "EPIPE", "write", "server", 1},
    {"2026/11/29 22:10:01 [error] 1234#1234: *1 connect() failed (111: Connection refused) while connecting to "
     "upstream, client: 198.51.100.7, server: example.org, upstream: \"http://192.0.2.2:8080/\"",
     "nginx", "ECONNREFUSED", "connect", "client", 1},
    {"2026/11/29 22:10:01 [error] 1234#1234: *9 upstream prematurely closed connection while reading response "
     "header from upstream, client: 198.51.100.7",
     "nginx", "EOF", "read", "client", 1},
    {"2026/11/29 22:10:01 [error] 1234#1234: *9 upstream timed out (110: Connection timed out) while reading "
     "response header from upstream, client: 198.51.100.7",
     "nginx", nullptr, "read", "client", 1},
    // HAProxy, Envoy
    {"Nov 29 22:10:01 lb haproxy[2345]: 198.51.100.7:51234 [29/Nov/2026:22:10:01.123] web be/app1 0/0/1/-1/3 502 "
     "204 - - SH-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"",
     "HAProxy", "EOF", "read", "client", 2},
    {"Nov 29 22:10:01 lb haproxy[2345]: 198.51.100.7:51234 [29/Nov/2026:22:10:01.123] web be/app1 0/0/1/4/900 200 "
     "1000 - - CD-- 1/1/0/0/0 0/0 \"GET /big HTTP/1.1\"",
     "HAProxy", "EOF", "read", "server", 2},
    {"upstream connect error or disconnect/reset before headers. reset reason: connection termination", "Envoy",
     "EOF", "read", "client", 2},
    {"[2026-11-29T22:10:01.123Z] \"GET / HTTP/1.1\" 503 UF 0 91 3 - \"-\" \"curl/8.5.0\"", "Envoy", "ECONNREFUSED",
     "connect", "client", 2},
    // gRPC
    {"rpc error: code = Unavailable desc = error reading from server: read tcp 192.0.2.1:40001->192.0.2.2:8080: "
     "read: connection reset by peer",
     "gRPC", "ECONNRESET", "read", "client", 1},
    {"rpc error: code = Unavailable desc = transport is closing", "gRPC", "EOF", nullptr, "client", 3},
    {"rpc error: code = Unavailable desc = connection error: desc = \"transport: Error while dialing: dial tcp "
     "192.0.2.2:8080: connect: connection refused\"",
     "gRPC", "ECONNREFUSED", "connect", "client", 1},
    // PostgreSQL, MySQL
    {"2026-11-29 22:10:01.123 UTC [4321] LOG:  could not receive data from client: Connection reset by peer",
     "PostgreSQL", "ECONNRESET", "read", "server", 1},
    {"psql: error: server closed the connection unexpectedly", "PostgreSQL", "EOF", "read", "client", 2},
    {"could not send data to server: Broken pipe", "PostgreSQL", "EPIPE", "write", "client", 1},
    {"ERROR 2013 (HY000): Lost connection to MySQL server during query", "MySQL", "EOF", "read", "client", 3},
    {"ERROR 2006 (HY000): MySQL server has gone away", "MySQL", "EOF", nullptr, "client", 2},
    {"ERROR 2013 (HY000): Lost connection to MySQL server at 'reading initial communication packet', system error: "
     "104",
     "MySQL", "ECONNRESET", "read", "client", 1},
    // OpenSSL, OpenSSH, the C library
    {"2026/11/29 22:10:01 [crit] 77#77: *3 SSL_do_handshake() failed (SSL: error:0A000126:SSL routines::unexpected "
     "eof while reading) while SSL handshaking to upstream",
     "OpenSSL", "EOF", "read", "unknown", 1},
    {"SSL_read() failed (SSL_ERROR_SYSCALL), errno=0", "OpenSSL", "EOF", "read", "unknown", 1},
    {"TLS: SSL_ERROR_SYSCALL, errno 104", "OpenSSL", "ECONNRESET", nullptr, "unknown", 1},
    {"Connection reset by 192.0.2.2 port 22", "OpenSSH", "ECONNRESET", "read", "client", 1},
    {"kex_exchange_identification: read: Connection reset by peer", "C library (perror)", "ECONNRESET", "read",
     "unknown", 1},
    {"myapp[4242]: send failed: errno=32", "C library (errno)", "EPIPE", "write", "unknown", 2},
    {"cat: write error: Broken pipe", "C library (strerror)", "EPIPE", "write", "unknown", 2},
};

std::string json_string_or_null(const nlohmann::json& v) { return v.is_null() ? "null" : v.get<std::string>(); }

}  // namespace

TEST(Explain, EveryEcosystemsLine) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.line);
    const auto e = explain_line(c.line);
    ASSERT_TRUE(e) << "not recognised";
    EXPECT_EQ(e->ecosystem.rfind(c.ecosystem, 0), 0u) << e->ecosystem;
    EXPECT_EQ(e->readings.size(), c.readings);
    const auto j = nlohmann::json::parse(explanation_json(*e));
    EXPECT_EQ(json_string_or_null(j["errno"]), c.err ? c.err : "null");
    EXPECT_EQ(json_string_or_null(j["call"]), c.call ? c.call : "null");
    EXPECT_EQ(j["side"], c.side);
    EXPECT_EQ(j["line"], c.line);
    for (const auto& r : e->readings) {
      // A kernel result always comes with its events; text for people, not empty words.
      if (r.errno_name()) {
        EXPECT_FALSE(r.events.empty()) << r.result;
      }
      EXPECT_FALSE(r.what.empty());
    }
  }
}

TEST(Explain, EveryKnownWordingFindsItsOwnExample) {
  // The table's order is its specificity: an example taken by an earlier row means a row
  // can never be reached as written.
  for (const auto& w : detail::wordings()) {
    SCOPED_TRACE(w.example);
    const auto e = explain_line(w.example);
    ASSERT_TRUE(e);
    // Found as the line's wording, or as the words a wrapper wraps.
    const bool outer = e->ecosystem == w.ecosystem && e->meaning.rfind(w.meaning, 0) == 0;
    const bool inner = e->meaning.find("inside it, " + w.ecosystem + ": " + w.meaning) != std::string::npos;
    EXPECT_TRUE(outer || inner) << "taken by another row: " << e->ecosystem << ": " << e->meaning;
  }
  EXPECT_GE(detail::wordings().size(), 100u);
  EXPECT_EQ(known_wordings().size(), detail::wordings().size());
}

TEST(Explain, TheTwoReadingLinesSayBoth) {
  const auto hang = explain_line("Error: socket hang up");
  ASSERT_TRUE(hang);
  ASSERT_EQ(hang->readings.size(), 2u);
  EXPECT_EQ(hang->readings[0].result, "EOF");
  EXPECT_EQ(hang->readings[1].result, "local-close");
  const std::string text = render_explanation(*hang);
  EXPECT_NE(text.find("readings:  2, which the wording does not tell apart"), std::string::npos) << text;
  EXPECT_NE(text.find("  1. EOF"), std::string::npos) << text;
  EXPECT_NE(text.find("  2. none: the program closed the socket itself"), std::string::npos) << text;

  const auto reset = explain_line("java.net.SocketException: Connection reset");
  ASSERT_TRUE(reset);
  ASSERT_EQ(reset->readings.size(), 2u);
  EXPECT_EQ(reset->readings[0].call, CallOp::Read);
  EXPECT_EQ(reset->readings[1].call, CallOp::Write);
  const auto j = nlohmann::json::parse(explanation_json(*reset));
  EXPECT_TRUE(j["call"].is_null()) << "a read or a write: the line does not tell";
  EXPECT_NE(j["explanation"].get<std::string>().find("Reading 2: ECONNRESET (104), in a write"), std::string::npos)
      << j["explanation"];
  // The scenarios of both readings: a read's and a write's.
  const auto names = j["scenarios"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(names.begin(), names.end(), "reset-by-peer-kernel"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "rst-idle-write"), names.end());

  // "Connection reset by peer" in Java is not the two-reading "Connection reset".
  const auto by_peer = explain_line("java.net.SocketException: Connection reset by peer");
  ASSERT_TRUE(by_peer);
  EXPECT_EQ(by_peer->readings.size(), 1u);
}

TEST(Explain, TimersAreNotTheKernelsTimeout) {
  for (const char* line : {"read tcp 192.0.2.1:40001->192.0.2.2:8080: i/o timeout",
                           "upstream timed out (110: Connection timed out) while reading response header from upstream",
                           "java.net.SocketTimeoutException: Read timed out"}) {
    const auto e = explain_line(line);
    ASSERT_TRUE(e) << line;
    EXPECT_EQ(e->readings[0].result, "timer") << line;
    EXPECT_FALSE(e->readings[0].errno_name()) << line;
    EXPECT_TRUE(e->readings[0].scenarios.empty()) << "no scenario plays a program's timer";
  }
  const auto kernel = explain_line("read tcp 192.0.2.1:40001->192.0.2.2:8080: read: connection timed out");
  ASSERT_TRUE(kernel);
  EXPECT_EQ(kernel->readings[0].result, "ETIMEDOUT");
  EXPECT_EQ(kernel->readings[0].scenarios, std::vector<std::string>{"user-timeout"});
}

TEST(Explain, UnknownLinesGetTheClosestWordings) {
  for (const char* line : {"", "   ", "GET /index.html HTTP/1.1 200 512", "2026-11-29 INFO server started on :8080",
                           "Conection refused", "\x01\xff\xfe binary \x80 junk"})
    EXPECT_FALSE(explain_line(line)) << line;
  const auto near = closest_wordings("2026-11-29 WARN upstream: Conection refused");
  ASSERT_FALSE(near.empty());
  EXPECT_EQ(near[0], "Connection refused");
  const auto hang = closest_wordings("Error: socket hangup");
  ASSERT_FALSE(hang.empty());
  EXPECT_EQ(hang[0], "socket hang up");
  EXPECT_TRUE(closest_wordings("GET /index.html HTTP/1.1 200 512").empty());
}

TEST(Explain, JsonHasTheIssuesShape) {
  const auto e = explain_line("curl: (56) Recv failure: Connection reset by peer");
  ASSERT_TRUE(e);
  const std::string line = explanation_json(*e);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one object on one line";
  const auto j = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"line", "ecosystem", "errno", "call", "side", "events", "rules", "scenarios",
                                            "explanation"}));
  EXPECT_EQ(j["errno"], "ECONNRESET");
  EXPECT_EQ(j["call"], "read");
  EXPECT_EQ(j["side"], "client");
  EXPECT_TRUE(j["events"].is_array() && !j["events"].empty());
  EXPECT_EQ(j["scenarios"][0], "reset-by-peer-kernel");
  EXPECT_TRUE(j["explanation"].is_string());
  // With a line number (--file): line_number right after line.
  const auto numbered = nlohmann::ordered_json::parse(explanation_json(*e, 42));
  EXPECT_EQ(std::next(numbered.begin()).key(), "line_number");
  EXPECT_EQ(numbered["line_number"], 42);
  // Bytes that are not UTF-8 still make valid JSON.
  const auto odd = explain_line("\xff\xfe curl: (56) Recv failure: Connection reset by peer");
  ASSERT_TRUE(odd);
  EXPECT_NO_THROW(nlohmann::json::parse(explanation_json(*odd)));
}

TEST(Explain, EveryScenarioNamedIsInTheCatalogue) {
  std::set<std::string> names;
  for (const auto& s : catalogue()) names.insert(s.name);
  size_t named = 0;
  for (const char* result :
       {"ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ECONNABORTED", "EOF", "timer", "local-close", ""})
    for (CallOp call : {CallOp::Read, CallOp::Write, CallOp::Connect, CallOp::Accept, CallOp::Other, CallOp::Pipe})
      for (const auto& n : detail::scenarios_for(result, call)) {
        EXPECT_EQ(names.count(n), 1u) << n << " (for " << result << " in " << call_op_name(call) << ")";
        ++named;
      }
  EXPECT_GT(named, 20u);
  // And what the text prints: "rstlab run NAME" for names the catalogue has.
  for (const Case& c : kCases) {
    const std::string text = render_explanation(*explain_line(c.line));
    for (size_t at = text.find("rstlab run "); at != std::string::npos; at = text.find("rstlab run ", at + 1)) {
      const size_t from = at + 11;
      const std::string name = text.substr(from, text.find_first_of(" \n", from) - from);
      EXPECT_EQ(names.count(name), 1u) << name << " in:\n" << text;
    }
  }
}

TEST(Explain, EventsFollowTheKernelsRules) {
  // The deciding rule first: the state the RST found, the errno it stored.
  EXPECT_NE(detail::events_for("ECONNRESET", CallOp::Read).at(0).find("ESTABLISHED"), std::string::npos);
  EXPECT_NE(detail::events_for("EPIPE", CallOp::Write).at(0).find("CLOSE_WAIT"), std::string::npos);
  EXPECT_NE(detail::events_for("ECONNREFUSED", CallOp::Connect).at(0).find("SYN_SENT"), std::string::npos);
  const auto w = detail::events_for("ECONNRESET", CallOp::Write);
  EXPECT_NE(w.at(1).find("raises no SIGPIPE"), std::string::npos) << w.at(1);
  EXPECT_NE(detail::events_for("EPIPE", CallOp::Pipe).at(0).find("pipe"), std::string::npos);
  EXPECT_TRUE(detail::events_for("", CallOp::Read).empty());
  EXPECT_TRUE(detail::events_for("ENOENT", CallOp::Read).empty());
}

TEST(Explain, NumbersAndNamesOfBothSystems) {
  EXPECT_EQ(detail::result_from_token("32"), "EPIPE");
  EXPECT_EQ(detail::result_from_token("104"), "ECONNRESET");
  EXPECT_EQ(detail::result_from_token("10054"), "ECONNRESET");
  EXPECT_EQ(detail::result_from_token("WSAECONNREFUSED"), "ECONNREFUSED");
  EXPECT_EQ(detail::result_from_token("ConnectionReset"), "ECONNRESET");
  EXPECT_EQ(detail::result_from_token("connection timed out"), "ETIMEDOUT");
  EXPECT_EQ(detail::result_from_token("2"), "") << "ENOENT is no connection error";
  EXPECT_EQ(detail::call_from_token("SSL_read"), CallOp::Read);
  EXPECT_EQ(detail::call_from_token("writev"), CallOp::Write);
  EXPECT_EQ(detail::call_from_token("dial"), CallOp::Connect);
  // An errno number that names no connection error is not taken for one.
  EXPECT_FALSE(explain_line("open failed, errno=2"));
}

TEST(Explain, NotesConcernTheLinesReadings) {
  // Go's words about SIGPIPE come with its broken pipe, not with its reset by peer.
  const auto pipe = explain_line("write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe");
  const auto reset = explain_line("read tcp 192.0.2.1:40001->192.0.2.2:8080: read: connection reset by peer");
  ASSERT_TRUE(pipe && reset);
  ASSERT_EQ(pipe->notes.size(), 1u);
  EXPECT_NE(pipe->notes[0].find("SIGPIPE"), std::string::npos);
  EXPECT_TRUE(reset->notes.empty()) << reset->notes[0];
}

// Each reading names the model's rules behind its result (the names trace.json and
// analyze --json carry), and only rules that exist.
TEST(Explain, ReadingsNameTheRulesThatYieldTheirResult) {
  const auto names = [](std::string_view line) {
    const auto e = explain_line(line);
    EXPECT_TRUE(e) << line;
    return e ? e->readings.at(0).rules : std::vector<std::string>{};
  };
  const auto contains = [](const std::vector<std::string>& v, const char* n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  const auto reset = names("read: connection reset by peer");
  EXPECT_TRUE(contains(reset, "rst.accepted.established"));
  EXPECT_FALSE(contains(reset, "rst.accepted.close-wait"));
  const auto pipe = names("write: broken pipe");
  EXPECT_TRUE(contains(pipe, "rst.accepted.close-wait"));
  EXPECT_TRUE(contains(pipe, "write.epipe-shut"));
  EXPECT_FALSE(contains(pipe, "pipe.no-reader")) << "a socket's write, not a pipe's";
  EXPECT_TRUE(contains(names("connect: connection refused"), "rst.accepted.syn-sent"));
  EXPECT_TRUE(names("context deadline exceeded").empty()) << "a timer: no kernel rule";
  for (const auto& line : {"read: connection reset by peer", "write: broken pipe", "connect: connection refused"})
    for (const auto& n : names(line)) EXPECT_NE(rule_by_name(n), RuleId::None) << n;
}
