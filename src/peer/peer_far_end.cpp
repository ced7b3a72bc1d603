// SPDX-License-Identifier: MIT
// The crafted peer as a far end: the peer's verbs of a scenario turned into Peer calls,
// each with its line in the trace, waiting through the runner's loop (FarEndHost).
#include <memory>
#include <optional>

#include "link/delay_link.h"
#include "rstlab/far_end.h"
#include "rstlab/peer.h"
#include "rstlab/printable.h"
#include "util/clock.h"

namespace rstlab {
namespace {

int64_t now_ns() { return detail::wall_clock_ns(); }

class CraftedPeer final : public FarEnd {
 public:
  CraftedPeer(Role role, PeerLink& link, const Endpoint& self, const Endpoint& kernel, const PeerOffer& offer)
      : role_(role), link_(link), delay_link_(link), peer_(delay_link_, self, offer), kernel_(kernel) {
    peer_.on_auto_action = [this](const std::string& what) {
      if (on_action) on_action("auto", what);
    };
    if (role == Role::Server) peer_.listen(kernel);
  }

  Role role() const override { return role_; }
  const char* kind() const override { return "peer"; }

  std::vector<int> fds() const override { return {link_.fd()}; }
  bool on_readable(int) override { return peer_.service() > 0; }
  int next_due_ms() const override { return delay_link_.next_due_ms(); }
  bool release_due() override { return delay_link_.release_due() > 0; }

  uint64_t received_from(const Endpoint& src) const override { return peer_.received_from(src); }

  bool takes(const Step& step) const override {
    switch (step.op) {
      case StepOp::PeerConnect:
      case StepOp::PeerRecv:
      case StepOp::PeerSend:
      case StepOp::PeerFin:
      case StepOp::PeerClose:
      case StepOp::PeerRst:
      case StepOp::PeerAck:
      case StepOp::PeerExpect:
      case StepOp::PeerExpectNone:
      case StepOp::PeerAutoAck:
      case StepOp::PeerClosedSocket:
      case StepOp::PeerAnswerSyn:
      case StepOp::PeerDelay: return step.actor == role_;
      case StepOp::Call:
      case StepOp::Wait:
      case StepOp::MiddleRst:
      case StepOp::MiddleFin:
      case StepOp::Note: return false;
    }
    return false;
  }

  void run_step(const Step& step, FarEndHost& host) override {
    Peer& p = peer_;
    const int64_t t = now_ns();
    const size_t mark = p.received().size();
    auto action = [&](const std::string& what, const std::string& detail, int64_t at) {
      host.add_step_action(step, what, detail, at);
    };
    switch (step.op) {
      case StepOp::PeerConnect: {
        action("connect", p.connect(kernel_), t);
        if (step.flag) {
          if (!host.wait_until([&] { return p.established(); }, host.step_timeout()))
            host.fail(step, "the handshake did not complete");
          break;
        }
        // `connect refused`: the answer must be the RST|ACK acknowledging the SYN, the
        // one a kernel with no listener sends; the step ends the moment it arrives.
        const PeerSegment* answer = nullptr;
        auto answered = [&] {
          for (size_t k = mark; k < p.received().size() && !answer; ++k)
            if (p.received()[k].tcp.has(tcpflag::RST) || p.received()[k].tcp.has(tcpflag::SYN))
              answer = &p.received()[k];
          return answer != nullptr;
        };
        const bool came = host.wait_until(answered, host.step_timeout());
        const bool refused = came && answer->tcp.has(tcpflag::RST) && answer->tcp.has(tcpflag::ACK) &&
                             answer->tcp.ack == p.iss() + 1;
        host.add_step_action(step, "connect",
                             !came ? "nothing answered the SYN"
                                   : "the SYN was answered with " + tcp_flags_string(answer->tcp.flags) +
                                         (refused ? ": refused" : ""),
                             now_ns(), refused);
        if (!refused)
          host.fail(step, !came ? "expected the SYN to be refused (RST|ACK) within " +
                                      std::to_string(host.step_timeout().count()) + " ms; nothing answered it"
                                : "expected the SYN to be refused (RST|ACK acknowledging it); a " +
                                      tcp_flags_string(answer->tcp.flags) + " arrived");
        break;
      }
      case StepOp::PeerRecv: {
        const size_t want = static_cast<size_t>(step.count);
        if (!host.wait_until([&] { return p.readable() >= want; }, host.step_timeout()))
          host.fail(step, "only " + std::to_string(p.readable()) + " of " + std::to_string(want) + " bytes arrived");
        const std::string got = p.read(want);
        action("recv", std::to_string(got.size()) + " byte" + (got.size() == 1 ? "" : "s") + ": \"" +
                           printable(got) + "\"",
               now_ns());
        break;
      }
      case StepOp::PeerSend:
        // `send N bytes`: filler of that length (a replay's payload cut by the snap length).
        action("send", p.send_data(step.data.empty() ? std::string(static_cast<size_t>(step.count), 'x') : step.data), t);
        break;
      case StepOp::PeerFin: action("fin", p.send_fin(), t); break;
      case StepOp::PeerClose: action("close", p.close(), t); break;
      case StepOp::PeerRst: action("rst", p.send_rst(step.seq, step.with_ack, step.bad_checksum), t); break;
      case StepOp::PeerAck: action("ack", p.send_ack(), t); break;
      case StepOp::PeerAutoAck:
        p.set_auto_ack(step.flag);
        action("autoack", step.flag ? "on: received data is ACKed" : "off: no more ACKs", t);
        break;
      case StepOp::PeerClosedSocket:
        p.set_closed_socket_rst(step.flag);
        action("closed-rst", step.flag ? "on" : "off", t);
        break;
      case StepOp::PeerAnswerSyn:
        p.set_answer_syn(step.flag);
        action("synack", step.flag ? "on: SYNs get a SYN-ACK" : "off: SYNs are left unanswered", t);
        break;
      case StepOp::PeerDelay:
        delay_link_.set_delay(std::chrono::milliseconds(step.count));
        action("delay", "every segment the peer sends now takes " + std::to_string(step.count) + " ms", t);
        break;
      case StepOp::PeerExpect: {
        const std::string want = step.data;
        std::string seq_note;
        auto found = [&] {
          for (size_t k = expect_from_; k < p.received().size(); ++k)
            if (tcp_flags_string(p.received()[k].tcp.flags) == want) {
              if (step.match_seq && !seq_matches(*step.match_seq, p.received()[k], seq_note)) continue;
              expect_from_ = k + 1;
              return true;
            }
          return false;
        };
        const bool ok = host.wait_until(found, host.step_timeout());
        host.add_step_action(step, "expect", "segment " + want + (ok ? " received" : " never came"), now_ns(), ok);
        if (!ok) {
          // Expected against actual, as packetdrill says it: what did arrive instead.
          std::string got;
          for (size_t k = expect_from_; k < p.received().size(); ++k)
            got += (got.empty() ? "" : " ") + tcp_flags_string(p.received()[k].tcp.flags);
          host.fail(step, "expected a segment with flags " + want +
                              (step.match_seq ? " and seq=" + step.match_seq->str() : "") + " within " +
                              std::to_string(host.step_timeout().count()) + " ms; " +
                              (got.empty() ? "nothing arrived" : "what arrived: " + got) + seq_note);
        }
        return;  // expect does not move the window of segments it searches
      }
      case StepOp::PeerExpectNone: {
        // The deadline is the point: the network runs that long, and the first segment
        // that matches (any, or one carrying every flag asked) fails the step at once.
        const std::string flags = step.data;
        std::string seen;
        auto arrived = [&] {
          for (size_t k = expect_from_; k < p.received().size(); ++k)
            if (has_flags(p.received()[k].tcp.flags, flags)) {
              seen = tcp_flags_string(p.received()[k].tcp.flags);
              return true;
            }
          return false;
        };
        const bool bad = host.wait_until(arrived, std::chrono::milliseconds(step.count));
        const std::string what = flags.empty() ? "no segment" : "no segment with flags " + flags;
        host.add_step_action(step, "expect",
                             what + " within " + std::to_string(step.count) + " ms: " +
                                 (bad ? "a " + seen + " arrived" : "none came"),
                             now_ns(), !bad);
        if (bad)
          host.fail(step, "expected " + what + " within " + std::to_string(step.count) + " ms; a " + seen +
                              " arrived");
        return;
      }
      case StepOp::Call:
      case StepOp::Wait:
      case StepOp::MiddleRst:
      case StepOp::MiddleFin:
      case StepOp::Note: return host.fail(step, "not a step of the crafted peer");
    }
    expect_from_ = mark;
    host.settle();
  }

  /// Whether a segment's flags include every flag of `want` ("R", "F.": '.' is ACK).
  static bool has_flags(uint8_t flags, const std::string& want) {
    const std::string have = tcp_flags_string(flags);
    for (char f : want)
      if (have.find(f) == std::string::npos) return false;
    return true;
  }

  /// `expect R seq=abs:N` / `seq=N`: the kernel's segment carries that sequence number
  /// (absolute, or relative to the kernel's ISN, from its SYN). `note` says what it had.
  bool seq_matches(const SeqPolicy& want, const PeerSegment& got, std::string& note) const {
    uint32_t expected = static_cast<uint32_t>(want.value);
    if (want.kind == SeqPolicy::Kind::Explicit) {
      std::optional<uint32_t> isn;
      for (const PeerSegment& r : peer_.received())
        if (r.tcp.flags & tcpflag::SYN) isn = r.tcp.seq;
      if (!isn) {
        note = "; no SYN from the kernel seen, so seq=N (relative) cannot be checked";
        return false;
      }
      expected += *isn;
    }
    if (got.tcp.seq == expected) return true;
    note = "; a " + tcp_flags_string(got.tcp.flags) + " arrived with seq " + std::to_string(got.tcp.seq) +
           " (absolute), not " + std::to_string(expected);
    return false;
  }

 private:
  Role role_;
  PeerLink& link_;
  detail::DelayLink delay_link_;  // every segment the peer sends goes through it (`delay`)
  Peer peer_;
  Endpoint kernel_;
  size_t expect_from_ = 0;  // PeerExpect searches the segments received from here on
};

}  // namespace

std::unique_ptr<FarEnd> make_crafted_peer(Role role, PeerLink& link, const Endpoint& self, const Endpoint& kernel,
                                          const PeerOffer& offer) {
  return std::make_unique<CraftedPeer>(role, link, self, kernel, offer);
}

}  // namespace rstlab
