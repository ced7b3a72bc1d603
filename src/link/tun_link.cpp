// SPDX-License-Identifier: MIT
#include <unistd.h>

#include <cerrno>

#include "link/links.h"
#include "rstlab/error.h"

namespace rstlab::detail {
namespace {

constexpr size_t kMaxPacket = 65536;
constexpr size_t kRelayBatch = 64;

class TunLink final : public PeerLink {
 public:
  explicit TunLink(Fd fd) : fd_(std::move(fd)) {}
  int fd() const override { return fd_.get(); }

  bool receive(std::vector<uint8_t>& pkt) override {
    pkt.resize(kMaxPacket);
    for (;;) {
      ssize_t n = ::read(fd_.get(), pkt.data(), pkt.size());
      if (n >= 0) {
        pkt.resize(static_cast<size_t>(n));
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return false;
      throw_errno("read from tun device");
    }
  }

  void send(const std::vector<uint8_t>& pkt) override {
    // One write is one packet; the kernel processes it before write() returns.
    if (::write(fd_.get(), pkt.data(), pkt.size()) < 0) throw_errno("write to tun device");
  }

 private:
  Fd fd_;
};

}  // namespace

std::unique_ptr<PeerLink> make_tun_link(Fd tun_fd) {
  return std::make_unique<TunLink>(std::move(tun_fd));
}

size_t TunRelay::pump(int from) {
  const int to = from == a_.get() ? b_.get() : a_.get();
  uint8_t buf[kMaxPacket];
  // A bounded batch: each packet written into a device is processed at once and may make
  // its kernel send more (ACKs release data), all captured on the near device. Returning
  // after a batch lets the runner's poll loop drain the recorder before the next one, so
  // the capture ring never has to hold more than a few batches.
  for (size_t count = 0; count < kRelayBatch;) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return count;
      throw_errno("read from tun relay");
    }
    if (::write(to, buf, static_cast<size_t>(n)) < 0) throw_errno("write to tun relay");
    ++count;
  }
  return kRelayBatch;
}

}  // namespace rstlab::detail
