// SPDX-License-Identifier: MIT
// The memory-mapped stream libpcap reads captures through (src/analyze/mapped_stream.h),
// and the packet sources over capture files (rstlab/packet_source.h).
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "analyze/mapped_stream.h"
#include "rstlab/error.h"
#include "rstlab/packet_source.h"

namespace fs = std::filesystem;
using rstlab::detail::MappedStream;

namespace {

/// A file of `size` bytes whose every 4-byte word holds its own offset.
fs::path pattern_file(const std::string& name, size_t size) {
  const fs::path p = fs::temp_directory_path() / ("rstlab-ms-" + std::to_string(::getpid()) + "-" + name);
  std::vector<uint32_t> words(size / 4);
  for (size_t i = 0; i < words.size(); ++i) words[i] = static_cast<uint32_t>(i * 4);
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(words.data()), size);
  return p;
}

/// Reads in odd-sized pieces (as libpcap does: a header, then a packet) from offset
/// `start` on and checks each byte against the pattern; returns the bytes read.
size_t read_and_check_from(std::FILE* f, size_t start, size_t stop_after = SIZE_MAX) {
  std::vector<char> buf(1000);
  size_t total = 0;
  for (size_t piece = 16; total < stop_after; piece = piece == 16 ? 996 : 16) {
    const size_t n = std::fread(buf.data(), 1, piece, f);
    for (size_t i = 0; i < n; ++i) {
      const size_t at = start + total + i;
      const uint32_t word = static_cast<uint32_t>(at / 4 * 4);
      if (static_cast<unsigned char>(buf[i]) != ((word >> (8 * (at % 4))) & 0xff)) {
        ADD_FAILURE() << "byte " << at << " is not the file's";
        return total + i;
      }
    }
    total += n;
    if (n < piece) break;
  }
  return total;
}
size_t read_and_check(std::FILE* f, size_t stop_after = SIZE_MAX) { return read_and_check_from(f, 0, stop_after); }

}  // namespace

TEST(MappedStream, ServesTheFileByteForByte) {
  // Larger than the 8 MiB after which read bytes are dropped from the map.
  const size_t size = (20u << 20) + 12;
  const fs::path p = pattern_file("whole", size);
  {
    MappedStream s(p.string());
    EXPECT_TRUE(s.mapped());
    EXPECT_EQ(read_and_check(s.file()), size);
    EXPECT_FALSE(s.shrank());
    // Back to the start (a seek): the dropped pages come back from the file.
    ASSERT_EQ(std::fseek(s.file(), 4096, SEEK_SET), 0);
    uint32_t word = 0;
    ASSERT_EQ(std::fread(&word, 4, 1, s.file()), 1u);
    EXPECT_EQ(word, 4096u);
  }
  fs::remove(p);
}

TEST(MappedStream, AFileThatShrinksWhileReadEndsTheStreamInsteadOfKillingTheProcess) {
  // Without the SIGBUS handler, touching the map past the file's new end kills the
  // test binary.
  const size_t size = 12u << 20;
  const fs::path p = pattern_file("shrinks", size);
  {
    MappedStream s(p.string());
    ASSERT_TRUE(s.mapped());
    const size_t first = read_and_check(s.file(), 1u << 20);  // a first MiB, in libpcap-sized pieces
    EXPECT_GE(first, 1u << 20);
    const size_t new_size = (2u << 20) + 100;
    ASSERT_EQ(::truncate(p.c_str(), static_cast<off_t>(new_size)), 0);
    const size_t total = first + read_and_check_from(s.file(), first);
    EXPECT_TRUE(s.shrank());
    EXPECT_EQ(total, new_size) << "what the file still holds, and nothing past it (not the zeros of its last page)";
  }
  // The handler is gone with the map; a new stream starts clean.
  const fs::path q = pattern_file("after", 4096);
  {
    MappedStream s(q.string());
    EXPECT_EQ(read_and_check(s.file()), 4096u);
    EXPECT_FALSE(s.shrank());
  }
  fs::remove(p);
  fs::remove(q);
}

TEST(MappedStream, WhatCannotBeMappedIsReadThroughStdio) {
  const fs::path empty = pattern_file("empty", 0);
  {
    MappedStream s(empty.string());
    EXPECT_FALSE(s.mapped());
    char c;
    EXPECT_EQ(std::fread(&c, 1, 1, s.file()), 0u);
  }
  {
    MappedStream s("/dev/zero");
    EXPECT_FALSE(s.mapped());
    char buf[64] = {1};
    EXPECT_EQ(std::fread(buf, 1, sizeof buf, s.file()), sizeof buf);
    EXPECT_EQ(buf[0], 0);
  }
  fs::remove(empty);
  try {
    MappedStream s((fs::temp_directory_path() / "rstlab-no-such-file").string());
    ADD_FAILURE() << "opened a missing file";
  } catch (const rstlab::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("rstlab-no-such-file: No such file or directory"), std::string::npos)
        << e.what();
  }
}

// ---- Packet sources (rstlab/packet_source.h): rstlab's own pcap reader reads every file
// exactly as libpcap does, and hands the rest to libpcap at anything unusual. ----

namespace {

const fs::path kCaptureDir = fs::path(RSTLAB_SOURCE_DIR) / "captures";

/// Everything a source hands out, one line per packet, and how it ended.
std::string packets_of(rstlab::PacketSource& src) {
  std::string out = "dlt " + std::to_string(src.link_type()) + "\n";
  rstlab::PacketView v;
  while (src.next(v)) {
    out += std::to_string(v.t_ns) + " " + std::to_string(v.caplen) + " " + std::to_string(v.wire_len) + " ";
    out.append(reinterpret_cast<const char*>(v.data), v.caplen);
    out += "\n";
  }
  return out + "end: " + src.error();
}

/// The same, read by libpcap alone.
std::string libpcap_packets_of(const fs::path& p) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_open_offline_with_tstamp_precision(p.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!h) return std::string("open: ") + err;
  std::string out = "dlt " + std::to_string(pcap_datalink(h)) + "\n";
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc;
  while ((rc = pcap_next_ex(h, &hdr, &data)) == 1) {
    out += std::to_string(int64_t(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec) + " " +
           std::to_string(hdr->caplen) + " " + std::to_string(hdr->len) + " ";
    out.append(reinterpret_cast<const char*>(data), hdr->caplen);
    out += "\n";
  }
  out += "end: " + std::string(rc == PCAP_ERROR_BREAK ? "" : pcap_geterr(h));
  pcap_close(h);
  return out;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

/// Compares the file source, the memory source and libpcap on `bytes`.
void expect_read_as_libpcap_does(const std::string& bytes, const std::string& what) {
  const fs::path p = fs::temp_directory_path() / ("rstlab-ps-" + std::to_string(::getpid()) + ".pcap");
  std::ofstream(p, std::ios::binary) << bytes;
  const std::string want = libpcap_packets_of(p);
  std::string got, got_memory;
  try {
    got = packets_of(*rstlab::open_capture_file(p.string()));
  } catch (const rstlab::InputError& e) {
    got = std::string("open: ") + e.what();
  }
  try {
    got_memory = packets_of(*rstlab::open_capture_memory(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                         bytes.size(), p.string()));
  } catch (const rstlab::InputError& e) {
    got_memory = std::string("open: ") + e.what();
  }
  fs::remove(p);
  if (want.rfind("open: ", 0) == 0) {  // refused by libpcap: refused by the sources too
    EXPECT_EQ(got.rfind("open: ", 0), 0u) << what;
    EXPECT_EQ(got_memory.rfind("open: ", 0), 0u) << what;
    return;
  }
  EXPECT_TRUE(got == want) << what << ": the file source differs from libpcap\n" << got.substr(0, 300) << "\n---\n"
                           << want.substr(0, 300);
  EXPECT_TRUE(got_memory == want) << what << ": the memory source differs from libpcap";
}

}  // namespace

TEST(PacketSource, EveryReferenceCaptureReadsAsLibpcapReadsIt) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(kCaptureDir)) {
    const std::string ext = e.path().extension().string();
    if (ext != ".pcap" && ext != ".pcapng") continue;
    expect_read_as_libpcap_does(file_bytes(e.path()), e.path().filename().string());
    ++n;
  }
  EXPECT_GT(n, 40u);
}

TEST(PacketSource, AFileCutAnywhereEndsWithLibpcapsWords) {
  // Cut inside the file header, inside a record header, inside a packet, between records.
  const std::string good = file_bytes(kCaptureDir / "reset-by-peer-tun.pcap");
  ASSERT_GT(good.size(), 200u);
  for (size_t cut = 0; cut <= good.size(); cut += cut < 60 ? 1 : 7)
    expect_read_as_libpcap_does(good.substr(0, cut), "cut at byte " + std::to_string(cut));
}

TEST(PacketSource, RecordsLibpcapRefusesOrCutsAreHandedToIt) {
  std::string good = file_bytes(kCaptureDir / "reset-by-peer-tun.pcap");
  ASSERT_GT(good.size(), 100u);
  uint32_t caplen;
  std::memcpy(&caplen, good.data() + 24 + 8, 4);
  // A snapshot length below the first packet's captured length: libpcap cuts it.
  std::string small = good;
  const uint32_t snap = caplen - 10;
  std::memcpy(&small[16], &snap, 4);
  expect_read_as_libpcap_does(small, "snaplen below a packet");
  // A captured length beyond any snapshot: libpcap refuses the record.
  std::string huge = good;
  const uint32_t big = 300000;
  std::memcpy(&huge[24 + 8], &big, 4);
  expect_read_as_libpcap_does(huge, "captured length 300000");
  // Microsecond timestamps, negative seconds, a usec field past one second.
  std::string micro = good;
  const uint32_t magic = 0xa1b2c3d4, sec = 0xfffffff0u, usec = 1500000;
  std::memcpy(&micro[0], &magic, 4);
  std::memcpy(&micro[24], &sec, 4);
  std::memcpy(&micro[28], &usec, 4);
  expect_read_as_libpcap_does(micro, "microsecond file");
  // The other byte order (libpcap's own reading), and a version rstlab does not read itself.
  std::string old = good;
  old[6] = 3;
  expect_read_as_libpcap_does(old, "version 2.3");
  expect_read_as_libpcap_does(std::string(good.data(), 20), "a header cut short");
}

TEST(PacketSource, ALargeFileIsReadAcrossItsBufferAndAFileThatShrinksSaysSo) {
  // Many records across the reader's 256 KiB buffer, one of them larger than the buffer.
  std::string f(24, '\0');
  const uint32_t hdr[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, 101};
  std::memcpy(&f[0], hdr, 24);
  for (uint32_t i = 0; i < 3000; ++i) {
    const uint32_t len = i == 1500 ? 262144 : 60 + i % 1400;
    const uint32_t rec[4] = {1700000000 + i, i * 1000, len, len + 5};
    f.append(reinterpret_cast<const char*>(rec), 16);
    f.append(std::string(len, static_cast<char>('a' + i % 26)));
  }
  expect_read_as_libpcap_does(f, "3000 records");

  const fs::path p = fs::temp_directory_path() / ("rstlab-ps-shrink-" + std::to_string(::getpid()) + ".pcap");
  std::ofstream(p, std::ios::binary) << f;
  auto src = rstlab::open_capture_file(p.string());
  rstlab::PacketView v;
  size_t n = 0;
  while (src->next(v))
    if (++n == 10) {
      ASSERT_EQ(::truncate(p.c_str(), static_cast<off_t>(f.size() / 2)), 0);
    }
  fs::remove(p);
  EXPECT_TRUE(src->shrank());
  EXPECT_GT(n, 10u);
  EXPECT_LT(n, 3000u);
}

TEST(PacketSource, AFileStillBeingWrittenIsReadAsItWasWhenOpened) {
  // A capture that grows while it is read (tcpdump -w still running) is read up to the
  // size it had when opened, as the memory-mapped stream always did; when that size ends
  // inside a record, libpcap says so, as it said before.
  std::string f(24, '\0');
  const uint32_t hdr[6] = {0xa1b23c4d, 0x00040002, 0, 0, 262144, 101};
  std::memcpy(&f[0], hdr, 24);
  for (uint32_t i = 0; i < 2000; ++i) {
    const uint32_t len = 100 + i % 900;
    const uint32_t rec[4] = {1700000000 + i, i, len, len};
    f.append(reinterpret_cast<const char*>(rec), 16);
    f.append(std::string(len, 'z'));
  }
  for (const size_t cut : {f.size(), f.size() - 50}) {
    const fs::path p = fs::temp_directory_path() / ("rstlab-ps-grow-" + std::to_string(::getpid()) + ".pcap");
    std::ofstream(p, std::ios::binary) << f.substr(0, cut);
    auto src = rstlab::open_capture_file(p.string());
    rstlab::PacketView v;
    size_t n = 0;
    while (src->next(v))
      if (++n == 10) std::ofstream(p, std::ios::binary | std::ios::app) << f.substr(cut) << f.substr(24);
    fs::remove(p);
    EXPECT_EQ(n, cut == f.size() ? 2000u : 1999u) << "cut " << cut;
    EXPECT_EQ(src->error().empty(), cut == f.size()) << src->error();
    EXPECT_FALSE(src->shrank());
  }
}
