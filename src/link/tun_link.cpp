// SPDX-License-Identifier: MIT
#include <unistd.h>

#include <cerrno>

#include "link/links.h"
#include "rstlab/error.h"

namespace rstlab::detail {
namespace {

constexpr size_t kMaxPacket = 65536;

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

void TunRelay::pump(int from) {
  const int to = from == a_.get() ? b_.get() : a_.get();
  uint8_t buf[kMaxPacket];
  for (;;) {
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      throw_errno("read from tun relay");
    }
    if (::write(to, buf, static_cast<size_t>(n)) < 0) throw_errno("write to tun relay");
  }
}

}  // namespace rstlab::detail
