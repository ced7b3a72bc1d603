// SPDX-License-Identifier: MIT
// gen-capture: writes a large, deterministic pcap of many interleaved TCP connections
// with every kind of ending rstlab analyze knows (clean FIN, close with unread data,
// data after close, refused, abort, in-window and out-of-window RSTs, retransmission
// storms, timeouts, connections left open), over IPv4 and IPv6, some with VLAN tags.
// Only documentation addresses (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32).
//   gen-capture --packets 1000000 --seed 1 --out big.pcap
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

struct Seg {
  bool from_client;
  uint8_t flags;
  uint32_t seq, ack;
  uint16_t len;
};

enum : uint8_t { FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16 };

struct Conn {
  bool v6, vlan;
  uint8_t caddr[16], saddr[16];
  uint16_t cport, sport;
  std::vector<Seg> segs;
  size_t next = 0;
};

class Writer {
 public:
  explicit Writer(const char* path) : f_(std::fopen(path, "wb")) {
    if (!f_) {
      std::perror(path);
      std::exit(1);
    }
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 22);
    const uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};  // Ethernet
    std::fwrite(hdr, 4, 6, f_);
  }
  ~Writer() { std::fclose(f_); }

  void packet(const Conn& c, const Seg& s, uint64_t t_us) {
    uint8_t b[2048];
    size_t n = 0;
    const uint8_t cmac[6] = {2, 0, 0, 0, 0, 0x10}, smac[6] = {2, 0, 0, 0, 0, 0x20};
    std::memcpy(b, s.from_client ? smac : cmac, 6);
    std::memcpy(b + 6, s.from_client ? cmac : smac, 6);
    n = 12;
    if (c.vlan) {
      put16(b + n, 0x8100);
      put16(b + n + 2, 42);
      n += 4;
    }
    put16(b + n, c.v6 ? 0x86DD : 0x0800);
    n += 2;
    const uint8_t* src = s.from_client ? c.caddr : c.saddr;
    const uint8_t* dst = s.from_client ? c.saddr : c.caddr;
    const size_t ip = n, ip_len = c.v6 ? 40 : 20, tcp_len = 20 + s.len;
    if (c.v6) {
      std::memset(b + ip, 0, 40);
      b[ip] = 0x60;
      put16(b + ip + 4, static_cast<uint16_t>(tcp_len));
      b[ip + 6] = 6;
      b[ip + 7] = 64;
      std::memcpy(b + ip + 8, src, 16);
      std::memcpy(b + ip + 24, dst, 16);
    } else {
      std::memset(b + ip, 0, 20);
      b[ip] = 0x45;
      put16(b + ip + 2, static_cast<uint16_t>(20 + tcp_len));
      b[ip + 6] = 0x40;
      b[ip + 8] = 64;
      b[ip + 9] = 6;
      std::memcpy(b + ip + 12, src, 4);
      std::memcpy(b + ip + 16, dst, 4);
      put16(b + ip + 10, static_cast<uint16_t>(~fold(sum(0, b + ip, 20))));
    }
    const size_t t = ip + ip_len;
    std::memset(b + t, 0, 20);
    put16(b + t, s.from_client ? c.cport : c.sport);
    put16(b + t + 2, s.from_client ? c.sport : c.cport);
    put32(b + t + 4, s.seq);
    put32(b + t + 8, s.ack);
    b[t + 12] = 0x50;
    b[t + 13] = s.flags;
    put16(b + t + 14, (s.flags & RST) ? 0 : 64240);
    for (size_t i = 0; i < s.len; ++i) b[t + 20 + i] = static_cast<uint8_t>('a' + (i % 26));
    uint32_t ps = c.v6 ? sum(0, b + ip + 8, 32) : sum(0, b + ip + 12, 8);
    ps += 6 + static_cast<uint32_t>(tcp_len);
    put16(b + t + 16, static_cast<uint16_t>(~fold(sum(ps, b + t, tcp_len))));
    n = t + tcp_len;
    const uint32_t rec[4] = {static_cast<uint32_t>(t_us / 1000000), static_cast<uint32_t>(t_us % 1000000),
                             static_cast<uint32_t>(n), static_cast<uint32_t>(n)};
    std::fwrite(rec, 4, 4, f_);
    std::fwrite(b, 1, n, f_);
  }

 private:
  static void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8), p[1] = uint8_t(v); }
  static void put32(uint8_t* p, uint32_t v) { put16(p, uint16_t(v >> 16)), put16(p + 2, uint16_t(v)); }
  static uint32_t sum(uint32_t s, const uint8_t* p, size_t n) {
    uint64_t a = s;
    size_t i = 0;
    for (; i + 1 < n; i += 2) a += uint32_t(p[i] << 8 | p[i + 1]);
    if (i < n) a += uint32_t(p[i]) << 8;
    while (a >> 32) a = (a & 0xffffffff) + (a >> 32);
    return static_cast<uint32_t>(a);
  }
  static uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
  }
  std::FILE* f_;
};

/// Builds one connection's segments for an ending drawn from the mix.
void script(Conn& c, std::mt19937_64& rng) {
  std::uniform_int_distribution<uint32_t> any;
  std::uniform_int_distribution<int> pct(0, 999), small(1, 4), len(1, 400);
  uint32_t cs = any(rng), ss = any(rng);  // ISNs, wrap-around included
  auto& v = c.segs;
  const int kind = pct(rng);
  if (kind < 30) {  // refused
    v.push_back({true, SYN, cs, 0, 0});
    v.push_back({false, RST | ACK, 0, cs + 1, 0});
    return;
  }
  v.push_back({true, SYN, cs, 0, 0});
  v.push_back({false, SYN | ACK, ss, cs + 1, 0});
  ++cs, ++ss;
  v.push_back({true, ACK, cs, ss, 0});
  const int rounds = small(rng);
  for (int r = 0; r < rounds; ++r) {  // request / response
    const uint16_t q = static_cast<uint16_t>(len(rng)), a = static_cast<uint16_t>(len(rng));
    v.push_back({true, PSH | ACK, cs, ss, q});
    cs += q;
    v.push_back({false, PSH | ACK, ss, cs, a});
    ss += a;
    v.push_back({true, ACK, cs, ss, 0});
  }
  if (kind < 550) {  // clean close
    v.push_back({true, FIN | ACK, cs, ss, 0});
    v.push_back({false, FIN | ACK, ss, cs + 1, 0});
    v.push_back({true, ACK, cs + 1, ss + 1, 0});
  } else if (kind < 650) {  // server closes with the request unread
    v.push_back({true, PSH | ACK, cs, ss, 100});
    v.push_back({false, RST | ACK, ss, cs + 100, 0});
  } else if (kind < 750) {  // data after close
    v.push_back({false, FIN | ACK, ss, cs, 0});
    v.push_back({true, ACK, cs, ss + 1, 0});
    v.push_back({true, PSH | ACK, cs, ss + 1, 20});
    v.push_back({false, RST, ss + 1, 0, 0});
  } else if (kind < 850) {  // abort with nothing pending: its last bytes were acknowledged, none unread
    v.push_back({true, PSH | ACK, cs, ss, 30});
    v.push_back({false, ACK, ss, cs + 30, 0});
    v.push_back({true, RST | ACK, cs + 30, ss, 0});
  } else if (kind < 900) {  // in-window RST, challenge ACK, then a clean close
    v.push_back({false, RST, ss + 1000, 0, 0});
    v.push_back({true, ACK, cs, ss, 0});
    v.push_back({true, FIN | ACK, cs, ss, 0});
    v.push_back({false, FIN | ACK, ss, cs + 1, 0});
    v.push_back({true, ACK, cs + 1, ss + 1, 0});
  } else if (kind < 950) {  // out-of-window RST ignored, then a clean close
    v.push_back({false, RST, ss + 0x40000000, 0, 0});
    v.push_back({true, FIN | ACK, cs, ss, 0});
    v.push_back({false, FIN | ACK, ss, cs + 1, 0});
    v.push_back({true, ACK, cs + 1, ss + 1, 0});
  } else if (kind < 985) {  // retransmission storm, then the client gives up
    for (int i = 0; i < 5; ++i) v.push_back({true, PSH | ACK, cs, ss, 50});
    v.push_back({true, RST | ACK, cs + 50, ss, 0});
  } else if (kind < 995) {  // timeout: retransmissions, then silence
    for (int i = 0; i < 4; ++i) v.push_back({true, PSH | ACK, cs, ss, 50});
  }
  // else: left open
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t packets = 1000000, seed = 1;
  const char* out = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--packets") packets = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--out") out = argv[i + 1];
  }
  if (!out || packets == 0) {
    std::fprintf(stderr, "usage: gen-capture --packets N [--seed S] --out FILE.pcap\n");
    return 2;
  }
  std::mt19937_64 rng(seed);
  Writer w(out);
  std::vector<Conn> live(256);
  uint32_t serial = 0;
  auto fresh = [&](Conn& c) {
    c = Conn{};
    ++serial;
    c.v6 = rng() % 10 < 3;
    c.vlan = rng() % 10 == 0;
    if (c.v6) {
      const uint8_t cl[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1}, sv[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
      std::memcpy(c.caddr, cl, 16);
      std::memcpy(c.saddr, sv, 16);
      std::memcpy(c.caddr + 12, &serial, 4);
      c.saddr[15] = static_cast<uint8_t>(rng() % 8 + 1);
    } else {
      const uint8_t cl[4] = {198, 51, 100, static_cast<uint8_t>(serial % 250 + 1)};
      const uint8_t sv[4] = {192, 0, 2, static_cast<uint8_t>(rng() % 8 + 1)};
      std::memcpy(c.caddr, cl, 4);
      std::memcpy(c.saddr, sv, 4);
    }
    c.cport = static_cast<uint16_t>(1024 + (serial * 7919u) % 64000);
    static const uint16_t ports[] = {80, 443, 8080, 5432};
    c.sport = ports[rng() % 4];
    script(c, rng);
  };
  for (auto& c : live) fresh(c);
  uint64_t t_us = 1700000000ull * 1000000;
  for (uint64_t n = 0; n < packets; ++n) {
    Conn& c = live[rng() % live.size()];
    w.packet(c, c.segs[c.next++], t_us);
    t_us += 1 + rng() % 20;
    if (c.next == c.segs.size()) fresh(c);
  }
  return 0;
}
