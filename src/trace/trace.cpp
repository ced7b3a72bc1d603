// SPDX-License-Identifier: MIT
#include "rstlab/trace.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace rstlab {
namespace {

struct Named {
  int value;
  const char* name;
};

// Every errno name Linux gives user space (asm-generic/errno-base.h and errno.h), by value. Built
// from the C library's own macros, so the values are right on every architecture; the
// unit tests compare it with glibc's strerrorname_np(). Aliases come after: a name maps
// to one value, a value prints as its first name.
#define E(name) {name, #name}
const Named kErrnos[] = {
    E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC), E(EBADF), E(ECHILD),
    E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
    E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY), E(EFBIG), E(ENOSPC),
    E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE), E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
    E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG), E(EL2NSYNC), E(EL3HLT), E(EL3RST),
    E(ELNRNG), E(EUNATCH), E(ENOCSI), E(EL2HLT), E(EBADE), E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC),
    E(EBADSLT), E(EBFONT), E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR), E(ENONET), E(ENOPKG), E(EREMOTE),
    E(ENOLINK), E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO), E(EMULTIHOP), E(EDOTDOT), E(EBADMSG), E(EOVERFLOW),
    E(ENOTUNIQ), E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX), E(ELIBEXEC),
    E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS), E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
    E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP), E(EPFNOSUPPORT), E(EAFNOSUPPORT),
    E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
    E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN), E(ETOOMANYREFS), E(ETIMEDOUT),
    E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN),
    E(ENOTNAM), E(ENAVAIL), E(EISNAM), E(EREMOTEIO), E(EDQUOT), E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED),
    E(ENOKEY), E(EKEYEXPIRED), E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
    E(ERFKILL), E(EHWPOISON),
    // Aliases: the same values under a second name.
    E(EWOULDBLOCK), E(EDEADLOCK), E(ENOTSUP),
};
#undef E

const Named kSignals[] = {{SIGPIPE, "SIGPIPE"}, {SIGKILL, "SIGKILL"}, {SIGTERM, "SIGTERM"},
                          {SIGINT, "SIGINT"},   {SIGSEGV, "SIGSEGV"}, {SIGABRT, "SIGABRT"},
                          {SIGALRM, "SIGALRM"}, {SIGHUP, "SIGHUP"}};

}  // namespace

const char* dir_name(Dir d) { return d == Dir::ClientToServer ? "client>server" : "server>client"; }

const char* stream_name(int stream) { return stream == 2 ? "stderr" : "stdout"; }

const char* signal_fate_name(SignalFate f) {
  switch (f) {
    case SignalFate::None: return "none";
    case SignalFate::Killed: return "killed";
    case SignalFate::Ignored: return "ignored";
    case SignalFate::Handled: return "handled";
  }
  return "none";
}

const char* process_kind_name(ProcessKind k) {
  switch (k) {
    case ProcessKind::Kernel: return "kernel";
    case ProcessKind::Peer: return "peer";
    case ProcessKind::Middle: return "middle";
    case ProcessKind::Program: return "program";
  }
  return "kernel";
}

std::optional<ProcessKind> process_kind_from_name(const std::string& name) {
  for (ProcessKind k : {ProcessKind::Kernel, ProcessKind::Peer, ProcessKind::Middle, ProcessKind::Program})
    if (name == process_kind_name(k)) return k;
  return std::nullopt;
}

void Trace::sort_events() {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t_ns < b.t_ns; });
}

std::optional<ActorId> Trace::find_actor(const std::string& name) const {
  for (size_t i = 0; i < actors.size(); ++i)
    if (actors[i].name == name) return static_cast<ActorId>(i);
  return std::nullopt;
}

int Trace::side_of(const SyscallEvent& call) const {
  if (call.actor_id && call.conn < connections.size()) {
    const ConnectionInfo& c = connections[call.conn];
    if (c.client.actor == call.actor_id) return 0;
    if (c.server.actor == call.actor_id) return 1;
    return -1;
  }
  // A trace without a process table: the names are the roles.
  return call.actor == "client" ? 0 : call.actor == "server" ? 1 : -1;
}

size_t model_mismatches(const Trace& t) {
  return static_cast<size_t>(std::count_if(t.annotations.begin(), t.annotations.end(),
                                           [](const Annotation& a) { return a.kind == "mismatch"; }));
}

void describe_single_connection(Trace& t) {
  if (!t.actors.empty() || !t.connections.empty()) return;
  ConnectionInfo c;
  const ActorInfo* pair[2] = {&t.client, &t.server};
  ConnectionEnd* end[2] = {&c.client, &c.server};
  for (int i = 0; i < 2; ++i) {
    end[i]->endpoint = pair[i]->endpoint;
    const auto kind = process_kind_from_name(pair[i]->kind);
    if (!kind) continue;  // "none": nothing holds this end
    end[i]->actor = static_cast<ActorId>(t.actors.size());
    t.actors.push_back({i == 0 ? "client" : "server", *kind, 0, 0, pair[i]->sigpipe});
  }
  if (t.has_middle()) t.actors.push_back({"middle", ProcessKind::Middle, 0, 0, ""});
  c.first_observer = t.first_observer;
  t.connections.push_back(std::move(c));
}

ConnectionView connection_view(const Trace& t, ConnId id) {
  ConnectionView v;
  Trace& out = v.trace;
  out.kind = t.kind;
  out.scenario = t.scenario;
  out.title = t.title;
  out.story = t.story;
  out.link = t.link;
  out.family = t.family;
  out.capture = t.capture;
  out.failures = t.failures;
  out.actors = t.actors;
  if (id >= t.connections.size()) return v;
  ConnectionInfo c = t.connections[id];
  // The view's only connection is its connection 0.
  c.id = 0;
  out.first_observer = c.first_observer;
  const ConnectionEnd* end[2] = {&c.client, &c.server};
  ActorInfo* pair[2] = {&out.client, &out.server};
  for (int i = 0; i < 2; ++i) {
    pair[i]->endpoint = end[i]->endpoint;
    if (end[i]->actor && *end[i]->actor < t.actors.size()) {
      const TraceActor& a = t.actors[*end[i]->actor];
      pair[i]->kind = process_kind_name(a.kind);
      pair[i]->sigpipe = a.sigpipe;
    } else {
      pair[i]->kind = "none";
    }
  }
  out.connections.push_back(c);
  auto name_of = [&](const std::optional<ActorId>& a) {
    return a && *a < t.actors.size() ? t.actors[*a].name : std::string();
  };
  const std::string names[2] = {name_of(c.client.actor), name_of(c.server.actor)};
  for (size_t i = 0; i < t.events.size(); ++i) {
    const Event& e = t.events[i];
    bool keep = false;
    if (const auto* p = e.packet()) keep = p->conn == id;
    else if (const auto* s = e.syscall()) keep = s->conn == id;
    // Actions carry no connection: those of the connection's actors and of the middlebox.
    else if (const auto* a = e.action())
      keep = a->actor == "middle" || (!a->actor.empty() && (a->actor == names[0] || a->actor == names[1]));
    // Output lines likewise: those its actors printed.
    else if (const auto* o = e.output())
      keep = o->actor_id ? (o->actor_id == c.client.actor || o->actor_id == c.server.actor)
                         : !o->actor.empty() && (o->actor == names[0] || o->actor == names[1]);
    if (keep) v.original.push_back(i);
  }
  out.events.reserve(v.original.size());
  for (size_t i : v.original) {
    Event& copy = out.events.emplace_back(t.events[i]);
    if (auto* p = std::get_if<PacketEvent>(&copy.body)) p->conn = 0;
    if (auto* s = std::get_if<SyscallEvent>(&copy.body)) s->conn = 0;
  }
  // The annotations and observer of this connection, renumbered into the view.
  auto index_in_view = [&](size_t original) -> std::optional<size_t> {
    const auto it = std::lower_bound(v.original.begin(), v.original.end(), original);
    if (it == v.original.end() || *it != original) return std::nullopt;
    return static_cast<size_t>(it - v.original.begin());
  };
  for (const Annotation& a : t.annotations)
    if (const auto at = index_in_view(a.event)) out.annotations.push_back({*at, a.kind, a.text, a.rule});
  if (out.first_observer) {
    const auto at = index_in_view(out.first_observer->event);
    const auto cause = out.first_observer->cause ? index_in_view(*out.first_observer->cause) : std::nullopt;
    if (!at) {
      out.first_observer.reset();
    } else {
      out.first_observer->event = *at;
      out.first_observer->cause = cause;
    }
    out.connections[0].first_observer = out.first_observer;
  }
  return v;
}

const char* known_errno_name(int err) {
  // By value, the first name of each (aliases come after): `rstlab analyze --json` asks
  // for a name per endpoint of every connection (0 mostly), and a walk of the whole list was 4% of
  // its instructions.
  static const auto by_value = [] {
    std::array<const char*, 256> t{};
    for (auto it = std::rbegin(kErrnos); it != std::rend(kErrnos); ++it)
      if (it->value > 0 && static_cast<size_t>(it->value) < t.size()) t[static_cast<size_t>(it->value)] = it->name;
    return t;
  }();
  if (err >= 0 && static_cast<size_t>(err) < by_value.size()) return by_value[static_cast<size_t>(err)];
  for (const auto& e : kErrnos)  // none today: Linux's values are all below 256
    if (e.value == err) return e.name;
  return nullptr;
}

std::string errno_name(int err) {
  const char* name = known_errno_name(err);
  return name ? name : "E" + std::to_string(err);
}

std::optional<int> errno_from_name(const std::string& name) {
  for (const auto& e : kErrnos)
    if (name == e.name) return e.value;
  return std::nullopt;
}

const std::vector<std::string>& all_errno_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& e : kErrnos) v.push_back(e.name);
    return v;
  }();
  return names;
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals)
    if (s.value == sig) return s.name;
  return "SIG" + std::to_string(sig);
}

}  // namespace rstlab
