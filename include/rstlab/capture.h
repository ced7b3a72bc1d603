// SPDX-License-Identifier: MIT
#pragma once
/// @file The recorder: a libpcap live capture on the lab link, the run's independent
/// witness, one of the packet sources (packet_source.h); and writing its packets to a
/// pcap file.

#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <vector>

#include "rstlab/packet_source.h"

namespace rstlab {

/// One captured frame, time-stamped by the kernel (CLOCK_REALTIME, nanoseconds).
struct CapturedPacket {
  uint64_t frame = 0;  ///< its number in the file it came from (0: its position here)
  int64_t t_ns = 0;
  uint32_t wire_len = 0;
  std::vector<uint8_t> data;
};

/// A live capture in the calling thread's current namespace. Immediate mode (no
/// buffering delay), nanosecond timestamps, TCP only (ARP/ND can never matter here).
/// As a PacketSource, next() hands out the packets waiting in the ring without waiting.
class Recorder : public PacketSource {
 public:
  explicit Recorder(const std::string& iface);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Readable when packets wait in the ring.
  int fd() const;
  /// The next packet waiting in the ring (false: none now). Throws Error when the
  /// capture fails.
  bool next(PacketView& p) override;
  /// Moves every waiting packet into packets(); returns how many were taken.
  size_t drain();
  const std::vector<CapturedPacket>& packets() const { return packets_; }
  /// Forgets the packets taken so far (to reuse the capture for another run).
  void clear() { packets_.clear(); }
  int link_type() const override;
  /// pcap_stats: packets dropped by the capture buffer and by the interface.
  void stats(uint64_t& dropped, uint64_t& if_dropped) const;

 private:
  pcap_t* pcap_ = nullptr;
  std::vector<CapturedPacket> packets_;
};

/// Writes packets as a classic pcap file with nanosecond timestamps. The file is
/// written under a temporary name and renamed into place: never half-written.
void write_pcap(const std::string& path, int link_type, const std::vector<CapturedPacket>& packets);

/// Writes packets as pcapng (nanosecond timestamps). `comments[i]`, when not empty,
/// becomes packet i's opt_comment, which Wireshark shows next to the packet and tshark
/// prints as frame.comment. Written under a temporary name and renamed into place.
void write_pcapng(const std::string& path, int link_type, const std::vector<CapturedPacket>& packets,
                  const std::vector<std::string>& comments);

/// Reads a whole pcap or pcapng file (small files: tests, reference captures).
/// Throws InputError naming the file when it cannot be read.
std::vector<CapturedPacket> read_capture(const std::string& path, int& link_type);

}  // namespace rstlab
