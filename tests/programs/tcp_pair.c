// SPDX-License-Identifier: MIT
// tcp_pair: plays the classic reset stories with real kernel sockets at both ends and
// records every call's result as JSON lines on standard output, so a test can compare
// what the kernel really did with what `rstlab analyze` reads from a capture.
//
// One process holds both ends: the listening socket is created in the server's network
// namespace and the client sockets in the client's (a socket stays in the namespace it
// was created in), so one single-threaded program drives both sides of a veth pair in
// a fixed order. Every wait is a poll() with a deadline; nothing sleeps.
//
//   tcp_pair --server ADDR --client ADDR --plan CASE[/PROBE][@BULK],... [--port N]
//            [--server-netns FD] [--client-netns FD] [--bulk BYTES] [--after-handshake]
//
// Cases: clean, broken-pipe, reset-by-peer, linger-abort, refused, rst-after-fin,
// abort-in-flight. Probes (the one call made on the endpoint that received the RST,
// once the RST has arrived and every queued byte has been read): read, write, so_error.
// The first call after a reset consumes the stored error, so each connection measures
// exactly one of them; a plan lists one connection per probe. @BULK (or --bulk for every
// connection) first moves that many bytes from client to server (the sender's TSO/GSO
// super-segments).
//
// Output (one object per line):
//   {"event":"conn","n":0,"case":"reset-by-peer","probe":"read","client":"192.0.2.1","client_port":40000,
//    "server":"192.0.2.2","server_port":8080,"rst_from":"server"}
//   {"event":"call","n":0,"side":"client","call":"write","ret":1,"errno":"0","sigpipe":false}
//   {"event":"result","n":0,"receiver":"client","probe":"read","value":"ECONNRESET","sigpipe":false,
//    "drained":0,"closed":"server"}
//   {"event":"established","count":3}   (--after-handshake; one byte on stdin then starts)
//   {"event":"done"}
// "value" uses analyze's words: read -> ok (data, or it would wait), EOF, or an errno
// name; write -> ok or an errno name; so_error -> 0 or an errno name.
// On failure: {"event":"error","n":N,"message":"..."} and exit status 1.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kDeadlineMs = 5000, kMaxConns = 256 };

static int g_family = AF_INET;
static const char* g_server_addr;
static const char* g_client_addr;
static int g_port = 8080;
static int g_server_ns = -1, g_client_ns = -1;
static long g_bulk;
static int g_current = -1;  // connection being played (for error reports)

// ---------------------------------------------------------------------------------
// Reporting

static const char* errno_name(int e) {
  if (e == 0) return "0";
  const char* name = strerrorname_np(e);  // glibc 2.32+
  return name ? name : "EUNKNOWN";
}

static void fail(const char* fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  // The message is ours (no quotes or backslashes in it), so it is valid JSON text.
  printf("{\"event\":\"error\",\"n\":%d,\"message\":\"%s\"}\n", g_current, msg);
  fflush(stdout);
  exit(1);
}

static void fail_errno(const char* what) {
  fail("%s: %s (%s)", what, strerror(errno), errno_name(errno));
}

/// SIGPIPE is blocked for the whole run: a write that raises it leaves it pending, and
/// this takes it back (true when one was raised since the last call).
static bool took_sigpipe(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  const struct timespec zero = {0, 0};
  return sigtimedwait(&set, NULL, &zero) == SIGPIPE;
}

static void report_call(int n, const char* side, const char* call, long ret, int err,
                        bool sigpipe) {
  printf(
      "{\"event\":\"call\",\"n\":%d,\"side\":\"%s\",\"call\":\"%s\",\"ret\":%ld,\"errno\":\"%s\","
      "\"sigpipe\":%s}\n",
      n, side, call, ret, ret < 0 ? errno_name(err) : "0", sigpipe ? "true" : "false");
}

// ---------------------------------------------------------------------------------
// Sockets

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/// Waits until `fd` reports one of `events` (POLLERR/POLLHUP always count); fails after
/// the deadline. Returns the revents.
static short wait_for(int fd, short events, const char* what) {
  const int64_t deadline = now_ms() + kDeadlineMs;
  for (;;) {
    struct pollfd p = {fd, events, 0};
    const int64_t left = deadline - now_ms();
    if (left <= 0) fail("timed out waiting for %s", what);
    const int rc = poll(&p, 1, (int)left);
    if (rc < 0) {
      if (errno == EINTR) continue;
      fail_errno("poll");
    }
    if (rc > 0 && (p.revents & (events | POLLERR | POLLHUP | POLLNVAL))) return p.revents;
  }
}

static void enter_ns(int fd) {
  if (fd >= 0 && setns(fd, CLONE_NEWNET) < 0) fail_errno("setns");
}

static socklen_t make_addr(struct sockaddr_storage* ss, const char* text, int port) {
  memset(ss, 0, sizeof *ss);
  if (g_family == AF_INET) {
    struct sockaddr_in* a = (struct sockaddr_in*)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) fail("bad IPv4 address %s", text);
    return sizeof *a;
  }
  struct sockaddr_in6* a = (struct sockaddr_in6*)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) fail("bad IPv6 address %s", text);
  return sizeof *a;
}

static void addr_text(const struct sockaddr_storage* ss, char* out, size_t size, int* port) {
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in* a = (const struct sockaddr_in*)ss;
    inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)size);
    *port = ntohs(a->sin_port);
  } else {
    const struct sockaddr_in6* a = (const struct sockaddr_in6*)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)size);
    *port = ntohs(a->sin6_port);
  }
}

static int new_socket(void) {
  const int s = socket(g_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s < 0) fail_errno("socket");
  return s;
}

static int listen_on(int port) {
  enter_ns(g_server_ns);
  const int s = new_socket();
  const int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss;
  const socklen_t len = make_addr(&ss, g_server_addr, port);
  if (bind(s, (struct sockaddr*)&ss, len) < 0) fail_errno("bind");
  if (listen(s, kMaxConns) < 0) fail_errno("listen");
  return s;
}

/// A client socket (in the client's namespace) with a connect in progress to `port`.
/// Returns the connect's errno (0 or EINPROGRESS, or an immediate refusal).
static int start_connect(int* out, int port) {
  enter_ns(g_client_ns);
  const int s = new_socket();
  struct sockaddr_storage ss;
  const socklen_t len = make_addr(&ss, g_server_addr, port);
  // Bind the client address explicitly: on lo the namespace has both families' loopback
  // addresses and the test names the endpoints it expects.
  struct sockaddr_storage local;
  const socklen_t llen = make_addr(&local, g_client_addr, 0);
  if (bind(s, (struct sockaddr*)&local, llen) < 0) fail_errno("bind client");
  *out = s;
  if (connect(s, (struct sockaddr*)&ss, len) == 0) return 0;
  return errno;
}

static void set_linger_zero(int fd) {
  const struct linger l = {1, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0) fail_errno("SO_LINGER");
}

/// Writes `len` bytes of `fd` in one call; returns what write() returned (errno kept)
/// and whether it raised SIGPIPE.
static long write_once(int n, const char* side, int fd, size_t len, bool* sigpipe) {
  static char buf[65536];
  if (len > sizeof buf) len = sizeof buf;
  memset(buf, 'x', len);
  const long r = write(fd, buf, len);
  const int err = errno;
  const bool sig = took_sigpipe();
  report_call(n, side, "write", r, err, sig);
  if (sigpipe) *sigpipe = sig;
  errno = err;
  return r;
}

/// Moves `total` bytes from `from` to `to` (both non-blocking, both ours), polling both.
static void transfer(int from, int to, long total) {
  static char buf[1 << 18];
  long sent = 0, got = 0;
  memset(buf, 'b', sizeof buf);
  const int64_t deadline = now_ms() + kDeadlineMs;
  while (got < total) {
    struct pollfd p[2] = {{from, sent < total ? POLLOUT : 0, 0}, {to, POLLIN, 0}};
    const int64_t left = deadline - now_ms();
    if (left <= 0) fail("timed out moving %ld bytes (%ld sent, %ld received)", total, sent, got);
    if (poll(p, 2, (int)left) < 0 && errno != EINTR) fail_errno("poll");
    if (sent < total && (p[0].revents & POLLOUT)) {
      const size_t want = (size_t)(total - sent) < sizeof buf ? (size_t)(total - sent) : sizeof buf;
      const long r = write(from, buf, want);
      if (r < 0 && errno != EAGAIN) fail_errno("bulk write");
      if (r > 0) sent += r;
    }
    if (p[1].revents & (POLLIN | POLLERR | POLLHUP)) {
      const long r = read(to, buf, sizeof buf);
      if (r == 0) fail("EOF during bulk transfer");
      if (r < 0 && errno != EAGAIN) fail_errno("bulk read");
      if (r > 0) got += r;
    }
  }
}

/// Reads exactly what the receive queue holds (SIOCINQ), so that the probe that follows
/// is the first call that can report a stored error - the analyzer assumes the
/// application has read everything. Returns the bytes read.
static long drain_queue(int fd) {
  static char buf[1 << 16];
  long total = 0;
  for (;;) {
    int inq = 0;
    if (ioctl(fd, SIOCINQ, &inq) < 0) fail_errno("SIOCINQ");
    if (inq <= 0) return total;
    const size_t want = (size_t)inq < sizeof buf ? (size_t)inq : sizeof buf;
    const long r = recv(fd, buf, want, 0);
    if (r <= 0) fail("queued bytes could not be read (%ld, %s)", r, errno_name(errno));
    total += r;
  }
}

// ---------------------------------------------------------------------------------
// The stories

enum Probe { kNone, kRead, kWrite, kSoError };

struct Conn {
  char kase[32];
  enum Probe probe;
  long bulk;           // bytes client -> server before the story
  int client, server;  // -1 once closed (or never accepted)
};

static struct Conn g_conns[kMaxConns];
static int g_count;
static int g_listener = -1;

static const char* probe_name(enum Probe p) {
  return p == kRead ? "read" : p == kWrite ? "write" : p == kSoError ? "so_error" : "none";
}

/// Which end receives the case's RST (the other end sends it).
static const char* rst_receiver(const char* kase) {
  if (!strcmp(kase, "linger-abort") || !strcmp(kase, "abort-in-flight")) return "server";
  if (!strcmp(kase, "clean")) return "";
  return "client";
}

static void establish(int n) {
  struct Conn* c = &g_conns[n];
  const int e = start_connect(&c->client, g_port);
  if (e != 0 && e != EINPROGRESS) {
    errno = e;
    fail_errno("connect");
  }
  enter_ns(g_server_ns);
  wait_for(g_listener, POLLIN, "the connection to arrive at the listener");
  c->server = accept4(g_listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c->server < 0) fail_errno("accept");
  const short ev = wait_for(c->client, POLLOUT, "connect to complete");
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c->client, SOL_SOCKET, SO_ERROR, &err, &len);
  if ((ev & POLLERR) || err) {
    errno = err;
    fail_errno("connect completion");
  }
}

static void print_conn(int n) {
  const struct Conn* c = &g_conns[n];
  struct sockaddr_storage local, peer;
  socklen_t ll = sizeof local, pl = sizeof peer;
  char lt[64], pt[64];
  int lp = 0, pp = 0;
  if (getsockname(c->client, (struct sockaddr*)&local, &ll) < 0) fail_errno("getsockname");
  addr_text(&local, lt, sizeof lt, &lp);
  if (c->server >= 0) {
    if (getsockname(c->server, (struct sockaddr*)&peer, &pl) < 0) fail_errno("getsockname");
    addr_text(&peer, pt, sizeof pt, &pp);
  } else {  // refused: the port it tried
    struct sockaddr_storage ss;
    make_addr(&ss, g_server_addr, g_port + 1);
    addr_text(&ss, pt, sizeof pt, &pp);
  }
  const char* recv_side = rst_receiver(c->kase);
  printf(
      "{\"event\":\"conn\",\"n\":%d,\"case\":\"%s\",\"probe\":\"%s\",\"client\":\"%s\",\"client_"
      "port\":%d,"
      "\"server\":\"%s\",\"server_port\":%d,\"rst_from\":\"%s\"}\n",
      n, c->kase, probe_name(c->probe), lt, lp, pt, pp,
      !*recv_side                    ? ""
      : !strcmp(recv_side, "client") ? "server"
                                     : "client");
}

static void close_side(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

/// The one call measured on the RST's receiver, after the RST has arrived.
static void probe(int n, const char* side, int fd, const char* closed) {
  const struct Conn* c = &g_conns[n];
  // The RST has arrived when the socket reports an error or a hang-up (it is then in
  // CLOSE); the capture has seen it by then, on either side of the link.
  wait_for(fd, 0, "the RST to arrive");
  const long drained = drain_queue(fd);
  char value[32];
  bool sigpipe = false;
  if (c->probe == kRead) {
    char b[16];
    const long r = read(fd, b, sizeof b);
    const int err = errno;
    report_call(n, side, "read", r, err, false);
    snprintf(value, sizeof value, "%s",
             r > 0           ? "ok"
             : r == 0        ? "EOF"
             : err == EAGAIN ? "ok"
                             : errno_name(err));
  } else if (c->probe == kWrite) {
    const long r = write_once(n, side, fd, 1, &sigpipe);
    const int err = errno;
    snprintf(value, sizeof value, "%s", r >= 0 || err == EAGAIN ? "ok" : errno_name(err));
  } else {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) fail_errno("SO_ERROR");
    printf(
        "{\"event\":\"call\",\"n\":%d,\"side\":\"%s\",\"call\":\"so_error\",\"ret\":0,\"value\":\"%"
        "s\"}\n",
        n, side, errno_name(err));
    snprintf(value, sizeof value, "%s", errno_name(err));
  }
  printf(
      "{\"event\":\"result\",\"n\":%d,\"receiver\":\"%s\",\"probe\":\"%s\",\"value\":\"%s\","
      "\"sigpipe\":%s,"
      "\"drained\":%ld,\"closed\":\"%s\"}\n",
      n, side, probe_name(c->probe), value, sigpipe ? "true" : "false", drained, closed);
}

static void play(int n) {
  struct Conn* c = &g_conns[n];
  g_current = n;
  const char* k = c->kase;
  if (!strcmp(k, "refused")) {
    // Nothing listens on port+1: the SYN is answered by RST|ACK.
    const int e = start_connect(&c->client, g_port + 1);
    report_call(n, "client", "connect", e ? -1 : 0, e, false);
    if (e == 0) fail("connect to a closed port succeeded");
    c->server = -1;
    print_conn(n);
    probe(n, "client", c->client, "server");
    close_side(&c->client);
    return;
  }
  if (c->client < 0) establish(n);
  print_conn(n);
  if (c->bulk > 0) transfer(c->client, c->server, c->bulk);

  if (!strcmp(k, "clean")) {
    transfer(c->client, c->server, 100);
    transfer(c->server, c->client, 100);
    // Both FINs are waited for where they arrive: a capture that sees a segment only on
    // arrival (lo) has it by the time the program goes on. shutdown, not close, so the
    // client's socket is still there to report the server's FIN.
    if (shutdown(c->client, SHUT_WR) < 0) fail_errno("shutdown");
    wait_for(c->server, POLLRDHUP, "the client's FIN");
    char b[8];
    const long r = read(c->server, b, sizeof b);
    report_call(n, "server", "read", r, errno, false);
    if (r != 0) fail("clean: the server read %ld, not EOF", r);
    close_side(&c->server);  // FIN
    wait_for(c->client, POLLRDHUP, "the server's FIN");
    close_side(&c->client);
    printf(
        "{\"event\":\"result\",\"n\":%d,\"receiver\":\"\",\"probe\":\"none\",\"value\":\"clean\","
        "\"sigpipe\":false,"
        "\"drained\":0,\"closed\":\"both\"}\n",
        n);
  } else if (!strcmp(k, "broken-pipe")) {
    // The server reads one byte and closes (FIN); the client writes again: the closed
    // socket answers RST, which lands in CLOSE_WAIT (EPIPE).
    write_once(n, "client", c->client, 1, NULL);
    wait_for(c->server, POLLIN, "the client's byte");
    char b;
    report_call(n, "server", "read", read(c->server, &b, 1), errno, false);
    close_side(&c->server);
    wait_for(c->client, POLLRDHUP, "the server's FIN");
    write_once(n, "client", c->client, 1, NULL);
    probe(n, "client", c->client, "server");
  } else if (!strcmp(k, "reset-by-peer")) {
    // The server closes with bytes unread: its kernel sends RST at once.
    write_once(n, "client", c->client, 5, NULL);
    wait_for(c->server, POLLIN, "the client's bytes");
    close_side(&c->server);
    probe(n, "client", c->client, "server");
  } else if (!strcmp(k, "linger-abort")) {
    // An exchange, then the client closes with SO_LINGER {1, 0}: RST instead of FIN.
    transfer(c->client, c->server, 10);
    set_linger_zero(c->client);
    close_side(&c->client);
    probe(n, "server", c->server, "client");
  } else if (!strcmp(k, "rst-after-fin")) {
    // The server half-closes (FIN), the client sees EOF, then the server aborts (RST).
    if (shutdown(c->server, SHUT_WR) < 0) fail_errno("shutdown");
    wait_for(c->client, POLLRDHUP, "the server's FIN");
    set_linger_zero(c->server);
    close_side(&c->server);
    probe(n, "client", c->client, "server");
  } else if (!strcmp(k, "abort-in-flight")) {
    // The client writes and aborts at once, with its data possibly not yet ACKed; the
    // server has not read it.
    write_once(n, "client", c->client, 65536, NULL);
    set_linger_zero(c->client);
    close_side(&c->client);
    probe(n, "server", c->server, "client");
  } else {
    fail("unknown case '%s'", k);
  }
  close_side(&c->client);
  close_side(&c->server);
  fflush(stdout);
}

// ---------------------------------------------------------------------------------

static void parse_plan(const char* plan) {
  char* copy = strdup(plan);
  for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
       item = strtok_r(NULL, ",", &save)) {
    if (g_count == kMaxConns) fail("more than %d connections in the plan", kMaxConns);
    struct Conn* c = &g_conns[g_count++];
    c->client = c->server = -1;
    c->bulk = g_bulk;
    char* at = strchr(item, '@');
    if (at) {
      *at = 0;
      c->bulk = atol(at + 1);
    }
    char* slash = strchr(item, '/');
    c->probe = kNone;
    if (slash) {
      *slash = 0;
      const char* p = slash + 1;
      c->probe = !strcmp(p, "read")       ? kRead
                 : !strcmp(p, "write")    ? kWrite
                 : !strcmp(p, "so_error") ? kSoError
                                          : kNone;
      if (c->probe == kNone) fail("unknown probe '%s'", p);
    }
    snprintf(c->kase, sizeof c->kase, "%s", item);
    if (strcmp(item, "clean") && c->probe == kNone)
      fail("case '%s' needs a probe (read, write or so_error)", item);
  }
  free(copy);
}

int main(int argc, char** argv) {
  const char* plan = NULL;
  bool after_handshake = false;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--after-handshake")) {
      after_handshake = true;
      continue;
    }
    if (!v) fail("%s needs a value", a);
    ++i;
    if (!strcmp(a, "--server"))
      g_server_addr = v;
    else if (!strcmp(a, "--client"))
      g_client_addr = v;
    else if (!strcmp(a, "--plan"))
      plan = v;
    else if (!strcmp(a, "--port"))
      g_port = atoi(v);
    else if (!strcmp(a, "--server-netns"))
      g_server_ns = atoi(v);
    else if (!strcmp(a, "--client-netns"))
      g_client_ns = atoi(v);
    else if (!strcmp(a, "--bulk"))
      g_bulk = atol(v);
    else
      fail("unknown option %s", a);
  }
  if (!g_server_addr || !g_client_addr || !plan)
    fail("usage: tcp_pair --server ADDR --client ADDR --plan CASE/PROBE,...");
  g_family = strchr(g_server_addr, ':') ? AF_INET6 : AF_INET;

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &set, NULL);

  parse_plan(plan);
  g_listener = listen_on(g_port);

  if (after_handshake) {
    // Every connection is set up first; the capture starts only after that.
    for (int n = 0; n < g_count; ++n) {
      g_current = n;
      if (!strcmp(g_conns[n].kase, "refused"))
        fail("a refused connection has no handshake to start after");
      establish(n);
    }
    printf("{\"event\":\"established\",\"count\":%d}\n", g_count);
    fflush(stdout);
    wait_for(0, POLLIN, "the go byte on standard input");
    char go;
    if (read(0, &go, 1) != 1) fail("standard input closed before the go byte");
  }
  for (int n = 0; n < g_count; ++n) play(n);
  close(g_listener);
  printf("{\"event\":\"done\"}\n");
  fflush(stdout);
  return 0;
}
