// SPDX-License-Identifier: MIT
// Reading and writing pcap files (no live capture here: this is part of the core).
#include <cstdio>
#include <string>

#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "util/files.h"

namespace rstlab {

void write_pcap(const std::string& path, int link_type, const std::vector<CapturedPacket>& packets) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(link_type, 65535, PCAP_TSTAMP_PRECISION_NANO);
  if (!dead) throw Error("cannot prepare a pcap writer");
  const std::string tmp = detail::temp_name_for(path);
  pcap_dumper_t* d = pcap_dump_open(dead, tmp.c_str());
  if (!d) {
    const std::string msg = pcap_geterr(dead);
    pcap_close(dead);
    throw Error("cannot write " + path + ": " + msg);
  }
  for (const auto& p : packets) {
    pcap_pkthdr h{};
    h.ts.tv_sec = p.t_ns / 1000000000;
    h.ts.tv_usec = p.t_ns % 1000000000;
    h.caplen = static_cast<bpf_u_int32>(p.data.size());
    h.len = p.wire_len;
    pcap_dump(reinterpret_cast<u_char*>(d), &h, p.data.data());
  }
  const bool ok = pcap_dump_flush(d) == 0;
  pcap_dump_close(d);
  pcap_close(dead);
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error("cannot write " + path + ": flush failed");
  }
  detail::commit_temp(tmp, path);
}

std::vector<CapturedPacket> read_capture(const std::string& path, int& link_type) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) throw InputError(path + ": " + err);
  link_type = pcap_datalink(p);
  std::vector<CapturedPacket> out;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK) break;
    if (rc < 0) {
      const std::string msg = pcap_geterr(p);
      pcap_close(p);
      throw InputError(path + ": packet " + std::to_string(out.size() + 1) + ": " + msg);
    }
    CapturedPacket c;
    c.t_ns = int64_t(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec;
    c.wire_len = hdr->len;
    c.data.assign(data, data + hdr->caplen);
    out.push_back(std::move(c));
  }
  pcap_close(p);
  return out;
}

}  // namespace rstlab
