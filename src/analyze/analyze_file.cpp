// SPDX-License-Identifier: MIT
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <thread>

#include "rstlab/analyze.h"

#include "analyze/capture_files.h"
#include "analyze/packet_batch.h"
#include "rstlab/annotate.h"
#include "rstlab/rules.h"
#include "rstlab/error.h"
#include "rstlab/packet_events.h"
#include "rstlab/packet_source.h"
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

std::string link_type_name(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return std::to_string(dlt) + (name ? std::string(" (") + name + ")" : "");
}

void check_link_type(int dlt, const std::string& name) {
  if (!kSupported.count(dlt))
    throw InputError(name + ": link type " + link_type_name(dlt) +
                     " is not supported (Ethernet, Linux cooked SLL/SLL2, raw IP and BSD loopback are)");
}

/// Fills `b` with up to a batch of `src`'s packets, numbered on from `frame`; true at the
/// end of the file (then `cut` says why, if it ended early). `last_ns`: the latest time seen.
bool read_batch(PacketSource& src, int dlt, uint64_t& frame, detail::PacketBatch& b, std::string& cut,
                int64_t& last_ns) {
  PacketView v;
  while (b.count < detail::PacketBatch::kCapacity) {
    if (!src.next(v)) {
      // A file cut short (a capture killed mid-write): keep what was read, say where it stopped.
      const std::string why = src.error();
      if (!why.empty()) cut = "file cut short after packet " + std::to_string(frame) + ": " + why;
      return true;
    }
    detail::DecodedPacket& d = b.add();
    last_ns = std::max(last_ns, v.t_ns);
    detail::decode_packet(dlt, ++frame, v.t_ns, v.data, v.caplen, v.wire_len, d);
    if (b.keep_raw) {
      d.raw_offset = static_cast<uint32_t>(b.raw.size());  // < 1024 packets of < 256 KiB
      b.raw.insert(b.raw.end(), v.data, v.data + v.caplen);
    }
  }
  return false;
}

/// Resets `b` for the reader to fill.
void start_batch(detail::PacketBatch& b, bool keep_raw, uint32_t file, bool file_start) {
  b.count = 0;
  b.keep_raw = keep_raw;
  b.raw.clear();
  b.file = file;
  b.file_start = file_start;
}

/// Runs `read` (the reader) on its own thread, giving each batch it publishes to
/// `take` on this one; the reader's exception, if any, is thrown here once both ended.
template <class Read, class Take>
void run_pipeline(Read read, Take take) {
  detail::BatchPipe pipe;
  std::exception_ptr reader_error;  // written by the reader before it ends
  std::thread reader([&] {
    try {
      read(pipe);
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
    if (!take(*b)) break;
    pipe.release();
  }
  pipe.close();
  reader.join();
  if (reader_error) std::rethrow_exception(reader_error);
}

/// The read loop shared by files and memory: `src` is owned by the caller. Two threads:
/// a reader (libpcap, decode, flow key) fills batches while this one follows the
/// connections in the batches before - reading and analysing cost about the same, and
/// each gets a core.
AnalyzeStats analyze_source(PacketSource& src, const std::string& name, const Analyzer::Sink& sink,
                            const AnalyzeOptions& options, std::vector<CapturedPacket>* kept, int* link_type) {
  const int dlt = src.link_type();
  if (link_type) *link_type = dlt;
  check_link_type(dlt, name);
  Analyzer analyzer(dlt, sink, options);
  const bool keep_raw = options.keep_flow.has_value();  // the flow's packets are wanted whole
  std::string cut;                                       // written by the reader before it ends
  run_pipeline(
      [&](detail::BatchPipe& pipe) {
        uint64_t frame = 0;
        int64_t last_ns = 0;
        for (bool end = false; !end;) {
          detail::PacketBatch* b = pipe.fill();
          if (!b) return;  // the analyzer stopped early
          start_batch(*b, keep_raw, 0, false);
          end = read_batch(src, dlt, frame, *b, cut, last_ns);
          pipe.publish();
        }
      },
      [&](const detail::PacketBatch& b) {
        analyzer.on_batch(b);
        return true;
      });
  analyzer.finish();
  if (kept) *kept = analyzer.kept_packets();
  AnalyzeStats stats = analyzer.stats();
  if (!cut.empty()) stats.warnings[cut] = 1;
  return stats;
}

}  // namespace

AnalyzeStats analyze_file(const std::string& path, const Analyzer::Sink& sink, const AnalyzeOptions& options,
                          std::vector<CapturedPacket>* kept, int* link_type) {
  const std::unique_ptr<PacketSource> src = open_capture_file(path);
  AnalyzeStats stats = analyze_source(*src, path, sink, options, kept, link_type);
  if (src->shrank()) {  // said once, in place of libpcap's view of the same end
    for (auto it = stats.warnings.begin(); it != stats.warnings.end();)
      it = it->first.rfind("file cut short", 0) == 0 ? stats.warnings.erase(it) : std::next(it);
    stats.warnings["file cut short after packet " + std::to_string(stats.packets) +
                   ": it got shorter while it was read (truncated by another program?)"] = 1;
  }
  return stats;
}

AnalyzeStats analyze_memory(const uint8_t* data, size_t size, const std::string& name, const Analyzer::Sink& sink) {
  const std::unique_ptr<PacketSource> src = open_capture_memory(data, size, name);
  return analyze_source(*src, name, sink, {}, nullptr, nullptr);
}

Trace connection_trace(const ConnectionReport& c, int link_type, const std::vector<CapturedPacket>& packets,
                       const std::string& source) {
  Trace t;
  t.kind = TraceKind::Capture;
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
  // One story per connection: the annotations and predictions are the analyzer's (the
  // table's and the JSON's), not a second reading of the packets.
  std::map<uint64_t, size_t> event_of;  // frame -> event
  for (size_t i = 0; i < t.events.size(); ++i)
    if (const auto* p = t.events[i].packet()) event_of.emplace(p->frame, i);
  static const char* const kRole[2] = {"client", "server"};
  for (const ResetReport& r : c.resets) {
    const auto e = event_of.find(r.frame);
    if (e == event_of.end()) continue;
    std::string text = std::string(r.cause) + ": " + r.explanation;
    t.annotations.push_back({e->second, "rst", std::move(text), rule_name(r.rule)});
  }
  for (const FinReport& f : c.fins) {
    const auto e = event_of.find(f.frame);
    if (e == event_of.end()) continue;
    const int from = f.from == c.a ? 0 : 1;
    t.annotations.push_back({e->second, "fin", rule_words(RuleId::FinReceived, 1, {kRole[from], kRole[1 - from]}),
                             rule_name(RuleId::FinReceived)});
  }
  std::stable_sort(t.annotations.begin(), t.annotations.end(),
                   [](const Annotation& x, const Annotation& y) { return x.event < y.event; });
  for (int s = 0; s < 2; ++s) {
    const EndpointPrediction& p = c.predicted[s];
    t.outlook.push_back({s == 0 ? "client a" : "server b", s == 0 ? c.a : c.b, p.next_read, p.next_write, p.so_error,
                         p.write_raises_sigpipe, p.why, p.inferred, p.unknown});
  }
  return t;
}

namespace detail {
namespace {

/// True if the file starts with a pcap or pcapng magic number.
bool looks_like_capture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char m[4] = {};
  if (!in.read(reinterpret_cast<char*>(m), 4)) return false;
  static const unsigned char kMagic[][4] = {{0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
                                            {0x4d, 0x3c, 0xb2, 0xa1}, {0x0a, 0x0d, 0x0d, 0x0a}};
  for (const auto& k : kMagic)
    if (std::memcmp(m, k, 4) == 0) return true;
  return false;
}

/// Its link type and first packet's time: the header and one record.
CaptureFile probe(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!p) throw InputError(path + ": " + err);
  const PcapCloser closer{p};
  CaptureFile f;
  f.path = path;
  f.link_type = pcap_datalink(p);
  check_link_type(f.link_type, path);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  if (pcap_next_ex(p, &hdr, &data) == 1) f.first_ns = int64_t(uint64_t(hdr->ts.tv_sec) * 1000000000u + uint64_t(hdr->ts.tv_usec));  // wraps, never overflows
  return f;
}

/// A capture time as people read it, UTC: "2026-11-29 19:55:03.123456".
std::string clock_time(int64_t ns) {
  const std::time_t s = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm = {};
  gmtime_r(&s, &tm);
  char buf[48];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(ns % 1000000000 / 1000));
  return buf;
}

/// What the reader found in one file; written before its first batch is published.
struct FileState {
  bool new_group = false;
  std::string separate;
  int link_type = 0;
  uint64_t first_frame = 1;
  std::string cut;  // written before its last batch is published
};

}  // namespace

const std::string& CaptureGroup::file_of(uint64_t frame) const {
  const auto it = std::upper_bound(first_frame.begin(), first_frame.end(), frame);
  return files[it == first_frame.begin() ? 0 : static_cast<size_t>(it - first_frame.begin()) - 1];
}

std::string CaptureGroup::frames_in() const {
  if (files.size() == 1) return files[0];
  std::string s;
  for (size_t i = 0; i < files.size(); ++i) {
    const uint64_t from = first_frame[i], to = i + 1 < files.size() ? first_frame[i + 1] - 1 : frames;
    s += (i ? ", " : "") + files[i] + " (" + (i ? "" : "frames ");
    s += to < from ? std::string("no packets") : std::to_string(from) + "-" + std::to_string(to);
    s += ")";
  }
  return s;
}

std::string CaptureGroup::name() const {
  if (files.size() == 1) return files[0];
  return std::to_string(files.size()) + " files (" + files.front() + " ... " + files.back() + ")";
}

std::vector<CaptureFile> list_capture_files(const std::vector<std::string>& args, std::vector<std::string>& skipped) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths;
  for (const std::string& a : args) {
    if (a == "-") throw InputError("-: standard input can only be read alone, not with other files");
    std::error_code ec;
    if (!fs::is_directory(a, ec)) {
      paths.push_back(a);
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& e : fs::directory_iterator(a, ec)) {
      std::error_code ec2;
      if (!e.is_regular_file(ec2)) continue;
      if (looks_like_capture(e.path())) inside.push_back(e.path().string());
      else skipped.push_back(e.path().string());
    }
    if (ec) throw InputError(a + ": " + ec.message());
    if (inside.empty())
      throw InputError(a + ": no pcap or pcapng file in this folder (files are recognised by their first bytes)");
    std::sort(inside.begin(), inside.end());
    paths.insert(paths.end(), inside.begin(), inside.end());
  }
  std::vector<CaptureFile> files;
  for (const std::string& p : paths) files.push_back(probe(p));
  std::stable_sort(files.begin(), files.end(), [](const CaptureFile& x, const CaptureFile& y) {
    if (x.first_ns.has_value() != y.first_ns.has_value()) return x.first_ns.has_value();
    return x.first_ns.value_or(0) < y.first_ns.value_or(0);
  });
  std::sort(skipped.begin(), skipped.end());
  return files;
}

void analyze_files(const std::vector<CaptureFile>& files, const std::function<GroupRun(const CaptureGroup&)>& begin,
                   const std::function<bool(const CaptureGroup&, const AnalyzeStats&, std::vector<CapturedPacket>&)>& end,
                   bool keep_packets) {
  std::vector<FileState> state(files.size());  // the reader writes file i's before its batches go out
  std::optional<Analyzer> analyzer;
  CaptureGroup group;
  size_t groups = 0;
  std::vector<uint32_t> group_files;  // indexes into files and state
  std::vector<CapturedPacket> kept;
  const auto finish_group = [&]() {
    for (uint32_t f : group_files)  // each file's last batch was taken: its state is complete
      if (!state[f].cut.empty()) group.file_warnings[files[f].path] = state[f].cut;
    analyzer->finish();
    AnalyzeStats stats = analyzer->stats();
    kept = analyzer->kept_packets();
    analyzer.reset();
    group.frames = stats.packets;
    return end(group, stats, kept);
  };
  bool stopped = false;
  run_pipeline(
      [&](BatchPipe& pipe) {
        int group_dlt = -1;
        int64_t last_ns = 0;
        bool have_last = false;
        uint64_t frame = 0;
        std::string last_file;
        for (size_t i = 0; i < files.size(); ++i) {
          const CaptureFile& f = files[i];
          FileState& st = state[i];
          const std::unique_ptr<PacketSource> src = open_capture_file(f.path);
          st.link_type = src->link_type();
          check_link_type(st.link_type, f.path);
          if (i == 0) {
            st.new_group = true;
          } else if (st.link_type != group_dlt) {
            st.new_group = true;
            st.separate = "its link type is " + link_type_name(st.link_type) + ", " + last_file + "'s " +
                          link_type_name(group_dlt) + ": not one capture";
          } else if (have_last && f.first_ns && *f.first_ns < last_ns) {
            st.new_group = true;
            st.separate = "its packets (from " + clock_time(*f.first_ns) + ") overlap " + last_file + "'s (up to " +
                          clock_time(last_ns) + "): not one capture";
          }
          if (st.new_group) {
            group_dlt = st.link_type;
            frame = 0;
            have_last = false;
          }
          st.first_frame = frame + 1;
          last_file = f.path;
          for (bool file_start = true, done = false; !done; file_start = false) {
            PacketBatch* b = pipe.fill();
            if (!b) return;  // the analyzer stopped early
            start_batch(*b, keep_packets, static_cast<uint32_t>(i), file_start);
            std::string cut;
            const uint64_t before = frame;
            done = read_batch(*src, st.link_type, frame, *b, cut, last_ns);
            if (frame > before) have_last = true;
            if (done) {
              if (src->shrank())
                cut = "file cut short after packet " + std::to_string(frame) +
                      ": it got shorter while it was read (truncated by another program?)";
              st.cut = std::move(cut);
            }
            pipe.publish();
          }
        }
      },
      [&](const PacketBatch& b) {
        if (b.file_start) {
          const FileState& st = state[b.file];
          if (st.new_group) {
            if (analyzer && !finish_group()) {
              stopped = true;
              return false;
            }
            group = CaptureGroup{};
            group.index = groups++;
            group.link_type = st.link_type;
            group.separate = st.separate;
            group_files.clear();
          }
          group.files.push_back(files[b.file].path);
          group.first_frame.push_back(st.first_frame);
          group_files.push_back(b.file);
          if (st.new_group) {  // begin() sees the group's first file
            GroupRun run = begin(group);
            analyzer.emplace(st.link_type, std::move(run.sink), std::move(run.options));
          }
        }
        analyzer->on_batch(b);
        return true;
      });
  if (analyzer && !stopped) finish_group();
}

}  // namespace detail
}  // namespace rstlab
