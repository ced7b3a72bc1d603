// SPDX-License-Identifier: MIT
#pragma once
/// @file One interface for everything that hands out captured packets, one at a time:
/// a capture file (rstlab's own reader for classic pcap, libpcap for the rest), capture
/// bytes held in memory, and the live recorder (rstlab::Recorder, capture.h). The
/// analyzer's reader and a replayer take packets the same way from any of them.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace rstlab {

/// One packet as a source hands it out. `data` belongs to the source and stays valid
/// until its next call to next().
struct PacketView {
  int64_t t_ns = 0;      ///< capture time, nanoseconds since the epoch
  uint32_t caplen = 0;   ///< bytes present at `data`
  uint32_t wire_len = 0; ///< the packet's length on the wire
  const uint8_t* data = nullptr;
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  /// The packets' data-link type (a libpcap DLT_* value).
  virtual int link_type() const = 0;
  /// The next packet. False when there is none: for a live source, none waiting now;
  /// for a file, its end - then error() says whether it ended early.
  virtual bool next(PacketView& p) = 0;
  /// Why a file's packets ended before its end, in libpcap's words ("truncated dump
  /// file; ..."); "" after a clean end.
  virtual std::string error() const { return {}; }
  /// True if the file got shorter while it was read (truncated by another program): the
  /// packets ended where it now ends.
  virtual bool shrank() const { return false; }
};

/// A capture file ("-": standard input) as a packet source. Classic pcap files in this
/// host's byte order are read by rstlab's own reader (large reads into one reused
/// buffer, each packet handed out where it lies); pcapng, the other byte order, pipes
/// and anything unusual in a record (a truncated one, one longer than the snapshot
/// length) go through libpcap, so every file reads exactly as libpcap reads it. Throws
/// InputError naming the file when it cannot be opened or is not a capture.
std::unique_ptr<PacketSource> open_capture_file(const std::string& path);

/// The same over a capture file's bytes in memory (`data` must outlive the source);
/// `name` names it in errors.
std::unique_ptr<PacketSource> open_capture_memory(const uint8_t* data, size_t size, const std::string& name);

}  // namespace rstlab
