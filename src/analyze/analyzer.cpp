// SPDX-License-Identifier: MIT
// The connection table of `rstlab analyze`. Per packet: a bounds-checked decode (no
// allocation, checksums only for RSTs), one hash lookup, one model update. Per RST or
// FIN: a classification with words. A connection that has closed and gone quiet is
// reported and freed while the file streams, so memory follows the open connections.
#include "rstlab/analyze.h"

#include "analyze/flow_table.h"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <cstring>
#include <deque>
#include <memory>

#include "rstlab/seq.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

using detail::FlowKey;

FlowKey key_of(const TcpSegment& s) {
  const Endpoint* lo = &s.src;
  const Endpoint* hi = &s.dst;
  const int c = std::memcmp(s.src.addr.bytes.data(), s.dst.addr.bytes.data(), 16);
  if (c > 0 || (c == 0 && s.src.port > s.dst.port)) std::swap(lo, hi);
  FlowKey k;
  std::memcpy(&k.w[0], lo->addr.bytes.data(), 16);
  std::memcpy(&k.w[2], hi->addr.bytes.data(), 16);
  k.w[4] = uint64_t(lo->port) | uint64_t(hi->port) << 16 | uint64_t(s.src.addr.family == Family::V6) << 32;
  return k;
}

}  // namespace

struct Analyzer::Impl {
  struct Conn {
    ConnectionReport report;
    ConnectionModel model;
    uint32_t last_seq[2] = {0, 0};  // last data/SYN/FIN seq each side sent
    uint32_t retrans[2] = {0, 0};   // consecutive repeats of it
    uint32_t max_retrans[2] = {0, 0};
    bool sent[2] = {false, false};
    int last_data_from = -1;        // which side sent the last payload
    bool reset_accepted = false, refused = false;
    bool saw_syn = false;
    uint32_t syn_isn = 0;
    int64_t last_ts = 0;
    bool closed() const { return reset_accepted || (report.fins.size() >= 2); }
  };

  int link_type;
  Sink sink;
  AnalyzeOptions options;
  AnalyzeStats& stats;
  std::vector<CapturedPacket>& kept;
  detail::FlowTable<Conn> table;
  /// Connections in the order they closed, for the sweep (no scan of the table).
  struct Closed {
    FlowKey key;
    int64_t ts;
  };
  std::deque<Closed> closed_fifo;
  uint64_t next_id = 1;
  int64_t now = 0;

  Impl(int lt, Sink s, AnalyzeOptions o, AnalyzeStats& st, std::vector<CapturedPacket>& k)
      : link_type(lt), sink(std::move(s)), options(o), stats(st), kept(k) {
  }

  std::unique_ptr<Conn> open(const TcpSegment& s, uint64_t frame) {
    auto c = std::make_unique<Conn>();
    c->model.track_receive_queue = false;  // the wire cannot tell what applications read
    // Events are frame numbers here: the model's default "#N" names them as Wireshark does.
    ConnectionReport& r = c->report;
    r.id = next_id++;
    r.first_frame = frame;
    const bool syn = s.has(tcpflag::SYN);
    if (syn && s.has(tcpflag::ACK)) {  // we missed the SYN: its sender is the destination
      r.a = s.dst;
      r.b = s.src;
    } else {
      r.a = s.src;
      r.b = s.dst;
    }
    if (!syn) {
      r.mid_stream = true;
      c->model.assume_established();
      r.notes.push_back("no handshake in the capture: both endpoints assumed ESTABLISHED, "
                        "and the first sequence numbers seen taken as in order");
    }
    ++stats.connections;
    return c;
  }

  /// Why side `from` sent this RST, judged from the wire, before the model sees it.
  void classify_reset(Conn& c, int from, const TcpSegment& s, ResetReport& out) {
    const EndpointModel& a = c.model.side[from];
    const EndpointModel& b = c.model.side[1 - from];
    const std::string who = from == 0 ? "a" : "b", other = from == 0 ? "b" : "a";
    if (b.state == TcpState::SynSent && s.has(tcpflag::ACK)) {
      out.cause = "refused";
      out.explanation = "nothing listens on " + who + "'s port: RST|ACK answers the SYN";
    } else if (a.fin_sent && a.data_after_fin) {
      out.cause = "data-after-close";
      out.explanation = who + " had closed (FIN sent); " + other +
                        "'s data arrived afterwards and was answered with RST";
    } else if (c.max_retrans[from] >= 3 || c.retrans[from] >= 3) {
      out.cause = "retransmission-storm";
      out.explanation = who + " retransmitted " + std::to_string(std::max(c.max_retrans[from], c.retrans[from])) +
                        " times without an answer, then gave up with RST";
    } else if (c.retrans[1 - from] >= 3) {
      out.cause = "retransmission-storm";
      out.explanation = "RST answering " + other + "'s " + std::to_string(c.retrans[1 - from]) +
                        " retransmissions: " + who + " no longer has the connection";
    } else if (!a.fin_sent && c.last_data_from == 1 - from && s.has(tcpflag::ACK)) {
      out.cause = "close-unread-data";
      out.explanation = who + " closed with unread data (" + other +
                        "'s last bytes were never answered): RST|ACK instead of FIN";
    } else {
      out.cause = "abort";
      out.explanation = who + " aborted with nothing pending (SO_LINGER 0 close, or the process died)";
    }
  }

  void on_packet(uint64_t frame, int64_t t, const uint8_t* data, size_t caplen, uint32_t wire_len) {
    ++stats.packets;
    now = t;
    TcpSegment s;
    DecodeStatus st = decode_tcp(link_type, data, caplen, s, false);
    if (st == DecodeStatus::NotTcp) {
      ++stats.not_tcp;
      return;
    }
    if (st != DecodeStatus::Ok) {
      ++stats.warnings[decode_status_name(st)];
      return;
    }
    if (s.payload_captured < s.payload_len) {
      if (caplen >= wire_len) {  // not cut by snaplen: the IP header claims bytes that never existed
        ++stats.warnings["ip-length-beyond-packet"];
        return;
      }
      ++stats.warnings["cut-by-snaplen"];
    }
    ++stats.tcp;
    if (s.has(tcpflag::RST)) decode_tcp(link_type, data, caplen, s, true);  // a bad sum matters here

    const FlowKey key = key_of(s);
    Conn* found = table.find(key);
    const bool new_syn = s.has(tcpflag::SYN) && !s.has(tcpflag::ACK);
    if (found && new_syn &&
        (found->closed() || !found->report.fins.empty() || (found->saw_syn && found->syn_isn != s.seq))) {
      report(table.take(key));  // a new SYN after the close (or with another ISN): a new connection
      found = nullptr;
    }
    if (!found) {
      found = table.insert(key, open(s, frame));
      stats.peak_open = std::max(stats.peak_open, table.size());
    }
    Conn& c = *found;
    const bool was_closed = c.closed();
    ConnectionReport& r = c.report;
    ++r.packets;
    r.last_frame = frame;
    c.last_ts = t;
    if (options.keep_flow && *options.keep_flow == r.id) {
      CapturedPacket p;
      p.frame = frame;
      p.t_ns = t;
      p.wire_len = wire_len;
      p.data.assign(data, data + caplen);
      kept.push_back(std::move(p));
    }
    const int from = s.src == r.a ? 0 : 1;
    if (new_syn && !c.saw_syn) {
      c.saw_syn = true;
      c.syn_isn = s.seq;
    }

    // Retransmissions: the same sequence-space-occupying segment again.
    const uint32_t seg_len = s.seq_len();
    if (seg_len > 0 && !s.has(tcpflag::RST)) {
      if (c.sent[from] && s.seq == c.last_seq[from]) {
        ++c.retrans[from];
        c.max_retrans[from] = std::max(c.max_retrans[from], c.retrans[from]);
      } else if (!c.sent[from] || seq::gt(s.seq, c.last_seq[from])) {
        c.retrans[from] = 0;
        c.last_seq[from] = s.seq;
      }
      c.sent[from] = true;
    } else if (s.has(tcpflag::ACK) && c.sent[1 - from]) {
      // An ACK covering the other side's segment ends its retransmission run.
      if (seq::gt(s.ack, c.last_seq[1 - from])) c.retrans[1 - from] = 0;
    }

    std::optional<ResetReport> rst;
    if (s.has(tcpflag::RST)) {
      rst.emplace();
      classify_reset(c, from, s, *rst);
      ++stats.resets;
    }
    SegmentFacts f{s.flags, s.seq, s.ack, s.payload_len, s.window, s.wscale,
                   s.checksum != TcpSegment::Checksum::Bad};
    const SegmentVerdict v = c.model.on_segment(from, f, frame);
    if (s.payload_len > 0) c.last_data_from = from;
    if (rst) {
      rst->frame = frame;
      rst->from = from == 0 ? r.a : r.b;
      rst->to = from == 0 ? r.b : r.a;
      rst->reaction = v.reaction;
      rst->err = v.err;
      if (v.dropped_bad_checksum) {
        rst->reaction = RstReaction::Ignored;
        rst->cause = "bad-checksum";
        rst->explanation = "bad TCP checksum: dropped before TCP looks at it";
        r.anomaly = true;
      } else if (v.reaction == RstReaction::ChallengeAck) {
        rst->cause = "in-window-not-exact";
        rst->explanation = v.why;
        r.anomaly = true;
      } else if (v.reaction == RstReaction::Ignored) {
        if (rst->cause != "refused") rst->cause = v.why.find("outside") != std::string::npos ? "out-of-window" : "ignored";
        rst->explanation = v.why;
        r.anomaly = true;
      } else {
        rst->explanation += "; " + v.why;
        c.reset_accepted = true;
        if (v.err == ECONNREFUSED) c.refused = true;
      }
      if (rst->cause == "retransmission-storm") r.anomaly = true;
      r.resets.push_back(std::move(*rst));
    }
    if (v.fin) {
      ++stats.fins;
      r.fins.push_back({frame, from == 0 ? r.a : r.b, from == 0 ? r.b : r.a});
    }
    if (v.challenge_ack)
      r.notes.push_back("#" + std::to_string(frame) + " is the challenge ACK answering an in-window RST "
                        "(RFC 5961), not a duplicate ACK, a retransmission or an out-of-order segment");

    if (!was_closed && c.closed()) closed_fifo.push_back({key, t});
    if ((stats.packets & 0xfff) == 0) sweep();
  }

  /// Reports and frees closed connections that went quiet.
  void sweep() {
    while (!closed_fifo.empty() && now - closed_fifo.front().ts > options.linger_ns) {
      const Closed k = closed_fifo.front();
      closed_fifo.pop_front();
      Conn* c = table.find(k.key);
      if (!c || !c->closed()) continue;  // gone already, or a new connection on the same ports
      if (now - c->last_ts > options.linger_ns) report(table.take(k.key));
      else closed_fifo.push_back({k.key, c->last_ts});  // it was still talking: look again later
    }
  }

  void predict(Conn& c, bool explain) {
    ConnectionReport& r = c.report;
    for (int s = 0; s < 2; ++s) {
      EndpointPrediction& p = r.predicted[s];
      const EndpointModel& m = c.model.side[s];
      // The results are cheap; the reasons are words, built only when asked for.
      if (!explain && !m.pending_err && !m.rd_shut && !m.wr_shut && !m.sent_reset) {
        p.next_read = p.next_write = "ok";
        p.so_error = "0";
        p.write_raises_sigpipe = false;
        continue;
      }
      const Prediction rd = c.model.predict_read(s), wr = c.model.predict_write(s), so = c.model.predict_so_error(s);
      p.next_read = rd.result == "block" || rd.result == "data" ? "ok" : rd.result;
      p.next_write = wr.result;
      p.write_raises_sigpipe = wr.result.find("+SIGPIPE") != std::string::npos;
      if (p.write_raises_sigpipe) p.next_write = wr.result.substr(0, wr.result.find(" +SIGPIPE"));
      p.so_error = so.result;
      if (explain) p.why = m.pending_err ? wr.reason : rd.result == "EOF" ? rd.reason : wr.reason;
    }
    // Unanswered retransmissions up to the end: the sender's kernel will give up.
    if (r.ending == "timeout")
      for (int s = 0; s < 2; ++s)
        if (c.retrans[s] >= 2 && r.predicted[s].next_read == "ok") {
          EndpointPrediction& p = r.predicted[s];
          p.next_read = p.next_write = "ETIMEDOUT";
          p.so_error = "ETIMEDOUT";
          p.write_raises_sigpipe = false;
          p.why = "its data went unacknowledged (" + std::to_string(c.retrans[s]) +
                  " retransmissions, no answer): when the retransmission limit or TCP_USER_TIMEOUT "
                  "runs out the kernel aborts with ETIMEDOUT and sends no RST";
        }
  }

  void report(std::unique_ptr<Conn> c) {
    ConnectionReport& r = c->report;
    if (c->refused) r.ending = "refused";
    else if (c->reset_accepted) r.ending = "rst";
    else if (r.fins.size() >= 2) r.ending = "fin";
    else if (c->retrans[0] >= 2 || c->retrans[1] >= 2) r.ending = "timeout";
    else r.ending = "open";
    if (r.ending == "timeout") r.anomaly = true;
    predict(*c, options.explain(r));
    sink(r);
  }

  void finish() {
    std::vector<std::unique_ptr<Conn>> rest;
    table.drain([&](std::unique_ptr<Conn> c) { rest.push_back(std::move(c)); });
    std::sort(rest.begin(), rest.end(), [](const auto& x, const auto& y) { return x->report.id < y->report.id; });
    for (auto& c : rest) report(std::move(c));
  }
};

Analyzer::Analyzer(int link_type, Sink sink, AnalyzeOptions options)
    : impl_(std::make_unique<Impl>(link_type, std::move(sink), options, stats_, kept_)) {}
Analyzer::~Analyzer() = default;

void Analyzer::on_packet(uint64_t frame, int64_t t, const uint8_t* data, size_t caplen, uint32_t wire_len) {
  impl_->on_packet(frame, t, data, caplen, wire_len);
}

void Analyzer::finish() { impl_->finish(); }

}  // namespace rstlab
