// SPDX-License-Identifier: MIT
// The middle actor: learns the connection from the capture, aims its RSTs and FINs at
// each end's rcv_nxt, and finds its own packets again in the capture afterwards.
#include "rstlab/middle.h"

#include <cstring>

#include "rstlab/error.h"
#include "rstlab/segment.h"
#include "rstlab/seq.h"

namespace rstlab {
namespace {

const char* kSide[2] = {"client", "server"};
constexpr uint32_t kOutOfWindow = 1u << 30;  // the same distance as the crafted peer's

/// Where the IP header starts in a captured frame of this link type.
size_t ip_offset(int link_type) { return link_type == linktype::ETHERNET ? 14 : 0; }

}  // namespace

Middle::Middle(Endpoint client, Endpoint server, Inject inject)
    : ep_{std::move(client), std::move(server)}, send_(std::move(inject)) {}

void Middle::learn(int link_type, const std::vector<CapturedPacket>& packets) {
  view_[0] = view_[1] = MiddleView{};
  for (const auto& p : packets) {
    TcpSegment s;
    if (decode_tcp(link_type, p.data.data(), p.data.size(), s, false) != DecodeStatus::Ok) continue;
    int from;
    if (s.src == ep_[0] && s.dst == ep_[1]) from = 0;
    else if (s.src == ep_[1] && s.dst == ep_[0]) from = 1;
    else continue;
    // Its own injected segments teach it nothing: the end it impersonated never sent them.
    if (s.has(tcpflag::RST)) continue;
    if (injected(link_type, p)) continue;
    MiddleView& v = view_[from];
    if (s.has(tcpflag::SYN)) v.isn = s.seq;
    const uint32_t end = s.seq + s.seq_len();
    if (!v.seen || seq::gt(end, v.snd_nxt)) v.snd_nxt = end;
    if (s.has(tcpflag::ACK) && (!v.acked || seq::gt(s.ack, *v.acked))) v.acked = s.ack;
    v.window = s.window;
    v.seen = true;
  }
}

bool Middle::injected(int link_type, const CapturedPacket& p) const {
  const size_t at = ip_offset(link_type);
  for (const auto& b : injected_)
    if (p.data.size() >= at + b.size() && std::memcmp(p.data.data() + at, b.data(), b.size()) == 0) return true;
  return false;
}

std::optional<uint32_t> Middle::rcv_nxt(int to) const {
  // In a lab nothing is lost: every byte the other end sent has reached `to` (or is
  // queued on the path ahead of anything injected now). Its own ACK can only be ahead
  // of that for a FIN the middle has not seen yet; the larger of the two is exact.
  const MiddleView& other = view_[1 - to];
  const MiddleView& self = view_[to];
  std::optional<uint32_t> r;
  if (other.seen) r = other.snd_nxt;
  if (self.acked && (!r || seq::gt(*self.acked, *r))) r = self.acked;
  return r;
}

std::string Middle::inject(bool fin, MiddleTarget target, const SeqPolicy& policy, bool with_ack) {
  std::string out;
  // Toward the server first. The recorder listens at the client's end of the link: a
  // segment toward the server is captured as it leaves, one toward the client after it
  // has crossed the link (over tun, the userspace relay), so this order is the capture's
  // order on both links.
  if (target != MiddleTarget::Client) out = inject_one(fin, 1, policy, with_ack);
  if (target != MiddleTarget::Server) out += (out.empty() ? "" : "; ") + inject_one(fin, 0, policy, with_ack);
  return out;
}

std::string Middle::inject_one(bool fin, int to, const SeqPolicy& policy, bool with_ack) {
  const int as = 1 - to;  // the end it pretends to be
  const auto rcv = rcv_nxt(to);
  if (!rcv)
    throw Error(std::string("the middle has seen no segment toward the ") + kSide[to] +
                " yet: it cannot aim (inject after the handshake)");
  SegmentSpec s;
  s.src = ep_[as];
  s.dst = ep_[to];
  switch (policy.kind) {
    case SeqPolicy::Kind::Exact: s.seq = *rcv; break;
    case SeqPolicy::Kind::Offset: s.seq = *rcv + static_cast<uint32_t>(policy.value); break;
    case SeqPolicy::Kind::OutOfWindow: s.seq = *rcv + kOutOfWindow; break;
    case SeqPolicy::Kind::Explicit:
      if (!view_[as].isn)
        throw Error(std::string("seq=N counts from the ") + kSide[as] + "'s SYN, which the middle has not seen");
      s.seq = *view_[as].isn + static_cast<uint32_t>(policy.value);
      break;
    case SeqPolicy::Kind::Absolute: s.seq = static_cast<uint32_t>(policy.value); break;
  }
  // What the impersonated end would acknowledge: everything the receiver has sent.
  std::optional<uint32_t> ack;
  if (view_[to].seen) ack = view_[to].snd_nxt;
  if (view_[as].acked && (!ack || seq::gt(*view_[as].acked, *ack))) ack = view_[as].acked;
  const bool carries_ack = (fin || with_ack) && ack;
  s.flags = static_cast<uint8_t>((fin ? tcpflag::FIN : tcpflag::RST) | (carries_ack ? tcpflag::ACK : 0));
  s.ack = carries_ack ? *ack : 0;
  s.window = fin ? view_[as].window : 0;
  s.ip_id = ip_id_++;
  std::vector<uint8_t> bytes = build_segment(s);
  send_(as == 0, bytes);
  injected_.push_back(std::move(bytes));

  std::string d = tcp_flags_string(s.flags) + " to the " + kSide[to] + " as if from the " + kSide[as] + ", seq=" +
                  policy.str();
  if (view_[as].isn) d += " (" + std::to_string(s.seq - *view_[as].isn) + ")";
  if (carries_ack && view_[to].isn) d += " ack " + std::to_string(s.ack - *view_[to].isn);
  return d;
}

void Middle::mark_injected(Trace& trace, int link_type, const std::vector<CapturedPacket>& packets) const {
  const size_t at = ip_offset(link_type);
  for (const auto& b : injected_) {
    for (size_t i = 0; i < packets.size(); ++i) {
      const auto& d = packets[i].data;
      if (d.size() < at + b.size() || std::memcmp(d.data() + at, b.data(), b.size()) != 0) continue;
      bool marked = false;
      for (Event& e : trace.events)
        if (auto* p = std::get_if<PacketEvent>(&e.body); p && p->frame == i + 1 && p->injected_by.empty()) {
          p->injected_by = "middle";
          marked = true;
          break;
        }
      if (marked) break;  // each injected packet is one frame
    }
  }
}

}  // namespace rstlab
