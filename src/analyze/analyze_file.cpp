// SPDX-License-Identifier: MIT
#include <pcap/pcap.h>

#include <cstdio>
#include <exception>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

#include "rstlab/analyze.h"

#include "analyze/mapped_stream.h"
#include "analyze/packet_batch.h"
#include "rstlab/annotate.h"
#include "rstlab/error.h"
#include "rstlab/runner.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

const std::set<int> kSupported = {linktype::NULL_BSD, linktype::ETHERNET,   linktype::RAW,
                                  linktype::RAW_LINKTYPE, linktype::LOOP,   linktype::LINUX_SLL,
                                  linktype::IPV4,     linktype::IPV6,       linktype::LINUX_SLL2};

/// Closes a pcap_t (and the FILE under it) on every way out.
struct PcapCloser {
  pcap_t* p;
  ~PcapCloser() { pcap_close(p); }
};

/// The read loop shared by files and memory: `p` is owned by the caller. Two threads:
/// a reader (libpcap, decode, flow key) fills batches while this one follows the
/// connections in the batches before - reading and analysing cost about the same, and
/// each gets a core.
AnalyzeStats analyze_handle(pcap_t* p, const std::string& name, const Analyzer::Sink& sink,
                            const AnalyzeOptions& options, std::vector<CapturedPacket>* kept, int* link_type) {
  const int dlt = pcap_datalink(p);
  if (link_type) *link_type = dlt;
  if (!kSupported.count(dlt)) {
    const char* dname = pcap_datalink_val_to_name(dlt);
    throw InputError(name + ": link type " + std::to_string(dlt) + (dname ? std::string(" (") + dname + ")" : "") +
                     " is not supported (Ethernet, Linux cooked SLL/SLL2, raw IP and BSD loopback are)");
  }
  Analyzer analyzer(dlt, sink, options);
  detail::BatchPipe pipe;
  const bool keep_raw = options.keep_flow.has_value();  // the flow's packets are wanted whole
  std::string cut;                  // written by the reader before it ends
  std::exception_ptr reader_error;  // likewise
  std::thread reader([&] {
    try {
      uint64_t frame = 0;
      for (bool end = false; !end;) {
        detail::PacketBatch* b = pipe.fill();
        if (!b) return;  // the analyzer stopped early
        b->count = 0;
        b->keep_raw = keep_raw;
        b->raw.clear();
        while (b->count < detail::PacketBatch::kCapacity) {
          pcap_pkthdr* hdr = nullptr;
          const u_char* data = nullptr;
          const int rc = pcap_next_ex(p, &hdr, &data);
          if (rc != 1) {
            // A file cut short (a capture killed mid-write): keep what was read, say where it stopped.
            if (rc != PCAP_ERROR_BREAK)
              cut = "file cut short after packet " + std::to_string(frame) + ": " + pcap_geterr(p);
            end = true;
            break;
          }
          detail::DecodedPacket& d = b->add();
          detail::decode_packet(dlt, ++frame, int64_t(hdr->ts.tv_sec) * 1000000000 + hdr->ts.tv_usec, data,
                                hdr->caplen, hdr->len, d);
          if (keep_raw) {
            d.raw_offset = static_cast<uint32_t>(b->raw.size());  // < 1024 packets of < 256 KiB
            b->raw.insert(b->raw.end(), data, data + hdr->caplen);
          }
        }
        pipe.publish();
      }
    } catch (...) {
      reader_error = std::current_exception();
    }
    pipe.close();
  });
  struct Join {  // on every way out, the reader stops and is joined
    detail::BatchPipe& pipe;
    std::thread& t;
    ~Join() {
      pipe.close();
      if (t.joinable()) t.join();
    }
  } join{pipe, reader};
  while (const detail::PacketBatch* b = pipe.next()) {
    analyzer.on_batch(*b);
    pipe.release();
  }
  reader.join();
  if (reader_error) std::rethrow_exception(reader_error);
  analyzer.finish();
  if (kept) *kept = analyzer.kept_packets();
  AnalyzeStats stats = analyzer.stats();
  if (!cut.empty()) stats.warnings[cut] = 1;
  return stats;
}

}  // namespace

AnalyzeStats analyze_file(const std::string& path, const Analyzer::Sink& sink, const AnalyzeOptions& options,
                          std::vector<CapturedPacket>* kept, int* link_type) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::optional<detail::MappedStream> stream;  // outlives the pcap_t reading it
  pcap_t* p = nullptr;
  if (path == "-") {  // libpcap's name for standard input
    p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  } else {
    stream.emplace(path);
    p = pcap_fopen_offline_with_tstamp_precision(stream->file(), PCAP_TSTAMP_PRECISION_NANO, err);
    if (p) stream->take();
  }
  if (!p) throw InputError(path + ": " + err);
  const PcapCloser closer{p};
  AnalyzeStats stats = analyze_handle(p, path, sink, options, kept, link_type);
  if (stream && stream->shrank()) {  // said once, in place of libpcap's view of the same end
    for (auto it = stats.warnings.begin(); it != stats.warnings.end();)
      it = it->first.rfind("file cut short", 0) == 0 ? stats.warnings.erase(it) : std::next(it);
    stats.warnings["file cut short after packet " + std::to_string(stats.packets) +
                   ": it got shorter while it was read (truncated by another program?)"] = 1;
  }
  return stats;
}

AnalyzeStats analyze_memory(const uint8_t* data, size_t size, const std::string& name, const Analyzer::Sink& sink) {
  std::FILE* f = ::fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (!f) throw InputError(name + ": cannot open the bytes as a file");
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) {
    std::fclose(f);
    throw InputError(name + ": " + err);
  }
  const PcapCloser closer{p};  // closes f too
  return analyze_handle(p, name, sink, {}, nullptr, nullptr);
}

Trace connection_trace(const ConnectionReport& c, int link_type, const std::vector<CapturedPacket>& packets,
                       const std::string& source) {
  Trace t;
  t.scenario = "flow-" + std::to_string(c.id);
  t.title = source + ": connection " + std::to_string(c.id) + ", " + c.a.str() + " <-> " + c.b.str() + " (" +
            c.ending + ")";
  t.story = "Analysed from " + source + "; both endpoints are taken to be Linux kernels.";
  for (const auto& n : c.notes) t.story += " " + n + ".";
  t.link = "capture";
  t.family = c.a.addr.family;
  t.client = {"kernel", c.a, ""};
  t.server = {"kernel", c.b, ""};
  t.capture.file = source;
  add_packet_events(t, link_type, packets);
  t.capture.packets = c.packets;
  t.sort_events();
  annotate(t);
  return t;
}

}  // namespace rstlab
