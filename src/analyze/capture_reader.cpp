// SPDX-License-Identifier: MIT
// Capture files as packet sources (rstlab/packet_source.h).
//
// Why rstlab reads classic pcap itself: libpcap hands out a packet with two fread calls
// (the record header, then the bytes, copied from stdio's buffer into its own), and
// stdio refills its buffer by copying the file again. Per packet that was more than half
// of the reader thread's instructions. Served from a memory map instead, the copies went
// but each page of the file cost a page fault, and on a virtual machine whose page
// faults are expensive (the 2026-11-29 host: about 20 us per 4 KiB page, mostly charged
// as user time to the faulting process) mapping a file cost more than copying it.
// This reader does neither: it reads the file with pread() in large pieces into one
// reused buffer (no page is ever mapped, and the buffer stays in the CPU's cache) and
// hands each packet out where it lies in that buffer.
//
// It reads only what it is sure to read as libpcap does: a classic pcap file in this
// host's byte order, version 2.4, whose header libpcap itself has accepted (the link
// type and the snapshot length are libpcap's), and records whose captured length is
// within the snapshot length and libpcap's maximum. At anything else - a record cut
// short at the end of the file, a captured length libpcap would refuse or cut, a read
// error - it hands the rest of the file to libpcap, positioned at that record, so that
// every file reads exactly as libpcap reads it: the same packets, the same errors, the
// same words.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "analyze/mapped_stream.h"
#include "rstlab/error.h"
#include "rstlab/packet_source.h"

namespace rstlab {
namespace {

/// libpcap over a stdio stream: every format libpcap reads. The stream is a
/// MappedStream for a file, fmemopen for bytes in memory, stdin for "-".
class LibpcapSource final : public PacketSource {
 public:
  /// `path`: a file (through a MappedStream, read up to `limit` bytes) or "-".
  explicit LibpcapSource(const std::string& path, size_t limit = SIZE_MAX) {
    char err[PCAP_ERRBUF_SIZE] = {};
    if (path == "-") {  // libpcap's name for standard input
      p_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
    } else {
      stream_.emplace(path, limit);
      p_ = pcap_fopen_offline_with_tstamp_precision(stream_->file(), PCAP_TSTAMP_PRECISION_NANO, err);
      if (p_) stream_->take();
    }
    if (!p_) throw InputError(path + ": " + err);
  }
  LibpcapSource(const uint8_t* data, size_t size, const std::string& name) {
    std::FILE* f = ::fmemopen(const_cast<uint8_t*>(data), size, "rb");
    if (!f) throw InputError(name + ": cannot open the bytes as a file");
    char err[PCAP_ERRBUF_SIZE] = {};
    p_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    if (!p_) {
      std::fclose(f);
      throw InputError(name + ": " + err);
    }
  }
  ~LibpcapSource() override { pcap_close(p_); }  // before stream_ goes: it reads from it
  LibpcapSource(const LibpcapSource&) = delete;
  LibpcapSource& operator=(const LibpcapSource&) = delete;

  int link_type() const override { return pcap_datalink(p_); }
  bool next(PacketView& v) override {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p_, &hdr, &data);
    if (rc != 1) {
      if (rc != PCAP_ERROR_BREAK) error_ = pcap_geterr(p_);
      return false;
    }
    // With nanosecond precision libpcap stores nanoseconds in tv_usec. A pcapng file may
    // hold any 64-bit time: computed unsigned, a time beyond 2262 wraps instead of
    // overflowing (undefined behaviour; found by reader_fuzz).
    v.t_ns = int64_t(uint64_t(hdr->ts.tv_sec) * 1000000000u + uint64_t(hdr->ts.tv_usec));
    v.caplen = hdr->caplen;
    v.wire_len = hdr->len;
    v.data = data;
    return true;
  }
  std::string error() const override { return error_; }
  bool shrank() const override { return stream_ && stream_->shrank(); }

  /// Moves a classic pcap file's reading to byte `offset` (a record's start).
  bool seek(uint64_t offset) { return ::fseeko(pcap_file(p_), static_cast<off_t>(offset), SEEK_SET) == 0; }
  pcap_t* handle() const { return p_; }

 private:
  std::optional<detail::MappedStream> stream_;  // outlives p_
  pcap_t* p_ = nullptr;
  std::string error_;
};

constexpr uint32_t kMagicMicro = 0xa1b2c3d4, kMagicNano = 0xa1b23c4d;
constexpr size_t kFileHeader = 24, kRecordHeader = 16;
constexpr uint32_t kMaxSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN: its limit for every link type rstlab reads
constexpr size_t kChunk = 256u << 10;     // bytes per pread: few system calls, and the buffer stays in L2

/// Bytes left as they are when allocated: a std::vector zeroes its elements first, a pass
/// over the whole buffer (and a page fault for each of its pages, even on a small file)
/// for bytes pread() writes anyway.
class RawBuffer {
 public:
  explicit RawBuffer(size_t n = 0) : bytes_(n ? new uint8_t[n] : nullptr), size_(n) {}
  uint8_t* data() const { return bytes_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<uint8_t[]> bytes_;
  size_t size_;
};

/// Classic pcap in this host's byte order, read by rstlab (see the top of this file).
class PcapReader final : public PacketSource {
 public:
  /// A file: `fd` (owned) holds it, `probe` is libpcap's view of its header.
  PcapReader(std::string path, int fd, uint64_t size, pcap_t* probe, bool nano)
      : path_(std::move(path)), fd_(fd), size_at_open_(size), buf_(kChunk), nano_(nano) {
    init(probe);
    cur_ = end_ = buf_.data();
    file_pos_ = 0;
    // The file header was checked by libpcap: skip it.
    if (!fill(kFileHeader)) cur_ = end_;
    else cur_ += kFileHeader;
    offset_ = kFileHeader;
  }
  /// Bytes in memory (zero copy; `data` outlives the reader).
  PcapReader(const uint8_t* data, size_t size, std::string name, pcap_t* probe, bool nano)
      : path_(std::move(name)), mem_(data), mem_size_(size), nano_(nano) {
    init(probe);
    cur_ = data + kFileHeader;
    end_ = data + size;
    offset_ = kFileHeader;
  }
  ~PcapReader() override {
    if (fd_ >= 0) ::close(fd_);
  }
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  int link_type() const override { return dlt_; }

  bool next(PacketView& v) override {
    if (libpcap_) return libpcap_->next(v);
    if (static_cast<size_t>(end_ - cur_) < kRecordHeader && !fill(kRecordHeader)) {
      if (cur_ == end_ && !read_error_) return false;  // the end, between two records
      return hand_over(v);                              // a record header cut short, or a read error
    }
    uint32_t h[4];  // ts_sec, ts_usec (or nsec), caplen, len
    std::memcpy(h, cur_, sizeof h);
    if (h[2] > max_caplen_) return hand_over(v);  // libpcap refuses or cuts it: its words
    const size_t record = kRecordHeader + h[2];
    if (static_cast<size_t>(end_ - cur_) < record && !fill(record)) return hand_over(v);
    // As libpcap: the fields are signed 32-bit, microseconds scaled to nanoseconds.
    v.t_ns = int64_t(int32_t(h[0])) * 1000000000 + int64_t(int32_t(h[1])) * (nano_ ? 1 : 1000);
    v.caplen = h[2];
    v.wire_len = h[3];
    v.data = cur_ + kRecordHeader;
    cur_ += record;
    offset_ += record;
    return true;
  }

  std::string error() const override { return libpcap_ ? libpcap_->error() : std::string(); }
  bool shrank() const override { return shrunk_ || (libpcap_ && libpcap_->shrank()); }

 private:
  void init(pcap_t* probe) {
    dlt_ = pcap_datalink(probe);
    const int snap = pcap_snapshot(probe);  // libpcap's, adjusted for the link type
    max_caplen_ = snap > 0 ? std::min<uint32_t>(static_cast<uint32_t>(snap), kMaxSnaplen) : 0;
  }

  /// Makes at least `need` bytes available at cur_ (moving what is left of the buffer to
  /// its front and reading on); false if the file ends (or fails) first.
  bool fill(size_t need) {
    if (fd_ < 0) return false;  // memory: all there is, is there
    size_t have = static_cast<size_t>(end_ - cur_);
    if (need > buf_.size()) {  // one record larger than the buffer
      RawBuffer bigger(need + kChunk);
      std::memcpy(bigger.data(), cur_, have);
      buf_ = std::move(bigger);
    } else if (have) {
      std::memmove(buf_.data(), cur_, have);
    }
    cur_ = buf_.data();
    end_ = cur_ + have;
    while (have < need) {
      // Up to the size the file had when opened (a capture still being written is read
      // as it was then, as the memory-mapped stream does).
      const size_t room = static_cast<size_t>(
          std::min<uint64_t>(buf_.size() - have, size_at_open_ > file_pos_ ? size_at_open_ - file_pos_ : 0));
      const ssize_t r = room ? ::pread(fd_, buf_.data() + have, room, static_cast<off_t>(file_pos_)) : 0;
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        if (r < 0) read_error_ = true;
        // Ended before the size it had when opened: another program cut it.
        else if (file_pos_ < size_at_open_) shrunk_ = true;
        return false;
      }
      have += static_cast<size_t>(r);
      file_pos_ += static_cast<uint64_t>(r);
      end_ = cur_ + have;
    }
    return true;
  }

  /// libpcap reads on from the current record: what it says about it is what rstlab says.
  bool hand_over(PacketView& v) {
    libpcap_ = mem_ ? std::make_unique<LibpcapSource>(mem_, mem_size_, path_)
                    : std::make_unique<LibpcapSource>(path_, static_cast<size_t>(size_at_open_));
    if (!libpcap_->seek(offset_)) throw InputError(path_ + ": cannot seek to byte " + std::to_string(offset_));
    return libpcap_->next(v);
  }

  std::string path_;
  int fd_ = -1;
  uint64_t size_at_open_ = 0;
  uint64_t file_pos_ = 0;            // the file's next byte to read into the buffer
  const uint8_t* mem_ = nullptr;     // or: the bytes in memory
  size_t mem_size_ = 0;
  RawBuffer buf_;
  const uint8_t* cur_ = nullptr;     // the next record
  const uint8_t* end_ = nullptr;     // the end of what was read
  uint64_t offset_ = 0;              // cur_'s offset in the file
  int dlt_ = 0;
  uint32_t max_caplen_ = 0;
  bool nano_ = false;
  bool shrunk_ = false, read_error_ = false;
  std::unique_ptr<LibpcapSource> libpcap_;  // once handed over
};

/// Which classic pcap header rstlab reads itself: native byte order, version 2.4.
/// Returns true with `nano` set for such a header.
bool own_format(const uint8_t* h, size_t n, bool& nano) {
  if (n < kFileHeader) return false;
  uint32_t magic;
  uint16_t major, minor;
  std::memcpy(&magic, h, 4);
  std::memcpy(&major, h + 4, 2);
  std::memcpy(&minor, h + 6, 2);
  if ((magic != kMagicMicro && magic != kMagicNano) || major != 2 || minor != 4) return false;
  nano = magic == kMagicNano;
  return true;
}

/// Closes a probing pcap_t.
struct ProbeCloser {
  pcap_t* p;
  ~ProbeCloser() {
    if (p) pcap_close(p);
  }
};

}  // namespace

std::unique_ptr<PacketSource> open_capture_file(const std::string& path) {
  if (path == "-") return std::make_unique<LibpcapSource>(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": " + std::strerror(errno));
  struct stat st = {};
  uint8_t head[kFileHeader];
  bool nano = false;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      ::pread(fd, head, sizeof head, 0) != static_cast<ssize_t>(sizeof head) || !own_format(head, sizeof head, nano)) {
    ::close(fd);
    return std::make_unique<LibpcapSource>(path);
  }
  // libpcap judges the header (its errors, its link type and snapshot length).
  const int dup = ::dup(fd);
  std::FILE* f = dup >= 0 ? ::fdopen(dup, "rb") : nullptr;
  if (!f) {
    if (dup >= 0) ::close(dup);
    ::close(fd);
    return std::make_unique<LibpcapSource>(path);
  }
  char err[PCAP_ERRBUF_SIZE] = {};
  const ProbeCloser probe{pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err)};
  if (!probe.p) {
    std::fclose(f);
    ::close(fd);
    throw InputError(path + ": " + err);
  }
  try {
    return std::make_unique<PcapReader>(path, fd, static_cast<uint64_t>(st.st_size), probe.p, nano);
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::unique_ptr<PacketSource> open_capture_memory(const uint8_t* data, size_t size, const std::string& name) {
  bool nano = false;
  if (!own_format(data, size, nano)) return std::make_unique<LibpcapSource>(data, size, name);
  LibpcapSource probe(data, size, name);  // libpcap judges the header
  return std::make_unique<PcapReader>(data, size, name, probe.handle(), nano);
}

}  // namespace rstlab
