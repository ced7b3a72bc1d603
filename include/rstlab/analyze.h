// SPDX-License-Identifier: MIT
#pragma once
/// @file Offline analysis of a capture: every connection, every RST and FIN, who sent
/// it and most likely why, what it did to its receiver, and what each endpoint's next
/// read and write return - with the same connection model as live runs. Streaming: a
/// finished connection is reported and freed as the file goes by.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rstlab/address.h"
#include "rstlab/capture.h"
#include "rstlab/tcp_model.h"
#include "rstlab/trace.h"

namespace rstlab {

namespace detail {
struct PacketBatch;
}

/// One RST of a connection.
struct ResetReport {
  uint64_t frame = 0;
  Endpoint from, to;
  RstReaction reaction = RstReaction::Ignored;
  std::string_view cause;   ///< slug (static text): close-unread-data, data-after-close, refused, abort, ...
  RuleId cause_rule = RuleId::None;  ///< why its sender sent it (a cause.* rule; ConnectionModel::classify_rst_cause)
  RuleId rule = RuleId::None;        ///< what it did to its receiver (an rst.* rule, or segment.bad-checksum)
  std::string explanation;  ///< one line (AnalyzeOptions::words)
  int err = 0;              ///< errno the receiver stores (0: none)
  /// What the checksum field showed: "good", "offload" (the sending host's unfinished
  /// checksum, completed later by the NIC: valid on the wire), "bad", "unverified"
  /// (cut by the snap length).
  std::string_view checksum = "unverified";
};

/// One FIN of a connection.
struct FinReport {
  uint64_t frame = 0;
  Endpoint from, to;
};

/// What the next calls of one endpoint return, as far as the wire tells.
struct EndpointPrediction {
  std::string next_read;   ///< "ok", "EOF", "ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"
  std::string next_write;  ///< "ok", "EPIPE", "ECONNRESET", ...
  bool write_raises_sigpipe = false;
  std::string so_error;    ///< "0" or an errno name
  std::string why;         ///< one line (AnalyzeOptions::words)
  /// The prediction rests on state inferred from the other side's segments (the capture
  /// holds none of this endpoint's own, or not its handshake); `unknown` says what the
  /// capture cannot tell (AnalyzeOptions::words).
  bool inferred = false;
  std::string unknown;
};

/// (The analyzer reuses these between connections, buffers and all: a field added here is
/// also reset in Analyzer::Impl::start_report.)
struct ConnectionReport {
  uint64_t id = 0;      ///< 1-based, in order of first packet
  Endpoint a, b;        ///< a sent the first SYN (or the first packet, mid-stream)
  bool mid_stream = false;
  std::string ending;   ///< "rst", "fin", "refused", "timeout", "open"
  bool anomaly = false; ///< ignored/challenged RSTs, bad checksums, retransmission storms
  std::vector<ResetReport> resets;
  std::vector<FinReport> fins;
  EndpointPrediction predicted[2];  ///< [0] for a, [1] for b
  uint64_t packets = 0, first_frame = 0, last_frame = 0;
  std::vector<std::string> notes;   ///< assumptions and anomalies, in words (AnalyzeOptions::words)
};

/// What a cause slug (ResetReport::cause) means, in one line; "" for an unknown slug.
std::string_view reset_cause_meaning(std::string_view cause);

struct AnalyzeOptions {
  /// Keep the packets of this connection (by id) for its trace.
  std::optional<uint64_t> keep_flow;
  /// A closed connection idle this long (capture time) is reported and freed.
  int64_t linger_ns = 2'000'000'000;
  /// Which connections the sink gets (unset: all). The others are counted in the stats
  /// and dropped without predictions: a summary of what ended badly skips the work for
  /// the clean majority.
  std::function<bool(const ConnectionReport&)> report_only;
  /// The words: ResetReport::explanation, EndpointPrediction::why and the notes. Off,
  /// the analysis is the same (causes, reactions, errnos, predictions) and the words
  /// are left empty: they cost more than the analysis itself, and a table of a
  /// hundred thousand connections prints one line for each, not its reasons.
  bool words = true;
  /// The words (EndpointPrediction::why) also for an endpoint whose next read and write
  /// are both "ok" (the summary table does not print those; words cost more than the
  /// analysis itself).
  bool explain_ok_endpoints = true;
  /// Called every 2^20 packets with the count so far (a progress line on long files).
  std::function<void(uint64_t packets)> progress;
};

struct AnalyzeStats {
  uint64_t packets = 0, tcp = 0, not_tcp = 0, connections = 0, resets = 0, fins = 0;
  std::map<std::string, uint64_t> warnings;  ///< decode problems by name, e.g. "truncated"
  /// Segments whose checksum field holds the sending host's unfinished (offload-pending)
  /// sum: captured on the host that sent them, valid on the wire.
  uint64_t offload_checksums = 0;
  uint64_t bad_checksums = 0;  ///< neither correct nor offload-pending
  size_t peak_open = 0;                      ///< most connections held at once
};

/// Streams packets through the connection table.
class Analyzer {
 public:
  using Sink = std::function<void(const ConnectionReport&)>;
  Analyzer(int link_type, Sink sink, AnalyzeOptions options = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  void on_packet(uint64_t frame, int64_t t_ns, const uint8_t* data, size_t caplen, uint32_t wire_len);
  /// The same for a batch decoded ahead by analyze_file's reader thread.
  void on_batch(const detail::PacketBatch& batch);
  /// Reports every connection still held; call once at the end.
  void finish();
  const AnalyzeStats& stats() const { return stats_; }
  /// The kept flow's packets and endpoints (AnalyzeOptions::keep_flow), after finish().
  const std::vector<CapturedPacket>& kept_packets() const { return kept_; }

 private:
  struct Impl;
  AnalyzeStats stats_;
  std::vector<CapturedPacket> kept_;
  std::unique_ptr<Impl> impl_;
};

/// Reads a pcap or pcapng file through the analyzer. Throws InputError naming the file
/// (and the packet number) when it cannot be read; per-packet problems are counted.
AnalyzeStats analyze_file(const std::string& path, const Analyzer::Sink& sink, const AnalyzeOptions& options = {},
                          std::vector<CapturedPacket>* kept = nullptr, int* link_type = nullptr);

/// The same over a pcap/pcapng file held in memory (fuzzing, tests).
AnalyzeStats analyze_memory(const uint8_t* data, size_t size, const std::string& name, const Analyzer::Sink& sink);

/// The annotated trace of one connection of a capture (for --flow and the renderers).
Trace connection_trace(const ConnectionReport& c, int link_type, const std::vector<CapturedPacket>& packets,
                       const std::string& source);

}  // namespace rstlab
