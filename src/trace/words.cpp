// SPDX-License-Identifier: MIT
// The vocabulary's names for roles, links, sequence policies, SIGPIPE modes and the
// peer's option offer (rstlab/vocabulary.h, call_request.h, scenario.h): core code, so
// that the scenario parser and the renderers need nothing from the lab to print them.
#include "rstlab/call_request.h"
#include "rstlab/error.h"
#include "rstlab/scenario.h"
#include "rstlab/vocabulary.h"

namespace rstlab {

const char* role_name(Role r) {
  return r == Role::Client ? "client" : r == Role::Server ? "server" : "middle";
}

std::optional<Role> role_from_name(const std::string& name) {
  if (name == "client") return Role::Client;
  if (name == "server") return Role::Server;
  if (name == "middle") return Role::Middle;
  return std::nullopt;
}

const char* link_name(LinkKind k) { return k == LinkKind::Veth ? "veth" : "tun"; }

LinkKind parse_link(const std::string& name) {
  if (name == "veth") return LinkKind::Veth;
  if (name == "tun") return LinkKind::Tun;
  throw InputError("unknown link '" + name + "' (expected veth or tun)");
}

std::string SeqPolicy::str() const {
  switch (kind) {
    case Kind::Exact: return "rcv_nxt";
    case Kind::Offset: return "rcv_nxt" + std::string(value >= 0 ? "+" : "") + std::to_string(value);
    case Kind::OutOfWindow: return "out-of-window";
    case Kind::Explicit: return "=" + std::to_string(value);
    case Kind::Absolute: return "abs:" + std::to_string(value);
  }
  return "";
}

const char* sigpipe_mode_name(SigpipeMode m) {
  switch (m) {
    case SigpipeMode::Default: return "default";
    case SigpipeMode::Ignore: return "ignore";
    case SigpipeMode::Handler: return "handler";
  }
  return "default";
}

std::string PeerOffer::str() const {
  std::string out;
  auto add = [&](const std::string& w) { out += (out.empty() ? "" : " ") + w; };
  if (mss != PeerOffer{}.mss) add("mss=" + std::to_string(mss));
  if (wscale) add("wscale=" + std::to_string(*wscale));
  if (sack_permitted) add("sackok");
  if (timestamps) add("ts");
  if (isn) add("isn=" + std::to_string(*isn));
  return out;
}

}  // namespace rstlab
