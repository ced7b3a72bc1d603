// SPDX-License-Identifier: MIT
// What every diagram says about a packet, in the same words.
#include <sstream>

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

std::string packet_verdict(const Trace& t, size_t event) {
  auto contains = [](const std::string& s, const char* w) { return s.find(w) != std::string::npos; };
  for (const auto& a : t.annotations) {
    if (a.event != event) continue;
    if (a.kind == "challenge-ack") return "challenge ACK";
    if (a.kind == "dropped") return "dropped: bad checksum";
    if (a.kind != "rst") continue;
    if (contains(a.text, "bad TCP checksum")) return "dropped: bad checksum";
    if (contains(a.text, "challenge ACK")) return "not exact: challenged";
    if (contains(a.text, "outside the receive window")) return "ignored: out of window";
    if (contains(a.text, "ignored")) return "ignored";
    if (contains(a.text, "crafted peer")) return "";
    const auto at = a.text.find("sk_err = ");
    if (contains(a.text, "accepted")) {
      return at == std::string::npos ? "accepted" : "accepted: " + a.text.substr(at);
    }
  }
  return "";
}

}  // namespace rstlab
