// SPDX-License-Identifier: MIT
// The memory-mapped stream libpcap reads captures through (src/analyze/mapped_stream.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "analyze/mapped_stream.h"
#include "rstlab/error.h"

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
