// SPDX-License-Identifier: MIT
// `rstlab explain`: a log line's wording (log_lines.cpp) turned into the errno, the side and
// call that saw it, the TCP events (events.cpp), the catalogue scenarios that reproduce it
// and what `rstlab analyze` shows in a capture.
#include "rstlab/explain.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "explain/events.h"
#include "explain/log_lines.h"
#include "rstlab/rules.h"
#include "rstlab/scenario.h"
#include "rstlab/trace.h"
#include "util/json_writer.h"
#include "util/suggest.h"

namespace rstlab {

using detail::Wording;
using detail::WordingMatch;

const char* line_side_name(LineSide s) {
  switch (s) {
    case LineSide::Client: return "client";
    case LineSide::Server: return "server";
    case LineSide::Unknown: break;
  }
  return "unknown";
}

std::optional<std::string> LineReading::errno_name() const {
  if (result.empty() || result == "timer" || result == "local-close") return std::nullopt;
  return result;
}

std::vector<std::string> detail::scenarios_for(const std::string& result, CallOp call) {
  if (call == CallOp::Pipe) return {"pipe-reader-gone"};
  if (result == "ECONNRESET") {
    if (call == CallOp::Read)
      return {"reset-by-peer-kernel", "linger-zero", "rst-idle-read", "queued-data-first", "middlebox-idle-reset"};
    if (call == CallOp::Write)
      return {"rst-idle-write", "unread-data-write", "rst-unacked-data", "middlebox-rst-client"};
    if (call == CallOp::Connect) return {};
    return {"reset-by-peer-kernel", "linger-zero", "rst-idle-write", "so-error-consumes", "middlebox-idle-reset"};
  }
  if (result == "EPIPE")
    return {"broken-pipe-kernel", "broken-pipe", "rst-idle-write", "shutdown-write", "sigpipe-ignored",
            "sigpipe-nosignal"};
  if (result == "ECONNREFUSED") return {"connect-refused", "syn-bare-rst-ignored"};
  if (result == "ETIMEDOUT") return call == CallOp::Connect ? std::vector<std::string>{} : std::vector<std::string>{"user-timeout"};
  if (result == "EOF") {
    if (call == CallOp::Write) return {"fin-then-rst", "broken-pipe"};
    return {"blocked-read-fin", "poll-after-fin", "fin-then-rst", "rst-after-fin-so-error"};
  }
  return {};
}

namespace {

/// What to look for in a capture of the connection, in `rstlab analyze`'s columns.
std::string capture_for(const std::string& result, CallOp call) {
  if (call == CallOp::Pipe) return "nothing: a pipe is not on the network.";
  if (result == "ECONNRESET")
    return "ENDING rst; RESET \"#N b>a accepted ECONNRESET CAUSE\" for the RST toward this side, CAUSE "
           "close-unread-data (the peer closed with bytes unread), abort (SO_LINGER 0, a killed process, "
           "a middlebox) or retransmission-storm; this side's NEXT READ / WRITE: ECONNRESET / ECONNRESET.";
  if (result == "EPIPE")
    return "ENDING rst; RESET \"#N b>a accepted EPIPE data-after-close\": the peer's FIN, this side's "
           "data, the peer's RST; this side's NEXT WRITE: EPIPE+SIGPIPE. A RESET \"accepted ECONNRESET\" "
           "instead: the EPIPE is a later write, after ECONNRESET was reported. No RST, and a FIN from "
           "this side first: it had shut down writing.";
  if (result == "ECONNREFUSED")
    return "ENDING refused; RESET \"#2 b>a accepted ECONNREFUSED refused\": the SYN answered by R. "
           "SYNs that no TCP segment answers: an ICMP unreachable refused them (analyze counts ICMP "
           "among the other packets).";
  if (result == "ETIMEDOUT")
    return call == CallOp::Connect
               ? "With --all: ENDING timeout: the SYN retransmitted and never answered; no RST."
               : "ENDING timeout: this side's segment retransmitted and never acknowledged up to the end "
                 "of the capture; no RST from this side.";
  if (result == "ECONNABORTED")
    return "On Linux: an RST from this side itself, with nothing pending (RESET cause abort, sent by "
           "the side that logged the line).";
  if (result == "EOF")
    return call == CallOp::Write
               ? "The peer's FIN, then this side's data: RESET \"accepted EPIPE data-after-close\" when the "
                 "peer's socket was closed; this side's NEXT WRITE: EPIPE+SIGPIPE."
               : "The peer's FIN: ENDING fin (FIN both ways) or, with --all, open (only the peer's FIN "
                 "so far); this side's NEXT READ: EOF. A RESET \"accepted EPIPE data-after-close\" after "
                 "it: this side wrote after the FIN (its reads still return EOF).";
  if (result == "timer")
    return call == CallOp::Connect
               ? "With --all: SYNs with no answer up to the timer's expiry (ENDING timeout)."
               : "No packet ends it: with --all the connection is still open when the timer fires (ENDING "
                 "open, or timeout if retransmissions went unanswered); the gap between the last "
                 "segment and the line's time stamp is the timer.";
  if (result == "local-close")
    return "Nothing from the peer before it; this side's own FIN (or its RST|ACK, cause "
           "close-unread-data, when bytes were unread) follows the close.";
  return "";
}

std::string lower_case(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The call a line names outside its wording ("FileDispatcherImpl.read0", "syscall:
/// 'write'"), the earliest in the line; Other when it names none.
CallOp call_hint(const std::string& lower, std::string& said) {
  static const std::pair<const char*, CallOp> hints[] = {
      {"read(", CallOp::Read}, {"recv(", CallOp::Read}, {"recvfrom(", CallOp::Read},
      {"recvmsg", CallOp::Read}, {"readv(", CallOp::Read}, {"read0", CallOp::Read},
      {"readv0", CallOp::Read}, {"ssl_read", CallOp::Read}, {"readaddress", CallOp::Read},
      {"recv failed", CallOp::Read}, {"recv failure", CallOp::Read}, {"read failed", CallOp::Read},
      {"while reading", CallOp::Read}, {"could not receive", CallOp::Read}, {"error reading", CallOp::Read},
      {"syscall: 'read'", CallOp::Read}, {"\"syscall\":\"read\"", CallOp::Read}, {"read tcp", CallOp::Read},
      {"read: ", CallOp::Read}, {"socket read", CallOp::Read},
      {"write(", CallOp::Write}, {"send(", CallOp::Write}, {"sendto(", CallOp::Write},
      {"sendmsg", CallOp::Write}, {"writev(", CallOp::Write}, {"sendfile(", CallOp::Write},
      {"write0", CallOp::Write}, {"writev0", CallOp::Write}, {"ssl_write", CallOp::Write},
      {"writeaddress", CallOp::Write}, {"send failure", CallOp::Write}, {"write failed", CallOp::Write},
      {"socket write", CallOp::Write}, {"while sending", CallOp::Write}, {"while writing", CallOp::Write},
      {"could not send", CallOp::Write}, {"error writing", CallOp::Write}, {"syscall: 'write'", CallOp::Write},
      {"\"syscall\":\"write\"", CallOp::Write}, {"write tcp", CallOp::Write}, {"write: ", CallOp::Write},
      {"connect(", CallOp::Connect}, {"connect: ", CallOp::Connect}, {"dial tcp", CallOp::Connect},
      {"while connecting", CallOp::Connect}, {"failed to connect", CallOp::Connect},
      {"could not connect", CallOp::Connect}, {"syscall: 'connect'", CallOp::Connect},
      {"\"syscall\":\"connect\"", CallOp::Connect},
  };
  size_t best = std::string::npos;
  CallOp call = CallOp::Other;
  for (const auto& [hint, op] : hints) {
    const std::string_view h(hint);
    for (size_t at = lower.find(h); at != std::string::npos && at < best; at = lower.find(h, at + 1)) {
      // A word of its own: "thread: " holds "read: " but names no read.
      const bool word = at == 0 || !(std::isalnum(static_cast<unsigned char>(lower[at - 1])) || lower[at - 1] == '_');
      if (!word) continue;
      best = at;
      call = op;
      said = std::string(h);
      while (!said.empty() && (said.back() == ' ' || said.back() == ':')) said.pop_back();
      break;
    }
  }
  return call;
}

/// The readings a match gives by itself (before the call is settled).
std::vector<detail::WordingReading> readings_of(const WordingMatch& m) {
  const Wording& w = *m.wording;
  std::vector<detail::WordingReading> out = w.readings;
  if (!m.result.empty()) out = {{m.result, w.call, ""}};
  for (auto& r : out)
    if (r.call == CallOp::Other) r.call = m.call != CallOp::Other ? m.call : w.call;
  return out;
}

std::string reading_what(const std::string& result, CallOp call) {
  if (result == "ECONNRESET") return "an RST accepted before this call";
  if (result == "EPIPE") return "a write after the connection was reset or shut down";
  if (result == "ECONNREFUSED") return "the SYN was refused";
  if (result == "ETIMEDOUT")
    return call == CallOp::Connect ? "the SYN was never answered and the kernel gave up"
                                   : "the kernel gave up on the connection";
  if (result == "ECONNABORTED") return "the local stack aborted the connection";
  if (result == "EOF") return "the peer closed the connection (FIN)";
  return "";
}

/// The rules of the model's table that yield `result` on `call`: a pipe's write is the
/// pipe rule alone; a call the line does not name takes the read's and the write's.
std::vector<std::string> rule_names_for(const std::string& result, CallOp call) {
  std::vector<std::string> names;
  auto add = [&](CallOp c, bool pipe_only) {
    for (const Rule* r : rules_yielding(result, c)) {
      const bool pipe_rule = r->id == RuleId::PipeNoReader;
      if (pipe_rule != pipe_only) continue;
      if (std::find(names.begin(), names.end(), r->name) == names.end()) names.push_back(r->name);
    }
  };
  if (result.empty() || result == "timer" || result == "local-close") return names;
  if (call == CallOp::Pipe) {
    add(CallOp::Write, true);
  } else if (call == CallOp::Other) {
    add(CallOp::Read, false);
    add(CallOp::Write, false);
  } else {
    add(call, false);
  }
  return names;
}
}  // namespace

std::optional<LineExplanation> explain_line(std::string_view line) {
  const std::string lower = lower_case(line);
  const auto outer = detail::find_wording(line, lower, true);
  if (!outer) return std::nullopt;
  std::optional<WordingMatch> inner;
  if (outer->wording->wrapper) inner = detail::find_wording(line, lower, false);
  const Wording& o = *outer->wording;

  LineExplanation e;
  e.line = std::string(line);
  e.ecosystem = o.ecosystem;
  size_t begin = outer->begin, end = outer->end;
  if (inner) begin = std::min(begin, inner->begin), end = std::max(end, inner->end);
  e.wording = std::string(line.substr(begin, end - begin));
  e.meaning = o.meaning;
  e.side = o.side;
  e.who = o.who;
  std::vector<detail::WordingReading> readings;
  bool may_be_pipe = o.may_be_pipe;
  if (inner) {
    const Wording& i = *inner->wording;
    e.meaning += "; inside it, " + i.ecosystem + ": " + i.meaning;
    if (e.side == LineSide::Unknown) e.side = i.side, e.who = i.who;
    readings = readings_of(*inner);
    if (o.call != CallOp::Other)  // the wrapper names the call ("Recv failure": a read)
      for (auto& r : readings) r.call = o.call;
    may_be_pipe = false;  // a wrapper names a connection
  } else {
    readings = readings_of(*outer);
    if (readings.empty())
      readings.push_back({"", o.call, "the line does not say which error ended the connection"});
  }
  if (may_be_pipe && readings.size() == 1 && readings[0].result == "EPIPE")
    readings.push_back({"EPIPE", CallOp::Pipe, "not TCP at all: a write to a pipe whose reader has gone "
                                               "(prog | head, once head has exited)"});

  // The notes that concern this line's readings (Go's SIGPIPE is no news for a read's reset).
  for (const Wording* w : {&o, inner ? inner->wording : nullptr}) {
    if (!w) continue;
    for (const auto& n : w->notes)
      if (n.only_for.empty() || std::any_of(readings.begin(), readings.end(),
                                            [&](const detail::WordingReading& r) { return r.result == n.only_for; }))
        e.notes.push_back(n.text);
  }
  std::string hint_word;
  const CallOp hint = call_hint(lower, hint_word);
  for (const auto& r : readings) {
    LineReading out;
    out.result = r.result;
    out.call = r.call;
    out.what = r.what.empty() ? reading_what(r.result, r.call) : r.what;
    if (out.call == CallOp::Other) {
      if (hint != CallOp::Other) {
        out.call = hint;
        out.call_from = "'" + hint_word + "' in the line";
      } else if (r.result == "EPIPE") {
        out.call = CallOp::Write;
        out.call_from = "the errno: only a write returns EPIPE";
      } else if (r.result == "ECONNREFUSED") {
        out.call = CallOp::Connect;
        out.call_from = "the errno: ECONNREFUSED answers a connect";
      } else if (r.result == "EOF") {
        out.call = CallOp::Read;
        out.call_from = "EOF: only a read returns it";
      }
    }
    out.events = detail::events_for(out.result, out.call);
    out.rules = rule_names_for(out.result, out.call);
    out.scenarios = detail::scenarios_for(out.result, out.call);
    out.capture = capture_for(out.result, out.call);
    e.readings.push_back(std::move(out));
  }
  return e;
}

std::vector<std::string> closest_wordings(std::string_view line, size_t max) {
  // The phrases to look for: every anchor that is words (not a number or a bracket), with
  // its case as some example writes it.
  struct Phrase {
    std::string text;
    size_t distance;
  };
  std::vector<Phrase> found;
  std::set<std::string> seen;
  const std::string text(line.substr(0, 4096));
  for (const Wording& w : detail::wordings()) {
    for (const std::string& a : w.anchors) {
      if (a.size() < 8 || !seen.insert(a).second) continue;
      if (!std::all_of(a.begin(), a.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == ' ' || c == '/'; }))
        continue;
      std::string shown;  // as an example writes it; an anchor no example shows is no phrase to offer
      for (const Wording& x : detail::wordings()) {
        const size_t at = lower_case(x.example).find(a);
        if (at != std::string::npos) {
          shown = x.example.substr(at, a.size());
          break;
        }
      }
      if (shown.empty()) continue;
      const size_t d = detail::distance_within(a, text);
      if (d <= std::max<size_t>(1, a.size() / 4)) found.push_back({shown, d});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Phrase& x, const Phrase& y) { return x.distance < y.distance; });
  std::vector<std::string> out;
  for (size_t k = 0; k < found.size() && out.size() < max; ++k) out.push_back(found[k].text);
  return out;
}

std::vector<KnownWording> known_wordings() {
  std::vector<KnownWording> out;
  for (const Wording& w : detail::wordings()) {
    KnownWording k;
    k.ecosystem = w.ecosystem;
    k.example = w.example;
    if (w.wrapper) {
      k.result = "(the words it wraps)";
    } else if (w.errno_group) {
      k.result = "(the errno it names)";
    } else {
      for (const auto& r : w.readings) k.result += (k.result.empty() ? "" : " or ") + (r.result.empty() ? "?" : r.result);
    }
    k.call = w.call_group ? "(named)" : call_op_name(w.call);
    if (!w.readings.empty() && !w.call_group) {
      std::set<std::string> calls;
      for (const auto& r : w.readings) calls.insert(call_op_name(r.call));
      k.call.clear();
      for (const auto& c : calls) k.call += (k.call.empty() ? "" : "/") + c;
    }
    if (k.call == "other") k.call = "-";
    if (k.call == "pipe") k.call = "write (pipe)";
    out.push_back(std::move(k));
  }
  return out;
}

namespace {

/// `text` in lines of at most `width` columns, the first after `first`, the others after
/// `indent` spaces.
std::string wrap(const std::string& first, const std::string& text, size_t indent, size_t width = 100) {
  std::string out = first, line;
  size_t col = first.size();
  size_t at = 0;
  while (at < text.size()) {
    size_t next = text.find(' ', at);
    if (next == std::string::npos) next = text.size();
    const std::string word = text.substr(at, next - at);
    at = next + 1;
    if (word.empty()) continue;
    if (col > indent && col + 1 + word.size() > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
    } else if (col > indent || (col == indent && out.size() > first.size() && out.back() != ' ')) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
  }
  return out + "\n";
}

/// The line as it can be shown on a terminal: control characters as '?'.
std::string printable(std::string_view s) {
  std::string out(s.substr(0, 2000));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  if (s.size() > 2000) out += "...";
  return out;
}

std::string errno_text(const LineReading& r) {
  if (r.result == "EOF") return "EOF (read returned 0: an orderly close, no errno)";
  if (r.result == "timer") return "none: the program's own timer expired";
  if (r.result == "local-close") return "none: the program closed the socket itself";
  if (r.result.empty()) return "not told by the line";
  const auto n = errno_from_name(r.result);
  return r.result + (n ? " (" + std::to_string(*n) + ")" : "");
}

std::string call_text(const LineReading& r) {
  std::string s;
  switch (r.call) {
    case CallOp::Read: s = "a read"; break;
    case CallOp::Write: s = "a write"; break;
    case CallOp::Connect: s = "a connect"; break;
    case CallOp::Accept: s = "an accept"; break;
    case CallOp::Pipe: s = "a write to a pipe"; break;
    default: return "a call the line does not name";
  }
  if (!r.call_from.empty()) s += " (from " + r.call_from + ")";
  return s;
}

std::string who_text(const LineExplanation& e) {
  if (!e.who.empty()) return e.who;
  switch (e.side) {
    case LineSide::Client: return "the client: the program that wrote the line opened the connection";
    case LineSide::Server: return "the server: the program that wrote the line accepted the connection";
    case LineSide::Unknown: break;
  }
  return "the program that wrote the line (the wording does not say whether it is the client or the server)";
}

std::string scenario_title(const std::string& name) {
  for (const Scenario& s : catalogue())
    if (s.name == name) return s.title;
  return "";
}

void render_reading(std::string& out, const LineReading& r, const std::string& pad) {
  const size_t indent = pad.size() + 11;
  if (!r.events.empty()) {
    for (size_t k = 0; k < r.events.size(); ++k)
      out += wrap(pad + (k == 0 ? "events:    " : std::string(11, ' ')) + "- ", r.events[k], indent + 2);
  }
  if (!r.rules.empty()) {
    std::string names;
    for (const auto& n : r.rules) names += (names.empty() ? "" : ", ") + n;
    out += wrap(pad + "rules:     ", names + " (docs/rules.md)", indent);
  }
  if (!r.scenarios.empty()) {
    size_t width = 0;
    for (const auto& s : r.scenarios) width = std::max(width, s.size());
    for (size_t k = 0; k < r.scenarios.size(); ++k) {
      std::string cmd = "rstlab run " + r.scenarios[k];
      cmd += std::string(width - r.scenarios[k].size() + 2, ' ');
      out += pad + (k == 0 ? "reproduce: " : std::string(11, ' ')) + cmd + scenario_title(r.scenarios[k]) + "\n";
    }
  } else if (!r.events.empty()) {
    out += wrap(pad + "reproduce: ", "no built-in scenario plays this; 'rstlab list' shows those that exist", indent);
  }
  if (!r.capture.empty()) out += wrap(pad + "capture:   ", "rstlab analyze CAPTURE --explain: " + r.capture, indent);
}

}  // namespace

std::string render_explanation(const LineExplanation& e, std::optional<uint64_t> number) {
  std::string out = (number ? "line " + std::to_string(*number) + ": " : "") + printable(e.line) + "\n";
  out += wrap("  wording:   ", e.ecosystem + ": \"" + printable(e.wording) + "\" - " + e.meaning, 13);
  out += wrap("  seen by:   ", who_text(e), 13);
  if (e.readings.size() == 1) {
    const LineReading& r = e.readings[0];
    out += wrap("  errno:     ", errno_text(r) + ", in " + call_text(r) + ": " + r.what, 13);
    render_reading(out, r, "  ");
  } else {
    out += wrap("  readings:  ", std::to_string(e.readings.size()) + ", which the wording does not tell apart:", 13);
    for (size_t k = 0; k < e.readings.size(); ++k) {
      const LineReading& r = e.readings[k];
      out += wrap("  " + std::to_string(k + 1) + ". ", errno_text(r) + ", in " + call_text(r) + ": " + r.what, 5);
      render_reading(out, r, "     ");
    }
  }
  for (const auto& n : e.notes) out += wrap("  note:      ", n, 13);
  return out;
}

std::string explanation_json(const LineExplanation& e, std::optional<uint64_t> number) {
  std::string out;
  detail::JsonWriter j(out);
  j.begin_object().field("line", e.line);
  if (number) j.field("line_number", *number);
  j.field("ecosystem", e.ecosystem);
  const LineReading& first = e.readings.front();
  if (const auto name = first.errno_name()) j.field("errno", *name);
  else j.key("errno").null();
  // The call when the readings agree on one; null when the line does not tell.
  CallOp call = first.call;
  for (const auto& r : e.readings)
    if ((r.call == CallOp::Pipe ? CallOp::Write : r.call) != (call == CallOp::Pipe ? CallOp::Write : call))
      call = CallOp::Other;
  if (call == CallOp::Pipe) call = CallOp::Write;
  if (call == CallOp::Other) j.key("call").null();
  else j.field("call", call_op_name(call));
  j.field("side", line_side_name(e.side));
  const bool several = e.readings.size() > 1;
  j.key("events").begin_array();
  for (size_t k = 0; k < e.readings.size(); ++k)
    for (const auto& ev : e.readings[k].events)
      j.value(several ? "reading " + std::to_string(k + 1) + ": " + ev : ev);
  j.end_array();
  j.key("rules").begin_array();
  std::set<std::string> named;
  for (const auto& r : e.readings)
    for (const auto& n : r.rules)
      if (named.insert(n).second) j.value(n);
  j.end_array();
  j.key("scenarios").begin_array();
  std::set<std::string> seen;
  for (const auto& r : e.readings)
    for (const auto& s : r.scenarios)
      if (seen.insert(s).second) j.value(s);
  j.end_array();
  std::string text = e.ecosystem + ": " + e.meaning + ".";
  for (size_t k = 0; k < e.readings.size(); ++k) {
    const LineReading& r = e.readings[k];
    text += several ? " Reading " + std::to_string(k + 1) + ": " : " ";
    text += errno_text(r) + ", in " + call_text(r) + ": " + r.what + ".";
  }
  for (const auto& n : e.notes) text += " " + n;
  j.field("explanation", text);
  j.end_object();
  return out;
}

}  // namespace rstlab
