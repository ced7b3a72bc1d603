// SPDX-License-Identifier: MIT
#pragma once
// Internal: a PeerLink decorator that holds every outgoing packet for a fixed delay,
// to model a slow path. The runner releases due packets from its poll loop; nothing
// sleeps.

#include <chrono>
#include <deque>

#include "rstlab/link.h"

namespace rstlab::detail {

class DelayLink final : public PeerLink {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DelayLink(PeerLink& inner) : inner_(inner) {}

  void set_delay(std::chrono::milliseconds d) { delay_ = d; }
  int fd() const override { return inner_.fd(); }
  bool receive(std::vector<uint8_t>& p) override { return inner_.receive(p); }
  void send(const std::vector<uint8_t>& p) override {
    if (delay_.count() == 0 && queue_.empty()) return inner_.send(p);
    queue_.push_back({Clock::now() + delay_, p});
  }
  /// Milliseconds until the next held packet is due (-1: none held).
  int next_due_ms() const {
    if (queue_.empty()) return -1;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(queue_.front().due - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count()) + 1;
  }
  /// Sends every packet whose time has come; returns how many.
  size_t release_due() {
    size_t n = 0;
    while (!queue_.empty() && queue_.front().due <= Clock::now()) {
      inner_.send(queue_.front().bytes);
      queue_.pop_front();
      ++n;
    }
    return n;
  }

 private:
  struct Held {
    Clock::time_point due;
    std::vector<uint8_t> bytes;
  };
  PeerLink& inner_;
  std::chrono::milliseconds delay_{0};
  std::deque<Held> queue_;
};

}  // namespace rstlab::detail
