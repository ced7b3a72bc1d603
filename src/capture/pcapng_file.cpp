// SPDX-License-Identifier: MIT
// A pcapng writer (libpcap reads pcapng but cannot write it): one section, one
// interface with nanosecond resolution, one Enhanced Packet Block per packet, and the
// annotation as the packet's opt_comment.
#include <cstdio>
#include <cstring>
#include <string>

#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "util/files.h"

namespace rstlab {
namespace {

constexpr uint32_t kShb = 0x0A0D0D0A, kIdb = 0x00000001, kEpb = 0x00000006;
constexpr uint16_t kOptEnd = 0, kOptComment = 1, kShbUserAppl = 4, kIfTsresol = 9;

class Block {
 public:
  explicit Block(uint32_t type) : type_(type) {}
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    body_.insert(body_.end(), b, b + n);
  }
  void pad() {
    while (body_.size() % 4) body_.push_back(0);
  }
  void option(uint16_t code, const void* p, size_t n) {
    u16(code);
    u16(static_cast<uint16_t>(n));
    raw(p, n);
    pad();
  }
  void end_options() {
    u16(kOptEnd);
    u16(0);
  }
  void write(std::FILE* f) const {
    const uint32_t total = static_cast<uint32_t>(body_.size() + 12);
    std::fwrite(&type_, 4, 1, f);
    std::fwrite(&total, 4, 1, f);
    std::fwrite(body_.data(), 1, body_.size(), f);
    std::fwrite(&total, 4, 1, f);
  }

 private:
  uint32_t type_;
  std::vector<uint8_t> body_;
};

}  // namespace

void write_pcapng(const std::string& path, int link_type, const std::vector<CapturedPacket>& packets,
                  const std::vector<std::string>& comments) {
  const std::string tmp = detail::temp_name_for(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write " + path + ": " + std::strerror(errno));

  Block shb(kShb);
  shb.u32(0x1A2B3C4D);  // byte-order magic: readers detect our (host) byte order
  shb.u16(1);
  shb.u16(0);
  shb.u64(~0ull);  // section length unknown
  const std::string appl = "rstlab";
  shb.option(kShbUserAppl, appl.data(), appl.size());
  shb.end_options();
  shb.write(f);

  Block idb(kIdb);
  idb.u16(static_cast<uint16_t>(link_type));
  idb.u16(0);
  idb.u32(65535);
  const uint8_t nanoseconds = 9;
  idb.option(kIfTsresol, &nanoseconds, 1);
  idb.end_options();
  idb.write(f);

  for (size_t i = 0; i < packets.size(); ++i) {
    const CapturedPacket& p = packets[i];
    Block epb(kEpb);
    const uint64_t ts = static_cast<uint64_t>(p.t_ns);
    epb.u32(0);
    epb.u32(static_cast<uint32_t>(ts >> 32));
    epb.u32(static_cast<uint32_t>(ts));
    epb.u32(static_cast<uint32_t>(p.data.size()));
    epb.u32(p.wire_len);
    epb.raw(p.data.data(), p.data.size());
    epb.pad();
    if (i < comments.size() && !comments[i].empty()) {
      const std::string& c = comments[i];
      epb.option(kOptComment, c.data(), std::min<size_t>(c.size(), 65000));
      epb.end_options();
    }
    epb.write(f);
  }
  const bool ok = std::fflush(f) == 0 && !std::ferror(f);
  std::fclose(f);
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": write failed");
  }
  detail::commit_temp(tmp, path);
}

}  // namespace rstlab
