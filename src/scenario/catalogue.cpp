// SPDX-License-Identifier: MIT
// The built-in catalogue: the two classic resets, with the crafted peer and kernel
// against kernel.
#include <cerrno>

#include "rstlab/error.h"
#include "rstlab/scenario.h"

namespace rstlab {
namespace {

Expectation returns(int64_t n) {
  Expectation e;
  e.kind = Expectation::Kind::Return;
  e.ret = n;
  e.text = std::to_string(n);
  return e;
}

Expectation fails(int err, const char* name, bool sigpipe = false) {
  Expectation e;
  e.kind = Expectation::Kind::Errno;
  e.err = err;
  e.sigpipe = sigpipe;
  e.text = std::string(name) + (sigpipe ? " +SIGPIPE" : "");
  return e;
}

Step call(Role who, KernelCall c, std::string text, std::optional<Expectation> e = std::nullopt) {
  Step s;
  s.actor = who;
  s.op = StepOp::Call;
  s.call.call = c;
  s.expect = std::move(e);
  s.text = std::move(text);
  return s;
}

Step write(Role who, const std::string& data, Expectation e) {
  Step s = call(who, KernelCall::Write, "write \"" + data + "\"", std::move(e));
  s.call.data = data;
  return s;
}

Step read(Role who, int64_t n, std::optional<Expectation> e) {
  Step s = call(who, KernelCall::Read, "read " + std::to_string(n), std::move(e));
  s.call.count = n;
  return s;
}

Step peer(Role who, StepOp op, std::string text, int64_t count = 0) {
  Step s;
  s.actor = who;
  s.op = op;
  s.count = count;
  s.text = std::move(text);
  return s;
}

Scenario broken_pipe(bool kernel_peer) {
  Scenario s;
  s.name = kernel_peer ? "broken-pipe-kernel" : "broken-pipe";
  s.title = "write: broken pipe - the peer closed, the client kept writing";
  s.story =
      "The client sends a byte; the far end reads it and closes its socket (FIN). The client "
      "is now in CLOSE_WAIT and may still write: \"b\" is copied and sent, but the far end has "
      "no socket to take it and answers RST. The RST lands in CLOSE_WAIT, so the kernel stores "
      "EPIPE; the next write fails with EPIPE and raises SIGPIPE, which kills a process that "
      "did not ignore it.";
  s.client = {ActorKind::Kernel, SigpipeMode::Default};
  s.server = {kernel_peer ? ActorKind::Kernel : ActorKind::Peer, SigpipeMode::Default};
  auto& st = s.steps;
  const Role C = Role::Client, S = Role::Server;
  if (kernel_peer) st.push_back(call(S, KernelCall::Listen, "listen", returns(0)));
  st.push_back(call(C, KernelCall::Connect, "connect", returns(0)));
  if (kernel_peer) st.push_back(call(S, KernelCall::Accept, "accept"));
  st.push_back(write(C, "a", returns(1)));
  if (kernel_peer) {
    st.push_back(read(S, 1, returns(1)));
    st.push_back(call(S, KernelCall::Close, "close", returns(0)));
  } else {
    st.push_back(peer(S, StepOp::PeerRecv, "recv 1", 1));
    st.push_back(peer(S, StepOp::PeerClose, "close"));
  }
  st.push_back(write(C, "b", returns(1)));
  st.push_back(write(C, "c", fails(EPIPE, "EPIPE", true)));
  return s;
}

Scenario reset_by_peer(bool kernel_peer) {
  Scenario s;
  s.name = kernel_peer ? "reset-by-peer-kernel" : "reset-by-peer";
  s.title = "read: connection reset by peer - the far end closed with unread data";
  s.story =
      "The client sends two bytes; the far end reads only one and closes. Closing a socket "
      "with unread bytes aborts the connection: the far end's kernel sends RST at once "
      "instead of FIN. The client is ESTABLISHED when the RST lands, so the kernel stores "
      "ECONNRESET: the next read reports it, the read after that sees EOF, and a write fails "
      "with EPIPE (and SIGPIPE) because the error was already consumed.";
  s.client = {ActorKind::Kernel, SigpipeMode::Default};
  s.server = {kernel_peer ? ActorKind::Kernel : ActorKind::Peer, SigpipeMode::Default};
  auto& st = s.steps;
  const Role C = Role::Client, S = Role::Server;
  if (kernel_peer) st.push_back(call(S, KernelCall::Listen, "listen", returns(0)));
  st.push_back(call(C, KernelCall::Connect, "connect", returns(0)));
  if (kernel_peer) st.push_back(call(S, KernelCall::Accept, "accept"));
  st.push_back(write(C, "ab", returns(2)));
  if (kernel_peer) {
    st.push_back(read(S, 1, returns(1)));
    st.push_back(call(S, KernelCall::Close, "close", returns(0)));
  } else {
    st.push_back(peer(S, StepOp::PeerRecv, "recv 1", 1));
    st.push_back(peer(S, StepOp::PeerClose, "close"));
  }
  st.push_back(read(C, 10, fails(ECONNRESET, "ECONNRESET")));
  st.push_back(read(C, 10, returns(0)));
  st.push_back(write(C, "c", fails(EPIPE, "EPIPE", true)));
  return s;
}

}  // namespace

const char* role_name(Role r) { return r == Role::Client ? "client" : "server"; }

const std::vector<Scenario>& catalogue() {
  static const std::vector<Scenario> all = {broken_pipe(false), reset_by_peer(false),
                                            broken_pipe(true), reset_by_peer(true)};
  return all;
}

const Scenario& find_scenario(const std::string& name) {
  std::string names;
  for (const auto& s : catalogue()) {
    if (s.name == name) return s;
    names += (names.empty() ? "" : ", ") + s.name;
  }
  throw InputError("no scenario named '" + name + "' (built-in: " + names + ")");
}

}  // namespace rstlab
