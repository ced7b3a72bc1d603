// SPDX-License-Identifier: MIT
// The live runner. One thread, one poll() loop: the recorder, the far end (the crafted
// peer's link, or a second kernel socket; see rstlab/far_end.h), the tun relay and the
// actors' control sockets are serviced together, so a call that blocks in an actor is
// answered by the far end while the runner waits for it.
#include "rstlab/runner.h"

#include <poll.h>
#include <time.h>

#include <memory>

#include "rstlab/app.h"
#include "rstlab/error.h"
#include "rstlab/far_end.h"
#include "rstlab/middle.h"
#include "rstlab/oracle.h"
#include "rstlab/program.h"
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

class LiveRun final : public FarEndHost {
 public:
  LiveRun(const Scenario& sc, const RunOptions& opt, LabCache::Entry& lab)
      : sc_(sc), opt_(opt), entry_(lab), lab_(*lab.lab), recorder_(*lab.recorder) {
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
      const Role role = role_at(i);
      if (spec[i]->kind == ActorKind::Kernel) {
        const bool near = !sc.kernel_vs_kernel() || i == 0;  // kvk: the server is far
        auto actor = near ? near_actor(role_name(role), spec[i]->sigpipe)
                          : std::make_unique<KernelActor>(role_name(role), lab_.far_netns(), spec[i]->sigpipe);
        kernel_[i] = actor.get();
        if (near) near_actor_ = std::move(actor);
        else far_ = make_kernel_far_end(role, std::move(actor), [this](const Endpoint& src) { return recorded_from(src); });
      } else if (spec[i]->kind == ActorKind::Peer) {
        far_ = make_crafted_peer(role, lab_.peer_link(), ep_[i], ep_[1 - i], spec[i]->offer);
      }
    }
    if (far_)
      far_->on_action = [this](const std::string& action, const std::string& detail) {
        add_action(role_name(far_->role()), action, detail, now_ns());
      };
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
      info.kind = far_ && far_->role() == role_at(i) ? far_->kind() : kernel_[i] ? "kernel" : "none";
      info.endpoint = ep_[i];
      if (spec[i]->kind == ActorKind::Kernel) info.sigpipe = sigpipe_mode_name(spec[i]->sigpipe);
    }
  }

  ~LiveRun() {
    // The near actor serves the lab's next run when it is idle and alive: its socket is
    // closed now, as killing it would close it (the answer is taken by the next run).
    if (near_actor_ && near_actor_->begin_renew(near_actor_->sigpipe())) entry_.spare_actor = std::move(near_actor_);
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
    describe_actors();
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
    judge_lab_run(trace_);
    out.trace = std::move(trace_);
    return out;
  }

 private:
  static constexpr const char* kRtoMin = "net/ipv4/tcp_rto_min_us";
  /// An idle actor answers a renewal in microseconds; one that does not is replaced.
  static constexpr std::chrono::milliseconds kRenewDeadline{1000};

  /// The lab's spare near actor when there is one (fresh since the last run, SIGPIPE
  /// set as asked), else a new child.
  std::unique_ptr<KernelActor> near_actor(const std::string& role, SigpipeMode mode) {
    std::unique_ptr<KernelActor> a = std::move(entry_.spare_actor);
    if (a && a->end_renew(role, kRenewDeadline) && (a->sigpipe() == mode || a->renew(role, mode, kRenewDeadline)))
      return a;
    return std::make_unique<KernelActor>(role, lab_.near_netns(), mode);
  }

  std::optional<std::string> saved_rto_min_;  ///< set while this run holds the lab's rto_min
  // ---- the event loop ------------------------------------------------------

  /// One poll over everything; handles what is ready. Returns true if anything was.
  bool service(int timeout_ms) {
    bool did = far_ && far_->release_due();
    if (far_) {
      const int due = far_->next_due_ms();
      if (due >= 0 && (timeout_ms < 0 || due < timeout_ms)) timeout_ms = due;
    }
    std::vector<pollfd> fds;
    fds.push_back({recorder_.fd(), POLLIN, 0});
    if (far_)
      for (int fd : far_->fds()) fds.push_back({fd, POLLIN, 0});
    const size_t first_pump = fds.size();
    for (int fd : lab_.pump_fds()) fds.push_back({fd, POLLIN, 0});
    const size_t first_actor = fds.size();
    for (int i = 0; i < 2; ++i)
      if (kernel_[i] && kernel_[i]->busy() && !ready_[i]) fds.push_back({kernel_[i]->fd(), POLLIN, 0});
    const int n = ::poll(fds.data(), fds.size(), did ? 0 : timeout_ms);
    if (n < 0) {
      if (errno == EINTR) return true;
      throw_errno("poll");
    }
    if (far_) did |= far_->release_due();
    if (n == 0) return did;
    for (size_t k = 0; k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      if (k == 0) {
        did |= recorder_.drain() > 0;
      } else if (k >= first_actor) {
        for (int i = 0; i < 2; ++i)
          if (kernel_[i] && kernel_[i]->fd() == fds[k].fd) ready_[i] = true;
        did = true;
      } else if (k < first_pump) {
        did |= far_->on_readable(fds[k].fd);
      } else {
        lab_.pump(fds[k].fd);
        did = true;
      }
    }
    return did;
  }

  /// Services the network until `done()` or the deadline. Returns done().
  template <class Pred>
  bool wait_for(Pred done, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return done();
      service(static_cast<int>(left.count()) + 1);
    }
    return true;
  }

  /// Segments from `src` that reached the far end; without one, those on the link.
  uint64_t seen_from(const Endpoint& src) const { return far_ ? far_->received_from(src) : recorded_from(src); }

  /// Segments from `src` the recorder saw on the lab link, less the middle's own: the
  /// witness of what reached a far end that keeps no list (a kernel socket).
  uint64_t recorded_from(const Endpoint& src) const {
    uint64_t n = 0;
    TcpSegment s;
    for (const auto& p : recorder_.packets())
      if (decode_tcp(recorder_.link_type(), p.data.data(), p.data.size(), s) == DecodeStatus::Ok &&
          s.src == src && !(middle_ && middle_->injected(recorder_.link_type(), p)))
        ++n;
    return n;
  }

  /// Lets everything in flight land: drain until idle, and make sure every segment
  /// the kernel sockets say they sent has reached the far end.
  void settle() override {
    while (service(0)) {
    }
    for (int i = 0; i < 2; ++i) {
      const KernelActor* a = kernel_[i];
      if (!a || !a->alive() || !a->local()) continue;
      const Endpoint src = *a->local();
      const uint64_t want = a->segs_out();
      wait_for([&] { return seen_from(src) >= want; }, kSettleDeadline);
    }
    while (service(0)) {
    }
  }

  // ---- steps ---------------------------------------------------------------

  // ---- what a far end may use while it runs a step (FarEndHost) -------------

  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) override {
    return wait_for(done, limit);
  }
  std::chrono::milliseconds step_timeout() const override { return opt_.step_timeout; }
  void add_step_action(const Step& step, const std::string& action, const std::string& detail, int64_t t_ns,
                       std::optional<bool> met) override {
    add_action(role_name(step.actor), action, detail, t_ns, &step, met);
  }

  void fail(const Step& step, const std::string& what) override {
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
    if (step.after_ms > 0) wait_for([] { return false; }, std::chrono::milliseconds(step.after_ms));
    if (step.op == StepOp::Note) return add_action(role_name(step.actor), "note", step.data, now_ns(), &step);
    if (step.actor == Role::Middle) return run_middle_step(step);
    const int i = side_of(step.actor);
    if (step.op == StepOp::Call || step.op == StepOp::Wait) {
      if (!kernel_[i]) return fail(step, "this actor is not a kernel socket");
      return run_call(step, *kernel_[i], i);
    }
    if (!far_ || !far_->takes(step)) return fail(step, "this actor is not the crafted peer");
    far_->run_step(step, *this);
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
    if (!wait_for([&] { return ready_[i]; }, opt_.step_timeout)) {
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

  /// The process table and connection 0: the run's pair as the constructor described it,
  /// and the middlebox when there is one. The actors' pids come with their first reply.
  void describe_actors() {
    describe_single_connection(trace_);
    if (middle_ && !trace_.find_actor("middle")) trace_.actors.push_back({"middle", ProcessKind::Middle, 0, 0, ""});
  }

  void record_call(const Step& step, const CallRequest& req, const CallResult& r) {
    Event e;
    e.t_ns = r.t_end_ns;
    SyscallEvent call = detail::syscall_event(role_name(step.actor), req, r);
    call.actor_id = trace_.find_actor(call.actor);
    if (call.actor_id && !trace_.actors[*call.actor_id].pid) {
      trace_.actors[*call.actor_id].pid = r.pid;
      trace_.actors[*call.actor_id].tid = r.tid;
    }
    e.body = std::move(call);
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
  LabCache::Entry& entry_;
  Lab& lab_;
  Recorder& recorder_;
  uint64_t drop_base_ = 0, ifdrop_base_ = 0;
  std::unique_ptr<KernelActor> near_actor_;  ///< the kernel socket under test
  std::unique_ptr<FarEnd> far_;              ///< the other end: crafted peer or kernel socket
  KernelActor* kernel_[2] = {nullptr, nullptr};  ///< by side: the kernel sockets, near and far
  CallRequest pending_[2];
  std::unique_ptr<Middle> middle_;
  bool ready_[2] = {false, false};
  Endpoint ep_[2];
  Trace trace_;
};

}  // namespace

namespace {

/// `client exec "..."`: the program plays its end against the crafted peer, as `rstlab
/// exec --peer` runs it; the trace keeps the scenario's name, title and story.
RunResult run_program_scenario(const Scenario& sc, const RunOptions& options) {
  const ProgramSpec& prog = *sc.program_actor()->program;
  ExecOptions o;
  o.command = prog.argv;
  o.name = sc.name;
  o.user = options.user;
  o.timeout = options.program_timeout;
  o.on_output = options.on_program_output;
  o.link = options.link;
  o.peer = sc;
  RunResult r = run_program(o);
  if (!sc.title.empty()) r.trace.title = sc.title;
  r.trace.story = sc.story + (sc.story.empty() ? "" : " ") + "The " +
                  (sc.program_actor() == &sc.client ? "client" : "server") + " is the program `" + prog.text +
                  "` (" + prog.where + "), traced; the crafted peer plays the other end.";
  return r;
}

}  // namespace

RunResult run_scenario(const Scenario& scenario, const RunOptions& options, LabCache& labs) {
  if (scenario.program_actor()) return run_program_scenario(scenario, options);
  const LabConfig config{options.link,
                         scenario.kernel_vs_kernel() ? FarEndKind::Kernel : FarEndKind::Peer,
                         scenario.family};
  LiveRun run(scenario, options, labs.get(config));
  return run.run();
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  LabCache labs;
  return run_scenario(scenario, options, labs);
}

}  // namespace rstlab
