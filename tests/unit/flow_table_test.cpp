// SPDX-License-Identifier: MIT
// The pieces under `rstlab analyze`'s speed: the connection table (index, pool, reuse),
// the batch pipe between the reader and analyzer threads, and the text helpers.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <thread>

#include "analyze/flow_table.h"
#include "analyze/packet_batch.h"
#include "rstlab/address.h"
#include "util/concat.h"

using namespace rstlab;
using namespace rstlab::detail;

namespace {

FlowKey key(uint64_t n) {
  FlowKey k;
  k.w[0] = n;
  k.w[4] = n * 7;
  return k;
}

struct Hot {
  uint64_t value = 0;
};
struct Cold {
  std::string text;
};

}  // namespace

TEST(FlowTable, MatchesAMapThroughInsertsErasesAndGrowth) {
  // A small start and a hash forced into few slots make long probe runs, wrap-around
  // and backward shifts happen all the time; std::map says what must be there.
  FlowTable<Hot, Cold> table(8);
  std::map<uint64_t, uint64_t> expect;
  std::mt19937_64 rng(7);
  const auto h = [](uint64_t n) { return (n % 13) * 0x9E3779B97F4A7C15ull + (n % 13); };  // 13 distinct hashes
  for (int step = 0; step < 20000; ++step) {
    const uint64_t n = rng() % 300;
    const uint32_t at = table.find(key(n), h(n));
    if (expect.count(n)) {
      ASSERT_NE(at, (FlowTable<Hot, Cold>::kNone)) << "lost " << n << " at step " << step;
      ASSERT_EQ(table.hot(at).value, expect[n]);
      if (rng() % 2) {
        table.erase(key(n), h(n));
        expect.erase(n);
      }
    } else {
      ASSERT_EQ(at, (FlowTable<Hot, Cold>::kNone)) << "found " << n << " that was never added";
      const uint32_t in = table.insert(key(n), h(n));
      table.hot(in).value = rng();
      expect[n] = table.hot(in).value;
    }
    ASSERT_EQ(table.size(), expect.size());
  }
  size_t seen = 0;
  table.for_each([&](uint32_t) { ++seen; });
  EXPECT_EQ(seen, expect.size());
}

TEST(FlowTable, AnErasedEntryIsHandedOutAgainWithItsBuffers) {
  FlowTable<Hot, Cold> table;
  const uint32_t a = table.insert(key(1), key(1).hash());
  table.cold(a).text.assign(500, 'x');
  const char* buffer = table.cold(a).text.data();
  table.erase(key(1), key(1).hash());
  EXPECT_EQ(table.find(key(1), key(1).hash()), (FlowTable<Hot, Cold>::kNone));
  const uint32_t b = table.insert(key(2), key(2).hash());
  EXPECT_EQ(a, b) << "the freed entry is reused";
  EXPECT_EQ(table.cold(b).text.data(), buffer) << "with its buffer: the caller resets it, nothing is allocated";
  EXPECT_EQ(table.find(key(2), key(2).hash()), b);
}

TEST(BatchPipe, DeliversEveryBatchInOrderThenEnds) {
  BatchPipe pipe(4);
  std::thread reader([&] {
    for (uint64_t i = 0; i < 100; ++i) {
      PacketBatch* b = pipe.fill();
      ASSERT_NE(b, nullptr);
      b->count = 0;
      b->add().frame = i;
      pipe.publish();
    }
    pipe.close();
  });
  uint64_t expect = 0;
  while (const PacketBatch* b = pipe.next()) {
    EXPECT_EQ(b->packets[0].frame, expect++);
    pipe.release();
  }
  reader.join();
  EXPECT_EQ(expect, 100u);
}

TEST(BatchPipe, AnAnalyzerThatStopsReleasesAWaitingReader) {
  BatchPipe pipe(2);
  std::thread reader([&] {
    while (PacketBatch* b = pipe.fill()) {  // fills the ring, then waits for room
      b->count = 0;
      pipe.publish();
    }
  });
  ASSERT_NE(pipe.next(), nullptr);
  pipe.close();  // e.g. the sink threw: the reader must not wait forever
  reader.join();
}

TEST(Text, ConcatAndAppendAll) {
  EXPECT_EQ(concat("a", std::string("bc"), std::string_view("d"), ""), "abcd");
  std::string s = "x";
  append_all(s, "y", std::to_string(42));
  EXPECT_EQ(s, "xy42");
}

TEST(Text, AddressTextIsInetNtops) {
  // Every shape of IPv6 text: zero runs of each length at each place (the longest one,
  // the first of equals, compressed), the IPv4-mapped and -compatible forms, and random
  // addresses with many zero groups.
  std::vector<std::array<uint8_t, 16>> cases;
  for (int start = 0; start < 8; ++start)
    for (int len = 0; start + len <= 8; ++len) {
      std::array<uint8_t, 16> b{};
      for (int i = 0; i < 8; ++i) {
        const bool zero = i >= start && i < start + len;
        b[2 * i] = zero ? 0 : static_cast<uint8_t>(i * 17);
        b[2 * i + 1] = zero ? 0 : static_cast<uint8_t>(i + 1);
      }
      cases.push_back(b);
    }
  for (uint16_t w5 : {0x0000, 0xffff, 0x0001})
    for (uint8_t w7 : {0, 1}) {
      std::array<uint8_t, 16> b{};
      b[10] = b[11] = static_cast<uint8_t>(w5 & 0xff);
      if (w5 == 0x0001) b[10] = 0;
      b[12] = 192, b[13] = 0, b[14] = 2, b[15] = w7;
      cases.push_back(b);
    }
  uint64_t x = 12345;
  for (int n = 0; n < 20000; ++n) {
    std::array<uint8_t, 16> b{};
    for (int i = 0; i < 8; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      if ((x >> 60) < 9) continue;  // mostly zero groups: many runs
      b[2 * i] = static_cast<uint8_t>(x >> 32 & (x >> 59 & 1 ? 0xff : 0x0f));
      b[2 * i + 1] = static_cast<uint8_t>(x >> 40);
    }
    cases.push_back(b);
  }
  for (const auto& b : cases) {
    char expected[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(AF_INET6, b.data(), expected, sizeof expected), nullptr);
    EXPECT_EQ(Address::v6(b.data()).str(), expected);
  }
  // IPv4: every byte value in every position (the digits come from a table).
  for (int v = 0; v < 256; ++v)
    for (int at = 0; at < 4; ++at) {
      uint8_t v4[4] = {198, 51, 100, 7};
      v4[at] = static_cast<uint8_t>(v);
      char expected[INET_ADDRSTRLEN];
      ASSERT_NE(inet_ntop(AF_INET, v4, expected, sizeof expected), nullptr);
      EXPECT_EQ(Address::v4(v4).str(), expected);
    }
}

TEST(Text, EndpointFormatAgreesWithParse) {
  for (const char* text : {"0.0.0.0:0", "192.0.2.1:80", "255.255.255.255:65535", "198.51.100.7:9",
                           "[2001:db8::1]:443", "[::]:0", "[2001:db8:1:2:3:4:5:6]:65535"}) {
    const Endpoint e = Endpoint::parse(text);
    char buf[Endpoint::kTextSize];
    EXPECT_EQ(std::string(buf, e.format(buf)), text);
    EXPECT_EQ(e.str(), text);
  }
}

TEST(FlowTable, AColdHalfIsGivenOnlyToAnEntryThatAsks) {
  FlowTable<Hot, Cold> table;
  const uint32_t a = table.insert(key(1), key(1).hash());
  const uint32_t b = table.insert(key(2), key(2).hash());
  table.cold(b).text.assign(500, 'y');  // b asks first: the cold pool's first half is b's
  const char* b_buffer = table.cold(b).text.data();
  table.cold(a).text.assign(500, 'x');
  EXPECT_NE(table.cold(a).text.data(), b_buffer) << "each entry has a half of its own";
  EXPECT_EQ(table.cold(b).text, std::string(500, 'y')) << "and keeps it";
  // Erased, b gives its half back; an entry that never asks (c) does not take it, the next
  // one that asks (d) gets it with its buffer.
  table.erase(key(2), key(2).hash());
  const uint32_t c = table.insert(key(3), key(3).hash());
  const uint32_t d = table.insert(key(4), key(4).hash());
  EXPECT_EQ(c, b) << "the freed hot half is reused";
  EXPECT_EQ(table.cold(d).text.data(), b_buffer);
  EXPECT_NE(table.cold(c).text.data(), b_buffer);
  EXPECT_EQ(table.cold(a).text, std::string(500, 'x'));
}
