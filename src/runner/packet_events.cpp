// SPDX-License-Identifier: MIT
#include <optional>

#include "rstlab/packet_events.h"
#include "rstlab/wire.h"

namespace rstlab {

std::vector<CapturedPacket> connection_packets(const Trace& trace, int link_type,
                                               const std::vector<CapturedPacket>& packets,
                                               uint64_t& foreign) {
  const Endpoint& c = trace.client.endpoint;
  const Endpoint& s = trace.server.endpoint;
  std::vector<CapturedPacket> out;
  for (const auto& p : packets) {
    TcpSegment t;
    if (decode_tcp(link_type, p.data.data(), p.data.size(), t) == DecodeStatus::Ok &&
        !((t.src == c && t.dst == s) || (t.src == s && t.dst == c))) {
      ++foreign;
      continue;
    }
    out.push_back(p);
  }
  return out;
}

void add_packet_events(Trace& trace, int link_type, const std::vector<CapturedPacket>& packets) {
  const Endpoint& client = trace.client.endpoint;
  const Endpoint& server = trace.server.endpoint;
  // Each side's ISN: its SYN's seq, or the first seq it sent when no SYN was captured.
  std::optional<uint32_t> isn[2];
  std::vector<std::pair<size_t, TcpSegment>> segs;
  for (size_t i = 0; i < packets.size(); ++i) {
    TcpSegment s;
    const auto& p = packets[i];
    if (decode_tcp(link_type, p.data.data(), p.data.size(), s) != DecodeStatus::Ok) {
      ++trace.capture.undecoded;
      continue;
    }
    int side;
    if (s.src == client && s.dst == server) side = 0;
    else if (s.src == server && s.dst == client) side = 1;
    else {
      ++trace.capture.undecoded;
      continue;
    }
    if (s.has(tcpflag::SYN) && !isn[side]) isn[side] = s.seq;
    segs.emplace_back(i, s);
  }
  for (auto& [i, s] : segs) {
    const int side = s.src == client ? 0 : 1;
    if (!isn[side]) isn[side] = s.seq;
  }
  for (const auto& [i, s] : segs) {
    const int side = s.src == client ? 0 : 1;
    PacketEvent e;
    e.frame = packets[i].frame ? packets[i].frame : i + 1;
    e.dir = side == 0 ? Dir::ClientToServer : Dir::ServerToClient;
    e.flags = s.flags;
    e.seq_abs = s.seq;
    e.ack_abs = s.ack;
    e.seq = s.seq - *isn[side];
    // An ack is only meaningful with the ACK bit; tcpdump prints none otherwise.
    e.ack = s.has(tcpflag::ACK) && isn[1 - side] ? s.ack - *isn[1 - side] : 0;
    e.len = s.payload_len;
    e.window = s.window;
    e.checksum_ok = s.checksum != TcpSegment::Checksum::Bad;
    e.wscale = s.wscale;
    e.payload.assign(reinterpret_cast<const char*>(s.payload),
                     s.payload_captured < 64 ? s.payload_captured : 64);
    Event ev;
    ev.t_ns = packets[i].t_ns;
    ev.body = std::move(e);
    trace.events.push_back(std::move(ev));
  }
  trace.capture.packets = packets.size();
}

}  // namespace rstlab
