// SPDX-License-Identifier: MIT
// strace's text, as `strace -f -ttt -T -yy -o FILE` writes it: "PID SECONDS.MICROS call(args) = ret <dur>".
#include "rstlab/strace_parse.h"

#include <cctype>
#include <cstdlib>

#include "rstlab/error.h"
#include "rstlab/vocabulary.h"

namespace rstlab {
namespace {

/// Index just past the quoted string starting at text[i] == '"' (backslash escapes honoured).
size_t skip_quoted(const std::string& text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') ++i;
    else if (text[i] == '"') return i + 1;
  }
  return text.size();
}

/// Index of the ')' closing a call's argument list that starts at `from` with `depth` open
/// parentheses (1: just after "name("); npos when the line holds none. Quotes, {} and []
/// nest; a descriptor's <...> is skipped as a whole (it may hold "->" and brackets).
size_t closing_paren(const std::string& text, size_t from, int depth) {
  for (size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = skip_quoted(text, i) - 1;
    } else if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if (c == ')' || c == '}' || c == ']') {
      if (--depth == 0) return c == ')' ? i : std::string::npos;
    } else if (c == '<' && i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {
      // "3<TCP:[...]>": find the matching '>' (a path may itself hold '<' in -yy's device form).
      int angle = 1;
      size_t j = i + 1;
      for (; j < text.size() && angle > 0; ++j) {
        if (text[j] == '<') ++angle;
        else if (text[j] == '>' && !(j > 0 && text[j - 1] == '-')) --angle;
      }
      i = j - 1;
    }
  }
  return std::string::npos;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

/// "1796002580.340814" -> nanoseconds; false when it is no -ttt stamp.
bool parse_stamp(const std::string& word, int64_t& ns) {
  const size_t dot = word.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  int64_t sec = 0, frac = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(word[i]))) return false;
    sec = sec * 10 + (word[i] - '0');
  }
  size_t digits = 0;
  for (size_t i = dot + 1; i < word.size(); ++i, ++digits) {
    if (!std::isdigit(static_cast<unsigned char>(word[i])) || digits >= 9) return false;
    frac = frac * 10 + (word[i] - '0');
  }
  if (digits == 0) return false;
  for (; digits < 9; ++digits) frac *= 10;
  ns = sec * 1000000000 + frac;
  return true;
}

/// "<0.000123>" at the end of `text` -> nanoseconds, cut off `text`; -1 when absent.
int64_t take_duration(std::string& text) {
  const std::string t = trim(text);
  if (t.size() < 3 || t.back() != '>') return -1;
  const size_t open = t.rfind('<');
  if (open == std::string::npos) return -1;
  int64_t ns = 0;
  if (!parse_stamp(t.substr(open + 1, t.size() - open - 2), ns)) return -1;
  text = trim(t.substr(0, open));
  return ns;
}

bool parse_int(const std::string& s, int64_t& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(s.c_str(), &end, 0);
  if (errno || end != s.c_str() + s.size()) return false;
  v = x;
  return true;
}

/// Fills ret, err, ret_extra and ret_fd from ret_text ("-1 EPIPE (Broken pipe)", "4<TCP:[..]>",
/// "1 ([{fd=3, revents=POLLIN}])", "?").
void parse_return(StraceRecord& r) {
  const std::string& t = r.ret_text;
  if (t.empty() || t[0] == '?') return;
  size_t end = 0;
  while (end < t.size() && !std::isspace(static_cast<unsigned char>(t[end]))) ++end;
  std::string value = t.substr(0, end);
  std::string rest = trim(t.substr(end));
  if (const size_t lt = value.find('<'); lt != std::string::npos) {
    r.ret_fd = parse_strace_fd(value);
    value = value.substr(0, lt);
  }
  int64_t v = 0;
  if (!parse_int(value, v)) return;
  r.ret = v;
  if (v < 0 && !rest.empty() && rest[0] == 'E') {
    size_t e = 0;
    while (e < rest.size() && !std::isspace(static_cast<unsigned char>(rest[e]))) ++e;
    if (const auto n = errno_from_name(rest.substr(0, e))) r.err = *n;
    rest = trim(rest.substr(e));
  }
  if (rest.size() >= 2 && rest.front() == '(' && rest.back() == ')') r.ret_extra = rest.substr(1, rest.size() - 2);
}

}  // namespace

int signal_from_name(const std::string& name) {
  for (int s = 1; s < 65; ++s)
    if (signal_name(s) == name) return s;
  return 0;
}

std::vector<std::string> split_strace_args(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = skip_quoted(text, i) - 1;
    } else if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if (c == ')' || c == '}' || c == ']') {
      --depth;
    } else if (c == '<' && i > 0 && std::isdigit(static_cast<unsigned char>(text[i - 1]))) {
      int angle = 1;
      size_t j = i + 1;
      for (; j < text.size() && angle > 0; ++j) {
        if (text[j] == '<') ++angle;
        else if (text[j] == '>' && text[j - 1] != '-') --angle;
      }
      i = j - 1;
    } else if (c == ',' && depth == 0) {
      out.push_back(trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  const std::string last = trim(text.substr(start));
  if (!last.empty() || !out.empty()) out.push_back(last);
  return out;
}

std::optional<StraceFd> parse_strace_fd(const std::string& text) {
  const std::string t = trim(text);
  size_t i = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  if (i == 0 || i >= t.size() || t[i] != '<' || t.back() != '>') return std::nullopt;
  StraceFd f;
  f.fd = std::atoi(t.substr(0, i).c_str());
  const std::string inner = t.substr(i + 1, t.size() - i - 2);
  const size_t colon = inner.find(":[");
  const std::string kind = colon == std::string::npos ? "" : inner.substr(0, colon);
  std::string body;
  if (colon != std::string::npos && inner.back() == ']') body = inner.substr(colon + 2, inner.size() - colon - 3);
  auto all_digits = [](const std::string& s) {
    if (s.empty()) return false;
    for (char c : s)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    return true;
  };
  if (kind == "TCP" || kind == "TCPv6") {
    f.kind = StraceFd::Kind::Tcp;
    f.v6 = kind == "TCPv6";
    if (all_digits(body)) {
      f.inode = std::strtoull(body.c_str(), nullptr, 10);
      return f;
    }
    try {
      const size_t arrow = body.find("->");
      f.local = Endpoint::parse(body.substr(0, arrow));
      if (arrow != std::string::npos) f.remote = Endpoint::parse(body.substr(arrow + 2));
    } catch (const InputError&) {
      f.local.reset();  // a form this parser does not know: a TCP socket without addresses
      f.remote.reset();
    }
    return f;
  }
  if (kind == "pipe") {
    f.kind = StraceFd::Kind::Pipe;
    if (all_digits(body)) f.inode = std::strtoull(body.c_str(), nullptr, 10);
    return f;
  }
  if (starts_with(kind, "UNIX")) {
    f.kind = StraceFd::Kind::Unix;
    const std::string first = body.substr(0, body.find_first_of("-,"));
    if (all_digits(first)) f.inode = std::strtoull(first.c_str(), nullptr, 10);
    return f;
  }
  if (kind == "UDP" || kind == "UDPv6" || kind == "NETLINK" || starts_with(kind, "SCTP") || kind == "RAW" ||
      kind == "RAWv6" || kind == "socket" || starts_with(kind, "UDPLITE") || kind == "PACKET") {
    f.kind = StraceFd::Kind::OtherSocket;
    return f;
  }
  f.kind = StraceFd::Kind::Other;
  f.path = inner;
  return f;
}

std::optional<StraceFd> StraceRecord::arg_fd(size_t i) const {
  if (i >= args.size()) return std::nullopt;
  return parse_strace_fd(args[i]);
}

void StraceParser::skip(const std::string& line) {
  ++skipped_;
  if (skipped_lines_.size() < 5) skipped_lines_.push_back(line);
}

void StraceParser::feed(const std::string& raw, std::vector<StraceRecord>& out) {
  std::string line = raw;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (trim(line).empty()) return;
  // "PID STAMP rest" (strace -o FILE with -f) or "[pid PID] STAMP rest" (to a terminal).
  size_t at = 0;
  int pid = 0;
  if (starts_with(line, "[pid")) {
    const size_t close = line.find(']');
    if (close == std::string::npos) return skip(raw);
    pid = std::atoi(line.substr(4, close - 4).c_str());
    at = close + 1;
  } else {
    size_t i = 0;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i]))) ++i;
    if (i == 0 || i >= line.size() || line[i] != ' ') return skip(raw);
    pid = std::atoi(line.substr(0, i).c_str());
    at = i;
  }
  while (at < line.size() && line[at] == ' ') ++at;
  const size_t stamp_end = line.find(' ', at);
  int64_t t = 0;
  if (stamp_end == std::string::npos || !parse_stamp(line.substr(at, stamp_end - at), t)) return skip(raw);
  std::string rest = line.substr(stamp_end + 1);

  StraceRecord r;
  r.pid = pid;
  r.t_ns = t;
  if (starts_with(rest, "+++ ")) {
    // "+++ exited with 0 +++", "+++ killed by SIGPIPE +++", "+++ killed by SIGSEGV (core dumped) +++"
    if (starts_with(rest, "+++ exited with ")) {
      r.kind = StraceRecord::Kind::Exited;
      r.exit_code = std::atoi(rest.c_str() + 16);
    } else if (starts_with(rest, "+++ killed by ")) {
      r.kind = StraceRecord::Kind::Killed;
      const std::string name = rest.substr(14, rest.find(' ', 14) - 14);
      r.signal = signal_from_name(name);
      r.core_dumped = rest.find("(core dumped)") != std::string::npos;
    } else {
      return skip(raw);
    }
    out.push_back(std::move(r));
    return;
  }
  if (starts_with(rest, "--- ")) {
    // "--- SIGPIPE {si_signo=SIGPIPE, si_code=SI_USER, si_pid=12, si_uid=0} ---"; "--- stopped by SIGSTOP ---"
    const size_t sp = rest.find(' ', 4);
    const std::string name = rest.substr(4, sp == std::string::npos ? std::string::npos : sp - 4);
    r.signal = signal_from_name(name);
    if (!r.signal) return skip(raw);
    r.kind = StraceRecord::Kind::Signal;
    if (sp != std::string::npos) {
      r.signal_text = trim(rest.substr(sp));
      if (r.signal_text.size() >= 3 && r.signal_text.compare(r.signal_text.size() - 3, 3, "---") == 0)
        r.signal_text = trim(r.signal_text.substr(0, r.signal_text.size() - 3));
    }
    out.push_back(std::move(r));
    return;
  }
  std::string args;
  size_t close = std::string::npos;
  if (starts_with(rest, "<... ")) {
    // "<... read resumed>rest) = ret <dur>": joined to the pending half of this thread.
    const size_t name_end = rest.find(" resumed>");
    if (name_end == std::string::npos) return skip(raw);
    r.name = rest.substr(5, name_end - 5);
    if (r.name == "???") return;  // (see below)
    const auto it = pending_.find(pid);
    if (it == pending_.end() || it->second.name != r.name) return skip(raw);
    r.t_ns = it->second.t_ns;
    const std::string tail = rest.substr(name_end + 9);
    close = closing_paren(tail, 0, 1);
    if (close == std::string::npos) {
      // "<... read resumed> <unfinished ...>": it was interrupted again; keep waiting.
      if (tail.find("<unfinished ...>") != std::string::npos) return;
      return skip(raw);
    }
    args = it->second.args + tail.substr(0, close);
    pending_.erase(it);
    rest = tail;
  } else {
    const size_t open = rest.find('(');
    if (open == std::string::npos || open == 0) return skip(raw);
    r.name = rest.substr(0, open);
    // "???( <unfinished ...>": a call strace could not name - a thread caught as its process
    // is torn down (a Go program's exit, its other threads still in the kernel). No socket
    // call: nothing to record, and nothing wrong with the trace.
    if (r.name == "???") return;
    for (char c : r.name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return skip(raw);
    close = closing_paren(rest, open + 1, 1);
    if (close == std::string::npos) {
      const size_t unf = rest.rfind("<unfinished ...>");
      if (unf == std::string::npos) return skip(raw);
      pending_[pid] = {t, r.name, rest.substr(open + 1, unf - open - 1)};
      return;
    }
    args = rest.substr(open + 1, close - open - 1);
  }
  r.args = split_strace_args(args);
  std::string after = rest.substr(close + 1);
  r.duration_ns = take_duration(after);
  after = trim(after);
  if (starts_with(after, "= ")) r.ret_text = trim(after.substr(2));
  else if (after == "=") r.ret_text = "?";
  parse_return(r);
  out.push_back(std::move(r));
}

void StraceParser::finish(std::vector<StraceRecord>& out) {
  for (auto& [pid, p] : pending_) {
    StraceRecord r;
    r.pid = pid;
    r.t_ns = p.t_ns;
    r.name = p.name;
    r.args = split_strace_args(p.args);
    r.ret_text = "?";
    out.push_back(std::move(r));
  }
  pending_.clear();
}

}  // namespace rstlab
