// SPDX-License-Identifier: MIT
#include <string>

#include "rstlab/capture.h"
#include "rstlab/error.h"

namespace rstlab {
namespace {

void check(pcap_t* p, int rc, const std::string& what) {
  if (rc < 0) throw SetupError("recorder: " + what + ": " + pcap_geterr(p));
}

}  // namespace

Recorder::Recorder(const std::string& iface) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_ = pcap_create(iface.c_str(), err);
  if (!pcap_) throw SetupError("recorder: cannot capture on " + iface + ": " + err);
  check(pcap_, pcap_set_snaplen(pcap_, 65535), "snaplen");
  check(pcap_, pcap_set_immediate_mode(pcap_, 1), "immediate mode");
  check(pcap_, pcap_set_buffer_size(pcap_, 1 << 20), "buffer size");
  check(pcap_, pcap_set_tstamp_precision(pcap_, PCAP_TSTAMP_PRECISION_NANO), "nanosecond timestamps");
  const int rc = pcap_activate(pcap_);
  if (rc < 0) {
    const std::string msg = pcap_geterr(pcap_);
    pcap_close(pcap_);
    pcap_ = nullptr;
    if (rc == PCAP_ERROR_PERM_DENIED)
      throw SetupError("recorder: no permission to capture (needs CAP_NET_RAW): " + msg);
    throw SetupError("recorder: cannot start capture on " + iface + ": " + msg);
  }
  bpf_program prog;
  check(pcap_, pcap_compile(pcap_, &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN), "filter");
  const int frc = pcap_setfilter(pcap_, &prog);
  pcap_freecode(&prog);
  check(pcap_, frc, "filter");
  check(pcap_, pcap_setnonblock(pcap_, 1, err), "non-blocking mode");
}

Recorder::~Recorder() {
  if (pcap_) pcap_close(pcap_);
}

int Recorder::fd() const { return pcap_get_selectable_fd(pcap_); }
int Recorder::link_type() const { return pcap_datalink(pcap_); }

size_t Recorder::drain() {
  size_t n = 0;
  for (;;) {
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(pcap_, &hdr, &data);
    if (rc == 0) return n;
    if (rc < 0) throw Error(std::string("recorder: capture failed: ") + pcap_geterr(pcap_));
    CapturedPacket p;
    // With nanosecond precision libpcap stores nanoseconds in tv_usec.
    p.t_ns = int64_t(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec;
    p.wire_len = hdr->len;
    p.data.assign(data, data + hdr->caplen);
    packets_.push_back(std::move(p));
    ++n;
  }
}

void Recorder::stats(uint64_t& dropped, uint64_t& if_dropped) const {
  pcap_stat st{};
  if (pcap_stats(pcap_, &st) < 0) throw Error(std::string("recorder: pcap_stats: ") + pcap_geterr(pcap_));
  dropped = st.ps_drop;
  if_dropped = st.ps_ifdrop;
}

}  // namespace rstlab
