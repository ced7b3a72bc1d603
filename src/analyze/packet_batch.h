// SPDX-License-Identifier: MIT
#pragma once
// Internal: packets decoded ahead of the connection table. analyze_file's reader thread
// turns what libpcap returns into DecodedPackets (the TCP fields, the flow key and its
// hash), a batch at a time; the analyzer thread takes whole batches. The two meet in a
// BatchPipe: a fixed ring of batches, so nothing is allocated once it runs.

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

#include "analyze/flow_table.h"
#include "rstlab/tcp_model.h"
#include "rstlab/wire.h"

namespace rstlab::detail {

/// The key's lower (`lower` true) or higher endpoint.
inline Endpoint key_endpoint(const FlowKey& key, bool lower) {
  Endpoint e;
  e.addr.family = (key.w[4] >> 32) & 1 ? Family::V6 : Family::V4;
  std::memcpy(e.addr.bytes.data(), &key.w[lower ? 0 : 2], 16);
  e.port = static_cast<uint16_t>(key.w[4] >> (lower ? 0 : 16));
  return e;
}

/// One captured packet, decoded to what the connection table needs (120 bytes: the
/// reader thread writes a million of these per second of work, the analyzer reads them).
struct DecodedPacket {
  // Everything the lookup needs, in the first cache line.
  FlowKey key;
  uint64_t hash = 0;
  uint64_t frame = 0;
  int64_t t_ns = 0;
  // The segment.
  SegmentFacts facts;
  uint32_t caplen = 0, wire_len = 0;
  uint32_t payload_captured = 0;  // payload bytes present (facts.len is the wire's)
  uint32_t raw_offset = 0;        // the packet's bytes in PacketBatch::raw, when kept
  DecodeStatus status = DecodeStatus::Ok;
  bool src_is_lower = true;       // the source is the key's first endpoint

  bool has(uint8_t flag) const { return (facts.flags & flag) != 0; }
  /// Sequence space the segment occupies (payload + SYN + FIN).
  uint32_t seq_len() const { return facts.len + (has(tcpflag::SYN) ? 1 : 0) + (has(tcpflag::FIN) ? 1 : 0); }
};

/// Decodes one packet: fields, key and hash (every checksum judged: good, offload-pending,
/// bad or unverifiable: SegmentFacts::checksum).
void decode_packet(int dlt, uint64_t frame, int64_t t_ns, const uint8_t* data, uint32_t caplen, uint32_t wire_len,
                   DecodedPacket& out);

struct PacketBatch {
  static constexpr size_t kCapacity = 1024;
  /// `count` of them filled. The records live in the BatchPipe's arena (see there), taken
  /// on the batch's first add() and constructed as they are first reached.
  DecodedPacket* packets = nullptr;
  size_t count = 0;
  bool keep_raw = false;               // copy each packet's bytes into `raw` (for --flow)
  uint32_t file = 0;                   // several files: the one these packets come from
  bool file_start = false;             // the first batch of that file (none spans two files)
  std::vector<uint8_t> raw;

  /// The next record to fill (count < kCapacity). A small capture touches a few records
  /// of one batch, not the whole ring.
  DecodedPacket& add() {
    if (count == constructed) {
      if (!packets) packets = static_cast<DecodedPacket*>(arena->take(sizeof(DecodedPacket) * kCapacity));
      new (&packets[constructed++]) DecodedPacket();
    }
    return packets[count++];
  }

  PoolArena* arena = nullptr;  // the pipe's
  size_t constructed = 0;      // records constructed so far (DecodedPacket is trivially destructible)
};
static_assert(std::is_trivially_destructible_v<DecodedPacket>, "batch records are never destroyed");

/// A ring of batches between one reader and one analyzer thread. The reader fills
/// `fill()`, hands it over with `publish()`; the analyzer takes `next()` and gives it
/// back with `release()`. `close()` ends the stream (from either side).
/// A side that has to wait sleeps on a condition variable, and a reader that found
/// the ring full is woken only once half of it is free again: one sleep and one wake
/// per few batches instead of one per batch (each costs a few microseconds, and more on
/// a virtual machine: a ring of 16, one wake per 8 batches, has about 270 context
/// switches on the 1 M-packet benchmark where a ring of 8 had 400 to 500).
class BatchPipe {
 public:
  explicit BatchPipe(size_t batches = 16) : ring_(batches) {
    for (PacketBatch& b : ring_) b.arena = &arena_;
  }
  BatchPipe(const BatchPipe&) = delete;
  BatchPipe& operator=(const BatchPipe&) = delete;

  /// The next batch to fill, or nullptr once closed.
  PacketBatch* fill() {
    std::unique_lock<std::mutex> lock(m_);
    if (filled_ == ring_.size() && !closed_) {
      reader_waiting_ = true;
      space_.wait(lock, [&] { return closed_ || filled_ <= ring_.size() / 2; });
      reader_waiting_ = false;
    }
    return closed_ ? nullptr : &ring_[(head_ + filled_) % ring_.size()];
  }
  void publish() {
    std::unique_lock<std::mutex> lock(m_);
    ++filled_;
    const bool wake = analyzer_waiting_;
    lock.unlock();
    if (wake) data_.notify_one();
  }
  /// The next filled batch, or nullptr at the end of the stream.
  PacketBatch* next() {
    std::unique_lock<std::mutex> lock(m_);
    if (filled_ == 0 && !closed_) {
      analyzer_waiting_ = true;
      data_.wait(lock, [&] { return filled_ > 0 || closed_; });
      analyzer_waiting_ = false;
    }
    return filled_ > 0 ? &ring_[head_] : nullptr;
  }
  void release() {
    std::unique_lock<std::mutex> lock(m_);
    head_ = (head_ + 1) % ring_.size();
    --filled_;
    const bool wake = reader_waiting_ && filled_ <= ring_.size() / 2;
    lock.unlock();
    if (wake) space_.notify_one();
  }
  void close() {
    {
      std::lock_guard<std::mutex> lock(m_);
      closed_ = true;
    }
    space_.notify_all();
    data_.notify_all();
  }

 private:
  /// The batches' records, taken by the reader thread only (add()). From an arena, not
  /// the reader's malloc: a thread's own malloc arena hands out 4 KiB pages, each a page
  /// fault on first touch (about 250 faults for a ring of 1 MB, dear on a virtual
  /// machine), where the arena's blocks after its first small one are huge pages.
  PoolArena arena_;
  std::vector<PacketBatch> ring_;
  std::mutex m_;
  std::condition_variable space_, data_;
  size_t head_ = 0, filled_ = 0;
  bool closed_ = false, reader_waiting_ = false, analyzer_waiting_ = false;
};

}  // namespace rstlab::detail
