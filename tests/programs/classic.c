// SPDX-License-Identifier: MIT
// The classic reset stories as a user's program writes them, for `rstlab exec` tests:
// plain sockets, sleeps where users put them, errors printed with perror(). One process
// plays both ends over loopback (a thread or a child serves, the main thread dials).
//   classic broken-pipe       the server closes at once; the second write fails: "write: Broken pipe"
//                             (SIGPIPE ignored, as servers do)
//   classic sigpipe           the same with SIGPIPE at its default: the process is killed by it
//   classic reset-by-peer     the server closes with unread data (RST); the read fails:
//                             "read: Connection reset by peer"
//   classic epoll-sendmsg     the server waits with epoll, reads 1 byte, closes (RST);
//                             sendmsg(MSG_NOSIGNAL) fails: "sendmsg: ..."
//   classic lines             prints a line, waits, prints more: under `| head -n 1` the
//                             later writes meet a pipe without reader (EPIPE, SIGPIPE kills)
//   classic pingpong N        N one-byte round trips, no sleeps (bench/exec_overhead.sh: 4 calls each)
// Against the crafted peer (`rstlab exec --peer`), one end only, the other's address from
// argv[2] or RSTLAB_SERVER (ADDR:PORT, IPv4):
//   classic peer-client [ADDR:PORT]   dials; writes "a", reads to EOF (the peer's close),
//                             writes "b" (answered by RST), then "c": "write: Broken pipe"
//   classic peer-server [ADDR:PORT]   listens there, accepts, reads what came, reads again:
//                             after the peer's RST, "read: Connection reset by peer"
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener;
static const char* mode;

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void* serve(void* arg) {
  (void)arg;
  int c = accept(listener, NULL, NULL);
  if (c < 0) die("accept");
  if (strcmp(mode, "pingpong") == 0) {
    char b;
    while (read(c, &b, 1) == 1)
      if (write(c, &b, 1) != 1) die("server write");
  } else if (strcmp(mode, "reset-by-peer") == 0) {
    char b;
    if (read(c, &b, 1) != 1) die("server read");  // "hello" has 4 more bytes: unread at close
  } else if (strcmp(mode, "epoll-sendmsg") == 0) {
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0) die("epoll");
    if (epoll_wait(ep, &ev, 1, 2000) != 1) die("epoll_wait");
    char b;
    if (read(c, &b, 1) != 1) die("server read");
    close(ep);
  }
  close(c);
  return NULL;
}

/// One end against the crafted peer at (or listening on) `where` ("192.0.2.2:8080").
static int against_peer(int server, const char* where) {
  if (!where) {
    fprintf(stderr, "give ADDR:PORT (argv[2] or RSTLAB_SERVER)\n");
    return 2;
  }
  char host[64];
  snprintf(host, sizeof host, "%s", where);
  char* colon = strrchr(host, ':');
  if (!colon) {
    fprintf(stderr, "%s: not ADDR:PORT\n", where);
    return 2;
  }
  *colon = '\0';
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(colon + 1))};
  if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
    fprintf(stderr, "%s: not an IPv4 address\n", host);
    return 2;
  }
  char b[64];
  if (server) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr*)&a, sizeof a) < 0 || listen(l, 8) < 0) die("listen");
    int c = accept(l, NULL, NULL);
    if (c < 0) die("accept");
    for (;;) {  // what the peer sent, then its RST
      ssize_t n = read(c, b, sizeof b);
      if (n < 0) die("read");
      if (n == 0) return 0;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr*)&a, sizeof a) < 0) die("connect");
  if (write(s, "a", 1) < 0) die("write");
  while (read(s, b, sizeof b) > 0) {  // to EOF: the peer has closed
  }
  if (write(s, "b", 1) < 0) die("write");  // accepted; the closed peer answers RST
  nap_ms(20);
  if (write(s, "c", 1) < 0) die("write");
  return 0;
}

int main(int argc, char** argv) {
  mode = argc > 1 ? argv[1] : "broken-pipe";
  if (strcmp(mode, "peer-client") == 0 || strcmp(mode, "peer-server") == 0)
    return against_peer(mode[5] == 's', argc > 2 ? argv[2] : getenv("RSTLAB_SERVER"));
  if (strcmp(mode, "broken-pipe") == 0 || strcmp(mode, "epoll-sendmsg") == 0) signal(SIGPIPE, SIG_IGN);
  listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(listener, (struct sockaddr*)&a, sizeof a) < 0 || listen(listener, 8) < 0) die("listen");
  pthread_t t;
  pthread_create(&t, NULL, serve, NULL);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(s, (struct sockaddr*)&a, sizeof a) < 0) die("connect");
  if (strcmp(mode, "pingpong") == 0) {
    const long n = argc > 2 ? atol(argv[2]) : 1000;
    for (long i = 0; i < n; ++i) {
      char b = 'x';
      if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1) die("pingpong");
    }
    close(s);
    pthread_join(t, NULL);
    return 0;
  }
  if (strcmp(mode, "lines") == 0) {
    pthread_join(t, NULL);
    for (int i = 1; i <= 5; ++i) {
      char line[32];
      int n = snprintf(line, sizeof line, "line %d\n", i);
      if (write(1, line, (size_t)n) < 0) die("write stdout");
      nap_ms(50);  // head has its line by now, and has gone
    }
    return 0;
  }
  if (strcmp(mode, "reset-by-peer") == 0) {
    if (write(s, "hello", 5) < 0) die("write");
    pthread_join(t, NULL);
    nap_ms(20);
    char b[16];
    if (read(s, b, sizeof b) < 0) die("read");
    return 0;
  }
  if (strcmp(mode, "epoll-sendmsg") == 0) {
    for (int i = 0; i < 3; ++i) {
      struct iovec iov = {.iov_base = "hello", .iov_len = 5};
      struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
      if (sendmsg(s, &m, MSG_NOSIGNAL) < 0) die("sendmsg");
      if (i == 0) pthread_join(t, NULL);
      nap_ms(20);
    }
    return 0;
  }
  // broken-pipe, sigpipe: the server has closed; each write is answered by an RST.
  pthread_join(t, NULL);
  nap_ms(20);
  for (int i = 0; i < 3; ++i) {
    if (write(s, "hello", 5) < 0) die("write");
    nap_ms(20);
  }
  return 0;
}
