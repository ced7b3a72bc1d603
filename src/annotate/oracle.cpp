// SPDX-License-Identifier: MIT
// The free oracle: the TCP state each live call recorded (TCP_INFO, read just after the
// call returned) against the model's state of the same endpoint at that moment.
#include "rstlab/oracle.h"

#include <algorithm>
#include <cerrno>

#include "rstlab/tcp_model.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

/// The time a call's state stands for: when TCP_INFO was read, else when it returned.
int64_t sampled_at(const Event& e) {
  const SyscallEvent* c = e.syscall();
  return c && c->t_state_ns ? c->t_state_ns : e.t_ns;
}

/// The state TCP_INFO reports on the application's socket for a model state. A connection
/// that enters TIME_WAIT lives on as a small timewait socket in the kernel's tables, and
/// the full socket the descriptor still names is closed (tcp_time_wait() ends with
/// tcp_done(), which sets TCP_CLOSE): TCP_INFO says CLOSE, `ss` shows TIME-WAIT.
TcpState as_tcp_info_shows(TcpState model) {
  return model == TcpState::TimeWait ? TcpState::Closed : model;
}

/// True when TCP_INFO shows a state side `s` had just before a segment captured while the
/// call ran (between its entry and the TCP_INFO read): that segment may still have been on
/// its way into the socket. Each such state is compared as TCP_INFO would show it.
template <typename Before>
bool still_arriving(const std::vector<Before>& before_segment, const Event& e, int s) {
  const SyscallEvent& c = *e.syscall();
  if (!c.t_start_ns || !c.tcp_state) return false;
  const int64_t until = sampled_at(e);
  for (auto it = before_segment.rbegin(); it != before_segment.rend() && it->t_ns >= c.t_start_ns; ++it)
    if (it->t_ns <= until && as_tcp_info_shows(it->state[s]) == *c.tcp_state) return true;
  return false;
}

/// Replays one connection (a trace of one pair) and compares every recorded state.
std::vector<Annotation> compare_pair(const Trace& t) {
  std::vector<Annotation> out;
  ConnectionModel model;
  model.with_reasons = false;
  // As the annotator does: a capture that does not start with a SYN began mid-stream.
  for (const Event& e : t.events)
    if (const auto* p = e.packet()) {
      if (!(p->flags & tcpflag::SYN)) model.assume_established();
      break;
    }
  // Packets at their capture time, calls at the time their state was read: the model
  // has then seen every segment the capture had seen when the kernel was asked.
  std::vector<size_t> order(t.events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return sampled_at(t.events[a]) < sampled_at(t.events[b]);
  });

  // What the model's rules for calls (on_call) do not cover, the oracle says itself:
  // - a listening socket stays in LISTEN whatever its connections do: a call on its
  //   descriptor is compared with LISTEN, not with the connection's state;
  // - a call that failed with ETIMEDOUT aborted the connection without a segment
  //   (TCP_USER_TIMEOUT, a connect that got no answer): the socket is CLOSE until the
  //   wire moves the model on.
  int listener_fd[2] = {-1, -1};
  struct Imposed {
    bool on = false;
    TcpState state = TcpState::Closed;
    TcpState model_then = TcpState::Closed;  ///< the model's state when it was imposed
  } imposed[2];

  // A segment the capture saw while a call ran may not have been processed yet when that
  // call read TCP_INFO: the capture taps a packet as it enters the receiving interface
  // (the tun write, the veth transmit), and the receiving socket handles it in a softirq
  // a moment later - under load, after the call has already looked. So the states each
  // side had just before such segments stand too, for a call that was running when they
  // were captured. Nothing older is accepted.
  struct Before {
    int64_t t_ns;
    TcpState state[2];
  };
  std::vector<Before> before_segment;

  for (size_t i : order) {
    const Event& e = t.events[i];
    if (const auto* p = e.packet()) {
      const int from = p->dir == Dir::ClientToServer ? 0 : 1;
      SegmentFacts f{p->flags,  p->seq_abs, p->ack_abs,    p->len,
                     p->window, p->wscale,  p->checksum_ok};
      f.injected = !p->injected_by.empty();
      before_segment.push_back({e.t_ns, {model.side(0).state, model.side(1).state}});
      model.on_segment(from, f, i);
      continue;
    }
    const SyscallEvent* c = e.syscall();
    if (!c) continue;
    const int s = t.side_of(*c);
    if (s < 0) continue;
    const CallFacts& f = c->facts;
    if (f.op == CallOp::Listen && c->ret && *c->ret == 0) listener_fd[s] = f.fd;
    // The call's own rules (listen, shutdown, close, a timeout), as the annotator applies them.
    model.on_call(s, f, {c->ret, c->err.value_or(0)}, i);
    if (c->err && *c->err == ETIMEDOUT) imposed[s] = {true, TcpState::Closed, model.side(s).state};
    if (imposed[s].on && model.side(s).state != imposed[s].model_then) imposed[s].on = false;
    if (c->state.empty() || f.on_pipe) continue;  // no socket described
    const bool on_listener = f.fd >= 0 && f.fd == listener_fd[s];
    const TcpState model_state = on_listener     ? TcpState::Listen
                                 : imposed[s].on ? imposed[s].state
                                                 : model.side(s).state;
    const TcpState expected = as_tcp_info_shows(model_state);
    std::string says = tcp_state_label(model_state);
    if (expected != model_state) says += std::string(" (") + tcp_state_label(expected) + " to TCP_INFO)";
    if (!c->tcp_state) {
      out.push_back({i, "mismatch",
                     "MODEL MISMATCH: TCP_INFO says " + c->state +
                         ", a state the model has no name for; the model says " + says,
                     ""});
    } else if (*c->tcp_state != expected && !still_arriving(before_segment, e, s)) {
      out.push_back(
          {i, "mismatch", "MODEL MISMATCH: TCP_INFO says " + c->state + ", the model says " + says, ""});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Annotation& a, const Annotation& b) { return a.event < b.event; });
  return out;
}

}  // namespace

std::vector<Annotation> compare_with_tcp_info(const Trace& trace) {
  if (trace.connections.size() <= 1) return compare_pair(trace);
  std::vector<Annotation> out;
  for (const ConnectionInfo& c : trace.connections) {
    const ConnectionView view = connection_view(trace, c.id);
    for (Annotation a : compare_pair(view.trace)) {
      a.event = view.original[a.event];
      out.push_back(std::move(a));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Annotation& a, const Annotation& b) { return a.event < b.event; });
  return out;
}

size_t check_states(Trace& trace) {
  std::vector<Annotation> found = compare_with_tcp_info(trace);
  const size_t n = found.size();
  for (Annotation& a : found) trace.annotations.push_back(std::move(a));
  std::stable_sort(trace.annotations.begin(), trace.annotations.end(),
                   [](const Annotation& a, const Annotation& b) { return a.event < b.event; });
  return n;
}

}  // namespace rstlab
