// SPDX-License-Identifier: MIT
#include <pcap/pcap.h>
#include <tins/ethernetII.h>
#include <tins/network_interface.h>
#include <tins/packet_sender.h>
#include <tins/rawpdu.h>
#include <tins/sniffer.h>

#include <cstring>

#include "link/links.h"
#include "rstlab/error.h"

namespace rstlab::detail {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD;

Tins::HWAddress<6> hw(const Mac& m) { return Tins::HWAddress<6>(m.data()); }

class VethLink final : public PeerLink {
 public:
  VethLink(const std::string& ifname, const Mac& own_mac, const Mac& kernel_mac)
      : iface_(ifname), own_mac_(hw(own_mac)), kernel_mac_(hw(kernel_mac)) {
    Tins::SnifferConfiguration cfg;
    cfg.set_snap_len(65535);
    cfg.set_promisc_mode(false);
    cfg.set_immediate_mode(true);  // without it every wait costs the 1 s pcap timeout
    cfg.set_buffer_size(512 * 1024);
    cfg.set_direction(PCAP_D_IN);  // never see our own frames
    cfg.set_filter("tcp");
    try {
      sniffer_ = std::make_unique<Tins::Sniffer>(ifname, cfg);
      sender_.open_l2_socket(iface_);  // opened now, in the far namespace
    } catch (const std::exception& e) {
      throw SetupError("cannot open the peer's raw sockets on " + ifname + ": " + e.what());
    }
    char err[PCAP_ERRBUF_SIZE];
    if (pcap_setnonblock(sniffer_->get_pcap_handle(), 1, err) < 0)
      throw SetupError(std::string("pcap_setnonblock: ") + err);
  }

  int fd() const override { return const_cast<Tins::Sniffer&>(*sniffer_).get_fd(); }

  bool receive(std::vector<uint8_t>& pkt) override {
    // pcap_next_ex directly: libtins' next_packet() loops until a packet arrives.
    for (;;) {
      pcap_pkthdr* hdr = nullptr;
      const u_char* data = nullptr;
      const int rc = pcap_next_ex(sniffer_->get_pcap_handle(), &hdr, &data);
      if (rc == 0) return false;
      if (rc < 0) throw Error(std::string("peer capture failed: ") + pcap_geterr(sniffer_->get_pcap_handle()));
      if (hdr->caplen < 14) continue;
      const uint16_t type = static_cast<uint16_t>(data[12] << 8 | data[13]);
      if (type != kEtherIpv4 && type != kEtherIpv6) continue;
      pkt.assign(data + 14, data + hdr->caplen);
      return true;
    }
  }

  void send(const std::vector<uint8_t>& pkt) override {
    Tins::EthernetII frame(kernel_mac_, own_mac_);
    frame.payload_type((pkt.at(0) >> 4) == 6 ? kEtherIpv6 : kEtherIpv4);
    frame /= Tins::RawPDU(pkt.data(), static_cast<uint32_t>(pkt.size()));
    try {
      sender_.send(frame, iface_);
    } catch (const std::exception& e) {
      throw Error(std::string("peer could not send a frame: ") + e.what());
    }
  }

 private:
  Tins::NetworkInterface iface_;
  Tins::HWAddress<6> own_mac_, kernel_mac_;
  std::unique_ptr<Tins::Sniffer> sniffer_;
  Tins::PacketSender sender_;
};

}  // namespace

std::unique_ptr<PeerLink> make_veth_link(const std::string& ifname, const Mac& own_mac,
                                         const Mac& kernel_mac) {
  return std::make_unique<VethLink>(ifname, own_mac, kernel_mac);
}

}  // namespace rstlab::detail
