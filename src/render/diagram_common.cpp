// SPDX-License-Identifier: MIT
// What every diagram says about a packet, in the same words.
#include <optional>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/wire.h"

namespace rstlab {

std::string packet_label(const PacketEvent& p) {
  std::ostringstream s;
  s << tcp_flags_string(p.flags);
  const bool ack = p.flags & tcpflag::ACK;
  if (p.len > 0) s << " " << p.seq << ":" << (p.seq + p.len);
  else if (p.flags & (tcpflag::RST | tcpflag::SYN)) s << " seq " << p.seq;
  if (ack && !(p.flags & tcpflag::FIN && p.len == 0)) s << " ack " << p.ack;
  if (!p.checksum_ok) s << " (bad cksum)";
  return s.str();
}

namespace {

/// What one annotation says of its packet, or nothing when it decides nothing (the next
/// annotation of the same packet may).
std::optional<std::string> verdict_of(const Annotation& a) {
  auto contains = [](const std::string& s, const char* w) { return s.find(w) != std::string::npos; };
  if (a.kind == "challenge-ack") return "challenge ACK";
  if (a.kind == "dropped") return "dropped: bad checksum";
  if (a.kind != "rst") return std::nullopt;
  if (contains(a.text, "bad TCP checksum")) return "dropped: bad checksum";
  if (contains(a.text, "challenge ACK")) return "not exact: challenged";
  if (contains(a.text, "outside the receive window")) return "ignored: out of window";
  if (contains(a.text, "ignored")) return "ignored";
  if (contains(a.text, "crafted peer")) return "";
  const auto at = a.text.find("sk_err = ");
  if (contains(a.text, "accepted")) return at == std::string::npos ? "accepted" : "accepted: " + a.text.substr(at);
  return std::nullopt;
}

}  // namespace

std::string packet_verdict(const Trace& t, size_t event) {
  for (const auto& a : t.annotations)
    if (a.event == event)
      if (auto v = verdict_of(a)) return *v;
  return "";
}

namespace detail {

std::vector<std::string> packet_verdicts(const Trace& t) {
  // One pass over the annotations, in their order: an event's verdict is its first
  // annotation that decides one, as packet_verdict() finds it.
  std::vector<std::string> out(t.events.size());
  std::vector<bool> decided(t.events.size(), false);
  for (const auto& a : t.annotations) {
    if (a.event >= out.size() || decided[a.event]) continue;
    if (auto v = verdict_of(a)) {
      out[a.event] = std::move(*v);
      decided[a.event] = true;
    }
  }
  return out;
}

}  // namespace detail

}  // namespace rstlab
