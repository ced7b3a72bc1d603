// SPDX-License-Identifier: MIT
// The free oracle: the TCP state each live call recorded (TCP_INFO, read just after the
// call returned) against the model's state of the same endpoint at that moment.
#include "rstlab/oracle.h"

#include <algorithm>
#include <cerrno>

#include "rstlab/annotate.h"
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

/// The model's state for one call that recorded a TCP state.
struct Compared {
  size_t event;
  TcpState model;
};

/// Replays one connection (a trace of one pair) through a fresh model and gives, for
/// every call that recorded a state, the model's state when the kernel was asked.
/// Packets for which `skip` is true are left out (see in_flight_explains).
std::vector<Compared> replay(const Trace& t, const std::vector<bool>& skip) {
  std::vector<Compared> out;
  ConnectionModel model;
  model.with_reasons = false;
  // As the annotator does: a capture that does not start with a SYN began mid-stream.
  for (const Event& e : t.events)
    if (const auto* p = e.packet()) {
      if (!(p->flags & tcpflag::SYN)) model.assume_established();
      break;
    }
  // Packets at their capture time, calls compared at the time their state was read: the
  // model has then seen every segment the capture had seen when the kernel was asked.
  // A call that changes its socket when it starts (shutdown and close send their FIN,
  // listen, setsockopt) is applied at its start: segments that arrive while it runs meet
  // the socket it left (data after shutdown(SHUT_RD) aborts), as in the annotator.
  struct Item {
    int64_t t;
    size_t i;
    bool apply, compare;
  };
  std::vector<Item> order;
  order.reserve(t.events.size() + 8);
  for (size_t i = 0; i < t.events.size(); ++i) {
    const SyscallEvent* c = t.events[i].syscall();
    const CallOp op = c ? c->facts.op : CallOp::Other;
    const bool at_start = c && c->t_start_ns > 0 &&
                          (op == CallOp::Shutdown || op == CallOp::Close || op == CallOp::Listen ||
                           op == CallOp::SetSockOpt);
    if (at_start) {
      order.push_back({c->t_start_ns, i, true, false});
      order.push_back({sampled_at(t.events[i]), i, false, true});
    } else {
      order.push_back({sampled_at(t.events[i]), i, true, true});
    }
  }
  std::stable_sort(order.begin(), order.end(), [](const Item& a, const Item& b) { return a.t < b.t; });

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

  for (const Item& item : order) {
    const size_t i = item.i;
    const Event& e = t.events[i];
    if (const auto* p = e.packet()) {
      if (!skip.empty() && skip[i]) continue;
      const int from = p->dir == Dir::ClientToServer ? 0 : 1;
      SegmentFacts f{p->flags,  p->seq_abs, p->ack_abs,    p->len,
                     p->window, p->wscale,  p->checksum_ok};
      f.injected = !p->injected_by.empty();
      model.on_segment(from, f, i);
      continue;
    }
    const SyscallEvent* c = e.syscall();
    if (!c) continue;
    const int s = t.side_of(*c);
    if (s < 0) continue;
    const CallFacts& f = c->facts;
    if (item.apply) {
      if (f.op == CallOp::Listen && c->ret && *c->ret == 0) listener_fd[s] = f.fd;
      // The call's own rules (listen, shutdown, close, a timeout), as the annotator applies them.
      model.on_call(s, f, {c->ret, c->err.value_or(0)}, i);
      if (c->err && *c->err == ETIMEDOUT) imposed[s] = {true, TcpState::Closed, model.side(s).state};
    }
    if (imposed[s].on && model.side(s).state != imposed[s].model_then) imposed[s].on = false;
    if (!item.compare || c->state.empty() || f.on_pipe) continue;  // no socket described
    const bool on_listener = f.fd >= 0 && f.fd == listener_fd[s];
    out.push_back({i, on_listener ? TcpState::Listen : imposed[s].on ? imposed[s].state : model.side(s).state});
  }
  return out;
}

/// The capture is taken on the client's side of the link. A segment the client's kernel
/// sends is captured as it leaves, and reaches the server's kernel later: at once on an
/// idle veth, after the softirq that delivers it (ksoftirqd on a loaded machine) or the
/// runner's tun relay has run. A segment toward the client is stamped when it is queued
/// for the client's receive softirq (netif_rx), before that softirq hands it to the tap
/// and to TCP, and a loaded machine runs it later: on both links, the capture's time is
/// a little earlier than the moment the client's kernel takes it. So when a kernel's
/// TCP_INFO is read, the segments toward it that the capture holds since the server's
/// previous reading - for the client, only since the call began, the short span of the call
/// and the gap before its TCP_INFO is read - may not have reached it yet. Whether the state it reported is
/// the model's without the last of those (1, 2, ... all of them, in order: delivery keeps
/// their order).
bool in_flight_explains(const Trace& t, size_t call, TcpState reported) {
  const SyscallEvent& c = *t.events[call].syscall();
  const int side = t.side_of(c);
  if (side < 0 || (side == 0 ? t.client.kind : t.server.kind) != "kernel") return false;
  // The server's segments come from a crafted peer or a kernel; the client's only from a
  // kernel (a crafted client's segments are sent where they are captured).
  if (side == 1 && t.client.kind != "kernel") return false;
  const Dir toward = side == 1 ? Dir::ClientToServer : Dir::ServerToClient;
  const int64_t asked = sampled_at(t.events[call]);
  int64_t since = 0;  // this side's previous reading
  for (size_t i = 0; i < t.events.size(); ++i) {
    const SyscallEvent* o = t.events[i].syscall();
    if (i != call && o && t.side_of(*o) == side && !o->state.empty() && sampled_at(t.events[i]) < asked)
      since = std::max(since, sampled_at(t.events[i]));
  }
  // For the client, since the call began: a segment it made the other end send (the RST
  // answering a write's data) may be stamped on its way in before the call has returned,
  // and still wait in the softirq's queue when TCP_INFO is read (seed 171 veth).
  if (side == 0) since = std::max(since, c.t_start_ns ? c.t_start_ns : t.events[call].t_ns);
  std::vector<size_t> recent;  // the segments toward it captured in (since, asked], in capture order
  for (size_t i = 0; i < t.events.size(); ++i)
    if (const auto* p = t.events[i].packet(); p && p->dir == toward && p->injected_by.empty() &&
                                              t.events[i].t_ns > since && t.events[i].t_ns <= asked)
      recent.push_back(i);
  std::stable_sort(recent.begin(), recent.end(),
                   [&](size_t a, size_t b) { return t.events[a].t_ns < t.events[b].t_ns; });
  std::vector<bool> skip(t.events.size(), false);
  for (size_t k = recent.size(); k-- > 0;) {
    skip[recent[k]] = true;
    for (const Compared& m : replay(t, skip))
      if (m.event == call && as_tcp_info_shows(m.model) == reported) return true;
  }
  return false;
}

/// Replays one connection and compares every recorded state.
std::vector<Annotation> compare_pair(const Trace& t) {
  std::vector<Annotation> out;
  for (const Compared& m : replay(t, {})) {
    const SyscallEvent& c = *t.events[m.event].syscall();
    const TcpState expected = as_tcp_info_shows(m.model);
    std::string says = tcp_state_label(m.model);
    if (expected != m.model) says += std::string(" (") + tcp_state_label(expected) + " to TCP_INFO)";
    if (!c.tcp_state) {
      out.push_back({m.event, "mismatch",
                     "MODEL MISMATCH: TCP_INFO says " + c.state +
                         ", a state the model has no name for; the model says " + says,
                     ""});
    } else if (*c.tcp_state != expected && !in_flight_explains(t, m.event, *c.tcp_state)) {
      out.push_back(
          {m.event, "mismatch", "MODEL MISMATCH: TCP_INFO says " + c.state + ", the model says " + says, ""});
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

size_t judge_lab_run(Trace& trace) {
  annotate(trace);
  // A run is one connection: its first observer is the run's.
  if (!trace.connections.empty()) trace.connections[0].first_observer = trace.first_observer;
  return check_states(trace);
}

}  // namespace rstlab
