// SPDX-License-Identifier: MIT
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "rstlab/capture.h"
#include "rstlab/error.h"

namespace rstlab {
namespace {

void check(pcap_t* p, int rc, const std::string& what) {
  if (rc < 0) throw SetupError("recorder: " + what + ": " + pcap_geterr(p));
}

/// The largest frame the interface can carry: its MTU plus room for a link-layer header.
/// The lab turns segmentation and receive offloads off and a tun device has none, so no
/// captured packet is ever larger than this.
int snaplen_for(const std::string& iface) {
  constexpr int kLinkHeader = 64;  // Ethernet + VLAN tags, rounded up; a tun has none
  int mtu = 0;
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    if (::ioctl(s, SIOCGIFMTU, &ifr) == 0) mtu = ifr.ifr_mtu;
    ::close(s);
  }
  if (mtu <= 0) return 65535;  // unknown: whole packets whatever their size
  return std::min(65535, std::max(mtu, 1500) + kLinkHeader);
}

}  // namespace

Recorder::Recorder(const std::string& iface) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_ = pcap_create(iface.c_str(), err);
  if (!pcap_) throw SetupError("recorder: cannot capture on " + iface + ": " + err);
  // libpcap gives every slot of its ring room for a whole snaplen on links other than
  // Ethernet: with a snaplen of 65535 a tun capture had 16 slots in 1 MB and dropped
  // packets as soon as one write put more than about 10 KB on the wire. A snaplen sized
  // from the MTU makes the slots ~1.6 KB on every link. Over tun the runner relays every
  // packet itself and drains the ring between batches, so the ring cannot overflow; over
  // veth two kernel sockets transfer at full speed whether or not the runner gets the
  // CPU, so the ring must hold a whole burst: 16 MB is ~10000 slots, a 4 MB transfer with
  // its ACKs takes ~3500 (with 4 MB, one run in five lost packets on a loaded machine).
  check(pcap_, pcap_set_snaplen(pcap_, snaplen_for(iface)), "snaplen");
  check(pcap_, pcap_set_immediate_mode(pcap_, 1), "immediate mode");
  check(pcap_, pcap_set_buffer_size(pcap_, 16 << 20), "buffer size");
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

bool Recorder::next(PacketView& v) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(pcap_, &hdr, &data);
  if (rc == 0) return false;
  if (rc < 0) throw Error(std::string("recorder: capture failed: ") + pcap_geterr(pcap_));
  // With nanosecond precision libpcap stores nanoseconds in tv_usec.
  v.t_ns = int64_t(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec;
  v.caplen = hdr->caplen;
  v.wire_len = hdr->len;
  v.data = data;
  return true;
}

size_t Recorder::drain() {
  size_t n = 0;
  for (PacketView v; next(v); ++n) {
    CapturedPacket p;
    p.t_ns = v.t_ns;
    p.wire_len = v.wire_len;
    p.data.assign(v.data, v.data + v.caplen);
    packets_.push_back(std::move(p));
  }
  return n;
}

void Recorder::stats(uint64_t& dropped, uint64_t& if_dropped) const {
  pcap_stat st{};
  if (pcap_stats(pcap_, &st) < 0) throw Error(std::string("recorder: pcap_stats: ") + pcap_geterr(pcap_));
  dropped = st.ps_drop;
  if_dropped = st.ps_ifdrop;
}

}  // namespace rstlab
