// SPDX-License-Identifier: MIT
#pragma once
// Internal: a capture file as a stdio stream for libpcap, served from a memory map.
// libpcap reads a file with two fread calls per packet, and the FILE under them fills
// its buffer with read(), 4 KiB at a time: the kernel's page-by-page copy was a sixth of
// the reader thread's time. From a map, a refill is one memcpy.
//  - Memory stays bounded: what has been read is dropped from the map every 8 MiB, so
//    the resident size does not grow with the file.
//  - A file that gets shorter while mapped (another program truncates it) would kill
//    the process with SIGBUS at the first page past its new end. A handler, installed
//    while a map is in use, puts zero pages there instead; each refill then checks the
//    file's size (one fstat per 128 KiB) and serves only what the file still holds, so
//    the stream ends where the file now ends, and shrank() says why. Faults elsewhere go
//    where they went before.
//  - What cannot be mapped (a pipe, a device, an empty file) is read through plain stdio.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace rstlab::detail {

class MappedStream {
 public:
  /// Opens `path`; throws InputError naming it when it cannot be opened. A regular file
  /// is served up to `limit` bytes at most (the size an earlier reader found: what was
  /// appended since is not read).
  explicit MappedStream(const std::string& path, size_t limit = SIZE_MAX);
  ~MappedStream();
  MappedStream(const MappedStream&) = delete;
  MappedStream& operator=(const MappedStream&) = delete;

  /// The stream to hand to libpcap (pcap_fopen_offline), which closes it with pcap_close.
  /// Until then it is this object's: take() says it was handed over.
  std::FILE* file() const { return file_; }
  void take() { taken_ = true; }
  /// True if the file got shorter while it was read (the stream ended there).
  bool shrank() const;
  /// True if the bytes come from a memory map (false: plain stdio).
  bool mapped() const { return map_ != nullptr; }

 private:
  static ssize_t read_cookie(void* self, char* buf, size_t n);
  static int seek_cookie(void* self, off64_t* offset, int whence);
  static int close_cookie(void* self);
  void close();

  std::FILE* file_ = nullptr;
  bool taken_ = false;
  int fd_ = -1;          // the mapped file, for its size after each refill
  const char* map_ = nullptr;
  size_t size_ = 0;      // bytes mapped (the file's size when opened)
  size_t end_ = 0;       // bytes to serve: size_, or less once the file shrank
  size_t pos_ = 0;       // next byte to serve
  size_t released_ = 0;  // bytes before this were dropped from the map
  int region_ = -1;      // the slot the SIGBUS handler knows this map by
  bool shrunk_ = false;  // a refill found the file shorter
};

}  // namespace rstlab::detail
