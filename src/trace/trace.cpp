// SPDX-License-Identifier: MIT
#include "rstlab/trace.h"

#include <algorithm>
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

const char* signal_fate_name(SignalFate f) {
  switch (f) {
    case SignalFate::None: return "none";
    case SignalFate::Killed: return "killed";
    case SignalFate::Ignored: return "ignored";
    case SignalFate::Handled: return "handled";
  }
  return "none";
}

void Trace::sort_events() {
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.t_ns < b.t_ns; });
}

const char* known_errno_name(int err) {
  for (const auto& e : kErrnos)
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
