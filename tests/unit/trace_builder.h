// SPDX-License-Identifier: MIT
// Hand-built traces for the unit tests of the annotator and the oracles: packets with
// absolute sequence numbers and calls, each 10 us after the one before unless a time is
// given. One builder, so every test's trace is put together the same way.
#pragma once

#include <cstdint>
#include <string>

#include "rstlab/trace.h"

namespace rstlab::testkit {

/// The client's and the server's initial sequence numbers in every hand-built trace.
constexpr uint32_t kClientIsn = 1000, kServerIsn = 5000;

class TraceBuilder {
 public:
  /// A trace of scenario "t" between 192.0.2.1:40001 (a kernel) and 192.0.2.2:8080
  /// (`server_kind`: "kernel" or "peer").
  TraceBuilder(const std::string& link, const std::string& server_kind) {
    t_.scenario = "t";
    t_.link = link;
    t_.client = {"kernel", Endpoint::parse("192.0.2.1:40001"), "default"};
    t_.server = {server_kind, Endpoint::parse("192.0.2.2:8080"), server_kind == "kernel" ? "default" : ""};
  }

  /// A segment with absolute numbers, at `t_us` microseconds (the next step when negative).
  size_t pkt(Dir d, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len = 0, int64_t t_us = -1) {
    PacketEvent p;
    p.frame = ++frames_;
    p.dir = d;
    p.flags = flags;
    p.seq_abs = seq;
    p.ack_abs = ack;
    p.len = len;
    p.window = 65535;
    return add(p, t_us < 0 ? next_t() : t_us * 1000);
  }

  /// A call, at `t_ns` (the next step when negative); its start is 1 ns before unless set.
  size_t add_call(SyscallEvent s, int64_t t_ns = -1) {
    const int64_t at = t_ns < 0 ? next_t() : t_ns;
    if (s.t_start_ns == 0) s.t_start_ns = at - 1;
    return add(std::move(s), at);
  }

  Trace& trace() { return t_; }
  const Trace& trace() const { return t_; }

 protected:
  template <typename Body>
  size_t add(Body body, int64_t t_ns) {
    Event e;
    e.t_ns = t_ns;
    e.body = std::move(body);
    t_.events.push_back(std::move(e));
    return t_.events.size() - 1;
  }
  int64_t next_t() { return now_ += 10000; }

  Trace t_;

 private:
  uint64_t frames_ = 0;
  int64_t now_ = 0;
};

}  // namespace rstlab::testkit
