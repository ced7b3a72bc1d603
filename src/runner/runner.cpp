// SPDX-License-Identifier: MIT
// The live runner. One thread, one poll() loop: the recorder, the peer's link (or the
// tun relay) and the actors' control sockets are serviced together, so a call that
// blocks in an actor is answered by the peer while the runner waits for it.
#include "rstlab/runner.h"

#include <poll.h>
#include <time.h>

#include <memory>

#include "link/delay_link.h"
#include "rstlab/annotate.h"
#include "rstlab/error.h"
#include "rstlab/middle.h"
#include "rstlab/peer.h"
#include "rstlab/render.h"
#include "runner/calls.h"
#include "runner/lab_cache.h"
#include "util/clock.h"

namespace rstlab {
namespace {

using Clock = std::chrono::steady_clock;

int64_t now_ns() { return detail::wall_clock_ns(); }

/// After a step, how long to wait for segments a kernel socket says it sent
/// (tcpi_segs_out) to reach the far end. On veth/tun this is microseconds.
constexpr std::chrono::milliseconds kSettleDeadline{250};

class LiveRun {
 public:
  LiveRun(const Scenario& sc, const RunOptions& opt, LabCache::Entry& lab)
      : sc_(sc), opt_(opt), lab_(*lab.lab), recorder_(*lab.recorder) {
    // Whatever an earlier run left in flight is not part of this one.
    recorder_.drain();
    recorder_.clear();
    recorder_.stats(drop_base_, ifdrop_base_);
    const auto shift = static_cast<uint16_t>(lab.runs++);  // below LabCache::max_runs()
    // The socket under study lives on the near side; the far end on the other.
    const bool client_near = sc.client.kind == ActorKind::Kernel;
    ep_[0] = {client_near ? lab_.near_addr() : lab_.far_addr(), uint16_t(sc.client_port + shift)};
    ep_[1] = {client_near ? lab_.far_addr() : lab_.near_addr(), uint16_t(sc.server_port + shift)};
    const ActorSpec* spec[2] = {&sc.client, &sc.server};
    for (int i = 0; i < 2; ++i) {
      if (spec[i]->kind == ActorKind::Kernel) {
        const bool near = !sc.kernel_vs_kernel() || i == 0;  // kvk: the server is far
        actor_[i] = std::make_unique<KernelActor>(role_name(Role(i)),
                                                  near ? lab_.near_netns() : lab_.far_netns(),
                                                  spec[i]->sigpipe);
      } else if (spec[i]->kind == ActorKind::Peer) {
        delay_link_ = std::make_unique<detail::DelayLink>(lab_.peer_link());
        peer_ = std::make_unique<Peer>(*delay_link_, ep_[i]);
        peer_role_ = i;
        peer_->on_auto_action = [this, i](const std::string& what) {
          add_action(role_name(Role(i)), "auto", what, now_ns());
        };
        if (i == 1) peer_->listen(ep_[0]);
      }
    }
    if (sc.middle)  // kernel against kernel: the client is on the near side
      middle_ = std::make_unique<Middle>(ep_[0], ep_[1], [this](bool as_client, const std::vector<uint8_t>& b) {
        lab_.inject(as_client, b);
      });
    trace_.scenario = sc.name;
    trace_.title = sc.title;
    trace_.story = sc.story;
    trace_.link = link_name(opt.link);
    trace_.family = sc.family;
    for (int i = 0; i < 2; ++i) {
      ActorInfo& info = i == 0 ? trace_.client : trace_.server;
      info.kind = spec[i]->kind == ActorKind::Kernel ? "kernel" : spec[i]->kind == ActorKind::Peer ? "peer" : "none";
      info.endpoint = ep_[i];
      if (spec[i]->kind == ActorKind::Kernel) info.sigpipe = sigpipe_mode_name(spec[i]->sigpipe);
    }
  }

  ~LiveRun() {
    // Only when run() threw: the lab is reused, so put the value back if at all possible;
    // the exception already on its way says what went wrong.
    if (saved_rto_min_) {
      try {
        lab_.set_sysctl(kRtoMin, *saved_rto_min_);
      } catch (const Error&) {
      }
    }
  }

  RunResult run() {
    if (sc_.rto_min_ms) {
      // The lab is reused by later runs: the value found here is put back afterwards.
      saved_rto_min_ = lab_.get_sysctl(kRtoMin);
      if (!saved_rto_min_ || !lab_.set_sysctl(kRtoMin, std::to_string(*sc_.rto_min_ms * 1000))) {
        saved_rto_min_.reset();
        trace_.failures.push_back("this kernel has no net.ipv4.tcp_rto_min_us: rto_min cannot be applied");
      }
    }
    // The challenge-ACK rate limit the annotator's model applies is the lab's own.
    if (const auto v = lab_.get_sysctl("net/ipv4/tcp_invalid_ratelimit"))
      trace_.invalid_ratelimit_ms = std::atoi(v->c_str());
    if (opt_.on_lab_ready) opt_.on_lab_ready();
    for (const Step& step : sc_.steps) run_step(step);
    settle();
    if (saved_rto_min_) {
      lab_.set_sysctl(kRtoMin, *saved_rto_min_);
      saved_rto_min_.reset();
    }
    RunResult out;
    recorder_.stats(trace_.capture.dropped, trace_.capture.if_dropped);
    trace_.capture.dropped -= drop_base_;
    trace_.capture.if_dropped -= ifdrop_base_;
    if (trace_.capture.dropped || trace_.capture.if_dropped)
      trace_.failures.push_back("the capture dropped packets: the trace is incomplete");
    size_t truncated = 0;
    for (const auto& p : recorder_.packets()) truncated += p.data.size() < p.wire_len;
    if (truncated)
      trace_.failures.push_back("the capture cut " + std::to_string(truncated) +
                                " packets short (larger than the interface's MTU): the trace is incomplete");
    out.link_type = recorder_.link_type();
    out.packets = connection_packets(trace_, out.link_type, recorder_.packets(), trace_.capture.foreign);
    trace_.capture.file = "capture.pcap";
    add_packet_events(trace_, out.link_type, out.packets);
    if (middle_) middle_->mark_injected(trace_, out.link_type, out.packets);
    trace_.sort_events();
    annotate(trace_);
    out.trace = std::move(trace_);
    return out;
  }

 private:
  static constexpr const char* kRtoMin = "net/ipv4/tcp_rto_min_us";
  std::optional<std::string> saved_rto_min_;  ///< set while this run holds the lab's rto_min
  // ---- the event loop ------------------------------------------------------

  /// One poll over everything; handles what is ready. Returns true if anything was.
  bool service(int timeout_ms) {
    bool did = delay_link_ && delay_link_->release_due() > 0;
    if (delay_link_) {
      const int due = delay_link_->next_due_ms();
      if (due >= 0 && (timeout_ms < 0 || due < timeout_ms)) timeout_ms = due;
    }
    std::vector<pollfd> fds;
    fds.push_back({recorder_.fd(), POLLIN, 0});
    if (peer_) fds.push_back({lab_.peer_link().fd(), POLLIN, 0});
    for (int fd : lab_.pump_fds()) fds.push_back({fd, POLLIN, 0});
    const size_t first_actor = fds.size();
    for (int i = 0; i < 2; ++i)
      if (actor_[i] && actor_[i]->busy() && !ready_[i]) fds.push_back({actor_[i]->fd(), POLLIN, 0});
    const int n = ::poll(fds.data(), fds.size(), did ? 0 : timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return true;
      throw_errno("poll");
    }
    if (delay_link_) did |= delay_link_->release_due() > 0;
    if (n == 0) return did;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      if (k == 0) {
        did |= recorder_.drain() > 0;
      } else if (k >= first_actor) {
        for (int i = 0; i < 2; ++i)
          if (actor_[i] && actor_[i]->fd() == fds[k].fd) ready_[i] = true;
        did = true;
      } else if (peer_ && fds[k].fd == lab_.peer_link().fd()) {
        did |= peer_->service() > 0;
      } else {
        lab_.pump(fds[k].fd);
        did = true;
      }
    }
    return did;
  }

  /// Services the network until `done()` or the deadline. Returns done().
  template <class Pred>
  bool wait_until(Pred done, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return done();
      service(static_cast<int>(left.count()) + 1);
    }
    return true;
  }

  uint64_t seen_from(const Endpoint& src) const {
    if (peer_) return peer_->received_from(src);
    uint64_t n = 0;  // kernel against kernel: the recorder is the far end's witness
    TcpSegment s;
    for (const auto& p : recorder_.packets())
      if (decode_tcp(recorder_.link_type(), p.data.data(), p.data.size(), s) == DecodeStatus::Ok &&
          s.src == src && !(middle_ && middle_->injected(recorder_.link_type(), p)))
        ++n;
    return n;
  }

  /// Lets everything in flight land: drain until idle, and make sure every segment
  /// the kernel sockets say they sent has reached the far end.
  void settle() {
    while (service(0)) {
    }
    for (int i = 0; i < 2; ++i) {
      const KernelActor* a = actor_[i].get();
      if (!a || !a->alive() || !a->local()) continue;
      const Endpoint src = *a->local();
      const uint64_t want = a->segs_out();
      wait_until([&] { return seen_from(src) >= want; }, kSettleDeadline);
    }
    while (service(0)) {
    }
  }

  // ---- steps ---------------------------------------------------------------

  void fail(const Step& step, const std::string& what) {
    const std::string where = step.where.empty() ? "" : step.where + ": ";
    trace_.failures.push_back(where + role_name(step.actor) + " " + step.text + ": " + what);
  }

  void add_action(const std::string& actor, const std::string& action, const std::string& detail,
                  int64_t t, const Step* step = nullptr, std::optional<bool> met = std::nullopt) {
    Event e;
    e.t_ns = t;
    e.body = ActionEvent{actor, action, detail};
    if (step) {
      e.line = step->where;
      if (step->op == StepOp::PeerExpect) e.expected = "segment " + step->data;
    }
    e.met = met;
    trace_.events.push_back(std::move(e));
  }

  void run_step(const Step& step) {
    if (step.after_ms > 0) wait_until([] { return false; }, std::chrono::milliseconds(step.after_ms));
    if (step.actor == Role::Middle) return run_middle_step(step);
    const int i = step.actor == Role::Client ? 0 : 1;
    if (step.op == StepOp::Call || step.op == StepOp::Wait) {
      if (!actor_[i]) return fail(step, "this actor is not a kernel socket");
      return run_call(step, *actor_[i], i);
    }
    if (!peer_ || peer_role_ != i) return fail(step, "this actor is not the crafted peer");
    run_peer_step(step);
  }

  void run_call(const Step& step, KernelActor& actor, int i) {
    if (step.op == StepOp::Call) {
      if (!actor.alive()) return fail(step, "not run: the actor process has ended (" + actor.death() + ")");
      if (actor.busy()) return fail(step, "not run: the actor is still inside a background call");
      pending_[i] = step.call;
      if (pending_[i].call == KernelCall::Connect) {
        pending_[i].local = ep_[i];
        pending_[i].remote = ep_[1 - i];
      } else if (pending_[i].call == KernelCall::Listen) {
        pending_[i].local = ep_[i];
      }
      actor.start(pending_[i]);
      ready_[i] = false;
      if (step.background) {
        settle();  // let the call reach the point where it blocks
        return;
      }
    } else if (!actor.busy()) {
      return fail(step, "nothing to wait for: the background call did not run");
    }
    if (!wait_until([&] { return ready_[i]; }, opt_.step_timeout)) {
      actor.kill();
      return fail(step, "the call did not return within " + std::to_string(opt_.step_timeout.count()) +
                            " ms; the actor was killed");
    }
    ready_[i] = false;
    CallResult r;
    try {
      r = actor.finish();
    } catch (const Error& e) {
      return fail(step, e.what());
    }
    settle();
    record_call(step, pending_[i], r);
  }

  void record_call(const Step& step, const CallRequest& req, const CallResult& r) {
    Event e;
    e.t_ns = r.t_end_ns;
    e.body = detail::syscall_event(role_name(step.actor), req, r);
    e.line = step.where;
    if (step.expect) {
      e.expected = step.expect->text;
      e.met = detail::expectation_met(*step.expect, r);
      if (!*e.met) {
        const std::string sock = detail::describe_socket(*step.expect, r);
        const std::string got = step.expect->query && !sock.empty() ? sock.substr(1)
                                                                     : detail::describe_result(req, r) + sock;
        fail(step, "expected " + step.expect->text + ", got " + got);
      }
    }
    trace_.events.push_back(std::move(e));
  }

  void run_peer_step(const Step& step) {
    Peer& p = *peer_;
    const std::string who = role_name(step.actor);
    const int64_t t = now_ns();
    const size_t mark = p.received().size();
    switch (step.op) {
      case StepOp::PeerConnect: {
        add_action(who, "connect", p.connect(ep_[1 - peer_role_]), t, &step);
        if (!wait_until([&] { return p.established(); }, opt_.step_timeout))
          fail(step, "the handshake did not complete");
        break;
      }
      case StepOp::PeerRecv: {
        const size_t want = static_cast<size_t>(step.count);
        if (!wait_until([&] { return p.readable() >= want; }, opt_.step_timeout))
          fail(step, "only " + std::to_string(p.readable()) + " of " + std::to_string(want) + " bytes arrived");
        const std::string got = p.read(want);
        add_action(who, "recv", std::to_string(got.size()) + " byte" + (got.size() == 1 ? "" : "s") +
                                    ": \"" + printable(got) + "\"", now_ns(), &step);
        break;
      }
      case StepOp::PeerSend: add_action(who, "send", p.send_data(step.data), t, &step); break;
      case StepOp::PeerFin: add_action(who, "fin", p.send_fin(), t, &step); break;
      case StepOp::PeerClose: add_action(who, "close", p.close(), t, &step); break;
      case StepOp::PeerRst:
        add_action(who, "rst", p.send_rst(step.seq, step.with_ack, step.bad_checksum), t, &step);
        break;
      case StepOp::PeerAck: add_action(who, "ack", p.send_ack(), t, &step); break;
      case StepOp::PeerAutoAck:
        p.set_auto_ack(step.flag);
        add_action(who, "autoack", step.flag ? "on: received data is ACKed" : "off: no more ACKs", t, &step);
        break;
      case StepOp::PeerClosedSocket:
        p.set_closed_socket_rst(step.flag);
        add_action(who, "closed-rst", step.flag ? "on" : "off", t, &step);
        break;
      case StepOp::PeerAnswerSyn:
        p.set_answer_syn(step.flag);
        add_action(who, "synack", step.flag ? "on: SYNs get a SYN-ACK" : "off: SYNs are left unanswered", t, &step);
        break;
      case StepOp::PeerDelay:
        delay_link_->set_delay(std::chrono::milliseconds(step.count));
        add_action(who, "delay", "every segment the peer sends now takes " + std::to_string(step.count) + " ms",
                   t, &step);
        break;
      case StepOp::PeerExpect: {
        const std::string want = step.data;
        std::string seq_note;
        auto found = [&] {
          for (size_t k = expect_from_; k < p.received().size(); ++k)
            if (tcp_flags_string(p.received()[k].tcp.flags) == want) {
              if (step.match_seq && !seq_matches(*step.match_seq, p.received()[k], seq_note)) continue;
              expect_from_ = k + 1;
              return true;
            }
          return false;
        };
        const bool ok = wait_until(found, opt_.step_timeout);
        add_action(who, "expect", "segment " + want + (ok ? " received" : " never came"), now_ns(), &step, ok);
        if (!ok) {
          // Expected against actual, as packetdrill says it: what did arrive instead.
          std::string got;
          for (size_t k = expect_from_; k < p.received().size(); ++k)
            got += (got.empty() ? "" : " ") + tcp_flags_string(p.received()[k].tcp.flags);
          fail(step, "expected a segment with flags " + want +
                         (step.match_seq ? " and seq=" + step.match_seq->str() : "") + " within " +
                         std::to_string(opt_.step_timeout.count()) + " ms; " +
                         (got.empty() ? "nothing arrived" : "what arrived: " + got) + seq_note);
        }
        return;  // expect does not move the window of segments it searches
      }
      case StepOp::PeerExpectNone: {
        // The deadline is the point: the network runs that long, and the first segment
        // that matches (any, or one carrying every flag asked) fails the step at once.
        const std::string flags = step.data;
        std::string seen;
        auto arrived = [&] {
          for (size_t k = expect_from_; k < p.received().size(); ++k)
            if (has_flags(p.received()[k].tcp.flags, flags)) {
              seen = tcp_flags_string(p.received()[k].tcp.flags);
              return true;
            }
          return false;
        };
        const bool bad = wait_until(arrived, std::chrono::milliseconds(step.count));
        const std::string what = flags.empty() ? "no segment" : "no segment with flags " + flags;
        add_action(who, "expect", what + " within " + std::to_string(step.count) + " ms: " +
                                      (bad ? "a " + seen + " arrived" : "none came"),
                   now_ns(), &step, !bad);
        if (bad) fail(step, "expected " + what + " within " + std::to_string(step.count) + " ms; a " + seen +
                                " arrived");
        return;
      }
      case StepOp::Call:
      case StepOp::Wait:
      case StepOp::MiddleRst:
      case StepOp::MiddleFin: break;
    }
    expect_from_ = mark;
    settle();
  }

  /// Whether a segment's flags include every flag of `want` ("R", "F.": '.' is ACK).
  static bool has_flags(uint8_t flags, const std::string& want) {
    const std::string have = tcp_flags_string(flags);
    for (char f : want)
      if (have.find(f) == std::string::npos) return false;
    return true;
  }

  /// `expect R seq=abs:N` / `seq=N`: the kernel's segment carries that sequence number
  /// (absolute, or relative to the kernel's ISN, from its SYN). `note` says what it had.
  bool seq_matches(const SeqPolicy& want, const PeerSegment& got, std::string& note) const {
    uint32_t expected = static_cast<uint32_t>(want.value);
    if (want.kind == SeqPolicy::Kind::Explicit) {
      std::optional<uint32_t> isn;
      for (const PeerSegment& r : peer_->received())
        if (r.tcp.flags & tcpflag::SYN) isn = r.tcp.seq;
      if (!isn) {
        note = "; no SYN from the kernel seen, so seq=N (relative) cannot be checked";
        return false;
      }
      expected += *isn;
    }
    if (got.tcp.seq == expected) return true;
    note = "; a " + tcp_flags_string(got.tcp.flags) + " arrived with seq " + std::to_string(got.tcp.seq) +
           " (absolute), not " + std::to_string(expected);
    return false;
  }

  /// The middle injects from what the wire showed up to now: everything in flight lands
  /// first, so it aims at the rcv_nxt the receivers really have.
  void run_middle_step(const Step& step) {
    if (!middle_) return fail(step, "this scenario declares no middle ('middle box')");
    while (service(0)) {
    }
    middle_->learn(recorder_.link_type(), recorder_.packets());
    const int64_t t = now_ns();
    try {
      const bool fin = step.op == StepOp::MiddleFin;
      add_action("middle", fin ? "fin" : "rst", middle_->inject(fin, step.target, step.seq, step.with_ack), t,
                 &step);
    } catch (const Error& e) {
      return fail(step, e.what());
    }
    settle();
  }

  const Scenario& sc_;
  const RunOptions& opt_;
  Lab& lab_;
  Recorder& recorder_;
  uint64_t drop_base_ = 0, ifdrop_base_ = 0;
  std::unique_ptr<KernelActor> actor_[2];
  CallRequest pending_[2];
  std::unique_ptr<detail::DelayLink> delay_link_;
  std::unique_ptr<Peer> peer_;
  std::unique_ptr<Middle> middle_;
  int peer_role_ = -1;
  bool ready_[2] = {false, false};
  size_t expect_from_ = 0;
  Endpoint ep_[2];
  Trace trace_;
};

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options, LabCache& labs) {
  const LabConfig config{options.link,
                         scenario.kernel_vs_kernel() ? FarEnd::Kernel : FarEnd::Peer,
                         scenario.family};
  LiveRun run(scenario, options, labs.get(config));
  return run.run();
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  LabCache labs;
  return run_scenario(scenario, options, labs);
}

}  // namespace rstlab
