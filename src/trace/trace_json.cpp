// SPDX-License-Identifier: MIT
#include "rstlab/trace_json.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <csignal>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>

#include "rstlab/error.h"
#include "rstlab/wire.h"
#include "util/json_writer.h"
#include "util/utf8.h"

namespace rstlab {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kFormat = "rstlab-trace/2";
constexpr const char* kFormatV1 = "rstlab-trace/1";  ///< still read (rstlab diagram on old run folders)

/// JSON text laid out exactly as nlohmann's dump(2, ' ', false, replace) lays it out
/// (trace.json's format since it was first written), but streamed into one string: a long
/// trace (a traced program's thousands of calls) built as a tree of ordered_json objects
/// first cost more than every renderer of the run folder together. Keys and values are
/// written in the order given; the small parts still built as trees go through value().
class PrettyJson {
 public:
  explicit PrettyJson(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  /// An object's key: its value comes next.
  PrettyJson& key(std::string_view k) {
    next_item();
    quoted(k);
    out_ += ": ";
    after_key_ = true;
    return *this;
  }
  void string(std::string_view s) {
    before_value();
    quoted(s);
  }
  void null() { raw("null"); }
  void boolean(bool b) { raw(b ? "true" : "false"); }
  template <class I>
  void integer(I v) {
    before_value();
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<size_t>(r.ptr - buf));
  }
  /// A double as nlohmann prints it (shortest round trip: "12.5", "0.0", "1e-05").
  void real(double v) { raw(json(v).dump()); }
  /// A tree, with this writer's layout at this depth.
  void value(const json& j) {
    switch (j.type()) {
      case json::value_t::object:
        begin_object();
        for (const auto& [k, v] : j.items()) {
          key(k);
          value(v);
        }
        end_object();
        break;
      case json::value_t::array:
        begin_array();
        for (const auto& v : j) value(v);
        end_array();
        break;
      case json::value_t::string: string(j.get_ref<const std::string&>()); break;
      default: raw(j.dump()); break;  // null, booleans and numbers: one token each
    }
  }

  template <class T>
  PrettyJson& field(std::string_view k, const T& v) {
    key(k);
    if constexpr (std::is_same_v<T, bool>) boolean(v);
    else if constexpr (std::is_integral_v<T>) integer(v);
    else if constexpr (std::is_same_v<T, json>) value(v);
    else string(v);
    return *this;
  }
  PrettyJson& null_field(std::string_view k) {
    key(k);
    null();
    return *this;
  }
  template <class T>
  PrettyJson& optional_field(std::string_view k, const std::optional<T>& v) {
    return v ? field(k, *v) : null_field(k);
  }

 private:
  /// Before a key or an array's element: the comma after the one before, a new line and
  /// the indent.
  void next_item() {
    if (counts_.empty()) return;
    out_ += counts_.back()++ ? ",\n" : "\n";
    out_.append(2 * counts_.size(), ' ');
  }
  void before_value() {
    if (after_key_) after_key_ = false;
    else next_item();
  }
  void open(char c) {
    before_value();
    out_ += c;
    counts_.push_back(0);
  }
  void close(char c) {
    const size_t n = counts_.back();
    counts_.pop_back();
    if (n) {
      out_ += '\n';
      out_.append(2 * counts_.size(), ' ');
    }
    out_ += c;
  }
  void raw(std::string_view token) {
    before_value();
    out_.append(token.data(), token.size());
  }
  /// A string as nlohmann escapes it: printable ASCII as it is, anything else (escapes,
  /// UTF-8, bytes that are not UTF-8 and become U+FFFD) by nlohmann itself.
  void quoted(std::string_view s) {
    if (detail::json_plain(s)) {
      out_ += '"';
      out_.append(s.data(), s.size());
      out_ += '"';
    } else {
      out_ += json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }

  std::string& out_;
  std::vector<size_t> counts_;  ///< per open object or array: the items written in it
  bool after_key_ = false;
};

/// Every CallFacts field, by name; a field that does not apply to the call is null.
void write_facts(PrettyJson& w, const CallFacts& f) {
  w.begin_object();
  w.field("op", call_op_name(f.op));
  if (f.fd >= 0) w.field("fd", f.fd);
  else w.null_field("fd");
  w.field("on_pipe", f.on_pipe);
  w.field("nonblock", f.nonblock);
  w.field("dontwait", f.dontwait);
  w.field("nosignal", f.nosignal);
  w.field("peek", f.peek);
  w.field("waitall", f.waitall);
  w.optional_field("size", f.size);
  const char* how = shut_how_name(f.shut_how);
  if (how) w.field("shut_how", how);
  else if (f.shut_how >= 0) w.field("shut_how", f.shut_how);
  else w.null_field("shut_how");
  const char* opt = sock_opt_name(f.option);
  if (opt) w.field("option", opt);
  else w.null_field("option");
  if (f.option == SockOpt::Linger || f.linger_on || f.linger_seconds) {
    w.key("linger");
    w.begin_object();
    w.field("on", f.linger_on);
    w.field("seconds", f.linger_seconds);
    w.end_object();
  } else {
    w.null_field("linger");
  }
  if (f.timeout_ms >= 0) w.field("timeout_ms", f.timeout_ms);
  else w.null_field("timeout_ms");
  const bool poll = f.op == CallOp::Poll;
  if (poll || f.events) w.field("events", poll_events_string(f.events));
  else w.null_field("events");
  if (poll || f.revents) w.field("revents", poll_events_string(f.revents));
  else w.null_field("revents");
  if (f.option == SockOpt::Error || f.so_error) w.field("so_error", f.so_error ? errno_name(f.so_error) : "0");
  else w.null_field("so_error");
  w.end_object();
}

/// Bytes as JSON text: valid UTF-8 as it is, anything else with U+FFFD for each byte that
/// is not (JSON strings must be UTF-8); `exact` tells whether the text holds every byte.
std::string json_text(const std::string& bytes, bool& exact) {
  exact = detail::first_invalid_utf8(bytes) == std::string_view::npos;
  if (exact) return bytes;
  std::string o;
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = detail::utf8_sequence(bytes, i);
    if (n == 0) {
      o += "\xEF\xBF\xBD";
      ++i;
    } else {
      o.append(bytes, i, n);
      i += n;
    }
  }
  return o;
}

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string o;
  o.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    o += digits[c >> 4];
    o += digits[c & 15];
  }
  return o;
}

void write_event(PrettyJson& w, const Event& e, size_t index, int64_t t0) {
  w.begin_object();
  w.field("i", index);
  w.field("t_ns", e.t_ns);
  w.key("t_us");
  w.real(static_cast<double>(e.t_ns - t0) / 1000.0);
  if (const auto* p = e.packet()) {
    w.field("type", "packet");
    w.field("conn", p->conn);
    w.field("frame", p->frame);
    w.field("dir", dir_name(p->dir));
    w.field("flags", tcp_flags_string(p->flags));
    w.field("seq", p->seq);
    w.field("ack", p->ack);
    w.field("len", p->len);
    w.field("win", p->window);
    w.field("seq_abs", p->seq_abs);
    w.field("ack_abs", p->ack_abs);
    w.field("checksum_ok", p->checksum_ok);
    if (p->wscale >= 0) w.field("wscale", p->wscale);
    if (!p->payload.empty()) w.field("payload", p->payload);
    if (!p->injected_by.empty()) w.field("injected_by", p->injected_by);
  } else if (const auto* s = e.syscall()) {
    w.field("type", "syscall");
    w.field("conn", s->conn);
    w.field("actor", s->actor);
    w.optional_field("actor_id", s->actor_id);
    w.field("call", s->call);
    w.field("args", s->args);
    w.key("facts");
    write_facts(w, s->facts);
    w.optional_field("ret", s->ret);
    if (s->err) w.field("errno", errno_name(*s->err));
    else w.null_field("errno");
    if (s->signal) w.field("signal", signal_name(*s->signal));
    else w.null_field("signal");
    w.field("signal_fate", signal_fate_name(s->fate));
    w.field("value", s->value);
    if (s->state.empty()) w.null_field("state");
    else w.field("state", s->state);
    w.field("t_start_ns", s->t_start_ns);
    if (s->t_state_ns) w.field("t_state_ns", s->t_state_ns);
    if (s->t_strace_end_ns) w.field("t_strace_end_ns", s->t_strace_end_ns);
  } else if (const auto* a = e.action()) {
    w.field("type", "action");
    w.field("actor", a->actor);
    w.field("action", a->action);
    w.field("detail", a->detail);
  } else if (const auto* o = e.output()) {
    w.field("type", "output");
    w.field("stream", stream_name(o->stream));
    w.field("actor", o->actor);
    w.optional_field("actor_id", o->actor_id);
    if (o->pid) w.field("pid", o->pid);
    else w.null_field("pid");
    if (o->tid) w.field("tid", o->tid);
    else w.null_field("tid");
    bool exact = true;
    w.field("text", json_text(o->text, exact));
    // A line that is not UTF-8 (a program may print any bytes): its exact bytes beside it.
    if (!exact) w.field("text_hex", to_hex(o->text));
  }
  if (!e.expected.empty()) w.field("expected", e.expected);
  if (e.met) w.field("met", *e.met);
  if (!e.line.empty()) w.field("line", e.line);
  w.end_object();
}

json observer_to_json(const std::optional<FirstObserver>& o) {
  if (!o) return nullptr;
  const FirstObserver& f = *o;
  return {{"event", f.event},   {"actor", f.actor},   {"call", f.call},
          {"result", f.result}, {"reason", f.reason}, {"cause", f.cause ? json(*f.cause) : json(nullptr)}};
}

json actors_to_json(const std::vector<TraceActor>& actors) {
  json list = json::array();
  for (size_t i = 0; i < actors.size(); ++i) {
    const TraceActor& a = actors[i];
    json j;
    j["id"] = i;
    j["name"] = a.name;
    j["kind"] = process_kind_name(a.kind);
    j["pid"] = a.pid ? json(a.pid) : json(nullptr);
    j["tid"] = a.tid ? json(a.tid) : json(nullptr);
    if (!a.sigpipe.empty()) j["sigpipe"] = a.sigpipe;
    list.push_back(std::move(j));
  }
  return list;
}

json end_to_json(const ConnectionEnd& e) {
  return {{"endpoint", e.endpoint.str()}, {"actor", e.actor ? json(*e.actor) : json(nullptr)}};
}

json connections_to_json(const std::vector<ConnectionInfo>& conns) {
  json list = json::array();
  for (const ConnectionInfo& c : conns)
    list.push_back({{"id", c.id},
                    {"client", end_to_json(c.client)},
                    {"server", end_to_json(c.server)},
                    {"first_observer", observer_to_json(c.first_observer)}});
  return list;
}

// ---- reading -------------------------------------------------------------

/// Reads fields with error messages that say which field of which event is wrong.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw InputError(source_ + ": " + where + ": " + what);
  }

  const json& field(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) fail(where, "expected an object");
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, std::string("missing field '") + key + "'");
    return *it;
  }
  std::string str(const json& obj, const char* key, const std::string& where) const {
    const json& v = field(obj, key, where);
    if (!v.is_string()) fail(where, std::string("field '") + key + "' must be a string");
    return v.get<std::string>();
  }
  std::string str_or(const json& obj, const char* key, const std::string& where) const {
    if (!obj.contains(key) || obj.at(key).is_null()) return {};
    return str(obj, key, where);
  }
  int64_t num(const json& obj, const char* key, const std::string& where) const {
    const json& v = field(obj, key, where);
    if (!v.is_number_integer()) fail(where, std::string("field '") + key + "' must be an integer");
    return v.get<int64_t>();
  }
  uint32_t u32(const json& obj, const char* key, const std::string& where) const {
    return static_cast<uint32_t>(in_range(obj, key, 0, 0xffffffffLL, where));
  }
  int64_t in_range(const json& obj, const char* key, int64_t lo, int64_t hi, const std::string& where) const {
    const int64_t v = num(obj, key, where);
    if (v < lo || v > hi) fail(where, std::string("field '") + key + "' is out of range");
    return v;
  }
  // Optional fields: absent means the default, but a present one must have the right type
  // (nlohmann's value() would throw its own type_error, or convert 1e300 to an int).
  int64_t in_range_or(const json& obj, const char* key, int64_t lo, int64_t hi, int64_t fallback,
                      const std::string& where) const {
    return obj.contains(key) ? in_range(obj, key, lo, hi, where) : fallback;
  }
  bool boolean_or(const json& obj, const char* key, bool fallback, const std::string& where) const {
    if (!obj.contains(key)) return fallback;
    if (!obj.at(key).is_boolean()) fail(where, std::string("field '") + key + "' must be true or false");
    return obj.at(key).get<bool>();
  }
  /// An integer field that may be missing or null.
  std::optional<int64_t> num_or_null(const json& obj, const char* key, const std::string& where) const {
    if (!obj.is_object()) fail(where, "expected an object");
    if (!obj.contains(key) || obj.at(key).is_null()) return std::nullopt;
    return num(obj, key, where);
  }
  /// An integer field within [lo, hi] that may be missing or null.
  std::optional<int64_t> ranged_or_null(const json& obj, const char* key, int64_t lo, int64_t hi,
                                        const std::string& where) const {
    const auto v = num_or_null(obj, key, where);
    if (v && (*v < lo || *v > hi)) fail(where, std::string("field '") + key + "' is out of range");
    return v;
  }
  /// A boolean field; false when missing.
  bool flag(const json& obj, const char* key, const std::string& where) const {
    if (!obj.contains(key) || obj.at(key).is_null()) return false;
    if (!obj.at(key).is_boolean()) fail(where, std::string("field '") + key + "' must be true or false");
    return obj.at(key).get<bool>();
  }

 private:
  std::string source_;
};

uint8_t flags_from_string(const std::string& s, const Reader& r, const std::string& where) {
  if (s == "none") return 0;
  uint8_t f = 0;
  for (char c : s) {
    switch (c) {
      case 'F': f |= tcpflag::FIN; break;
      case 'S': f |= tcpflag::SYN; break;
      case 'R': f |= tcpflag::RST; break;
      case 'P': f |= tcpflag::PSH; break;
      case 'U': f |= tcpflag::URG; break;
      case 'E': f |= tcpflag::ECE; break;
      case 'W': f |= tcpflag::CWR; break;
      case '.': f |= tcpflag::ACK; break;
      default: r.fail(where, "bad TCP flags '" + s + "'");
    }
  }
  return f;
}

SignalFate fate_from_string(const std::string& s) {
  if (s == "killed") return SignalFate::Killed;
  if (s == "ignored") return SignalFate::Ignored;
  if (s == "handled") return SignalFate::Handled;
  return SignalFate::None;
}

CallFacts facts_from_json(const json& j, const Reader& r, const std::string& where) {
  CallFacts f;
  if (!j.is_object()) r.fail(where, "field 'facts' must be an object");
  const std::string op = r.str(j, "op", where);
  const auto known = call_op_from_name(op);
  if (!known) r.fail(where, "unknown call operation '" + op + "'");
  f.op = *known;
  if (const auto fd = r.ranged_or_null(j, "fd", -1, INT32_MAX, where)) f.fd = static_cast<int>(*fd);
  f.on_pipe = r.flag(j, "on_pipe", where);
  f.nonblock = r.flag(j, "nonblock", where);
  f.dontwait = r.flag(j, "dontwait", where);
  f.nosignal = r.flag(j, "nosignal", where);
  f.peek = r.flag(j, "peek", where);
  f.waitall = r.flag(j, "waitall", where);
  if (const auto size = r.ranged_or_null(j, "size", 0, INT64_MAX, where)) f.size = static_cast<uint64_t>(*size);
  if (j.contains("shut_how") && !j.at("shut_how").is_null()) {
    const json& how = j.at("shut_how");
    if (how.is_string()) {
      const auto v = shut_how_from_name(how.get<std::string>());
      if (!v) r.fail(where, "unknown shutdown how '" + how.get<std::string>() + "'");
      f.shut_how = *v;
    } else {
      f.shut_how = static_cast<int>(*r.ranged_or_null(j, "shut_how", 0, INT32_MAX, where));
    }
  }
  const std::string opt = r.str_or(j, "option", where);
  if (!opt.empty()) {
    const auto v = sock_opt_from_name(opt);
    if (!v) r.fail(where, "unknown socket option '" + opt + "'");
    f.option = *v;
  }
  if (j.contains("linger") && !j.at("linger").is_null()) {
    const json& l = j.at("linger");
    f.linger_on = r.flag(l, "on", where + ": linger");
    f.linger_seconds = static_cast<int>(r.ranged_or_null(l, "seconds", INT32_MIN, INT32_MAX, where + ": linger").value_or(0));
  }
  if (const auto t = r.ranged_or_null(j, "timeout_ms", INT32_MIN, INT32_MAX, where)) f.timeout_ms = static_cast<int>(*t);
  auto poll_bits = [&](const char* key) -> short {
    const std::string names = r.str_or(j, key, where);
    if (names.empty()) return 0;
    const auto bits = poll_events_from_string(names);
    if (!bits) r.fail(where, std::string("field '") + key + "': unknown poll events '" + names + "'");
    return *bits;
  };
  f.events = poll_bits("events");
  f.revents = poll_bits("revents");
  const std::string so_error = r.str_or(j, "so_error", where);
  if (!so_error.empty() && so_error != "0") {
    const auto v = errno_from_name(so_error);
    if (!v) r.fail(where, "field 'so_error': unknown errno '" + so_error + "'");
    f.so_error = *v;
  }
  return f;
}

// ---- rstlab-trace/1 compatibility ------------------------------------------------
// A /1 file has no typed facts: its calls are only the words printed for people. This is
// the ONE place that reads those words back (call, args, value as calls.cpp wrote them),
// so that an old trace.json still renders and its calls mean what they did. Nothing else
// may parse display strings; a /2 file carries the facts themselves.

/// The bytes a write's arguments show: an escaped string ("\"a\\nb\"": 3) or "N bytes".
std::optional<uint64_t> v1_write_size(const std::string& args) {
  if (!args.empty() && args[0] == '"') {
    uint64_t n = 0;
    for (size_t i = 1; i < args.size(); ++i) {
      if (args[i] == '"') return n;
      if (args[i] == '\\') i += i + 1 < args.size() && args[i + 1] == 'x' ? 3 : 1;
      ++n;
    }
    return std::nullopt;
  }
  const size_t digits = args.find_first_not_of("0123456789");
  if (digits == 0 || digits > 18 || digits == std::string::npos || args.compare(digits, 6, " bytes") != 0)
    return std::nullopt;
  return std::stoull(args.substr(0, digits));
}

/// The leading number of a text ("10, MSG_PEEK" -> 10), if it starts with one.
std::optional<int64_t> v1_leading_number(const std::string& s) {
  size_t n = 0;
  while (n < s.size() && n < 18 && s[n] >= '0' && s[n] <= '9') ++n;
  if (n == 0) return std::nullopt;
  return std::stoll(s.substr(0, n));
}

/// The number before " ms" at the end of "POLLIN, 100 ms" or "TCP_USER_TIMEOUT, 5000 ms".
std::optional<int64_t> v1_ms(const std::string& args) {
  const size_t comma = args.rfind(", ");
  if (comma == std::string::npos || args.size() < 3 || args.compare(args.size() - 3, 3, " ms") != 0)
    return std::nullopt;
  std::string digits = args.substr(comma + 2, args.size() - 3 - comma - 2);
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  const auto v = v1_leading_number(digits);
  if (!v || std::to_string(*v) != digits) return std::nullopt;
  return negative ? -*v : *v;
}

/// The facts of every call of a /1 trace, from its words. Per actor, what its earlier
/// calls set up carries over as the actor did it: after pipe() its calls use the pipe,
/// after a non-blocking connect its socket is O_NONBLOCK. What the words never said (the
/// descriptor number, a non-blocking listen) stays unknown.
void facts_from_v1_words(Trace& t) {
  std::map<std::string, bool> piped, nonblocking;
  for (Event& e : t.events) {
    auto* s = std::get_if<SyscallEvent>(&e.body);
    if (!s) continue;
    CallFacts f;
    const std::string& call = s->call;
    const std::string& args = s->args;
    auto has = [&](const char* part) { return args.find(part) != std::string::npos; };
    if (call == "read" || call == "recv") f.op = CallOp::Read;
    else if (call == "write" || call == "send") f.op = CallOp::Write;
    else if (const auto op = call_op_from_name(call)) f.op = *op;
    if (f.op == CallOp::Pipe) piped[s->actor] = true;
    if (f.op == CallOp::Connect && has(", O_NONBLOCK")) nonblocking[s->actor] = true;
    f.on_pipe = piped[s->actor];
    f.nonblock = nonblocking[s->actor] && !f.on_pipe;
    f.nosignal = has("MSG_NOSIGNAL");
    f.dontwait = has("MSG_DONTWAIT");
    f.peek = has("MSG_PEEK");
    f.waitall = has("MSG_WAITALL");
    switch (f.op) {
      case CallOp::Write: f.size = v1_write_size(args); break;
      case CallOp::Read:
        if (const auto n = v1_leading_number(args)) f.size = static_cast<uint64_t>(*n);
        break;
      case CallOp::Shutdown: f.shut_how = shut_how_from_name(args).value_or(-1); break;
      case CallOp::SetSockOpt:
        if (args.rfind("SO_LINGER {", 0) == 0) {  // "SO_LINGER {on, 0}"
          f.option = SockOpt::Linger;
          f.linger_on = args.compare(11, 3, "on,") == 0;
          if (const size_t comma = args.find(", "); comma != std::string::npos)
            f.linger_seconds = static_cast<int>(v1_leading_number(args.substr(comma + 2)).value_or(0));
        } else if (args.rfind("TCP_USER_TIMEOUT", 0) == 0) {
          f.option = SockOpt::UserTimeout;
          f.timeout_ms = static_cast<int>(v1_ms(args).value_or(-1));
        } else {
          f.option = SockOpt::Other;
        }
        break;
      case CallOp::GetSockOpt:
        f.option = args == "SO_ERROR" ? SockOpt::Error : SockOpt::Other;
        if (f.option == SockOpt::Error && s->ret && *s->ret == 0 && s->value != "0")
          f.so_error = errno_from_name(s->value).value_or(0);
        break;
      case CallOp::Poll:
        f.events = poll_events_from_string(args.substr(0, args.find(", "))).value_or(0);
        f.timeout_ms = static_cast<int>(v1_ms(args).value_or(-1));
        if (s->ret && *s->ret >= 0) f.revents = poll_events_from_string(s->value).value_or(0);
        break;
      default: break;
    }
    s->facts = f;
  }
}

// ---- end of the rstlab-trace/1 compatibility --------------------------------------

Event event_from_json(const json& j, const Reader& r, const std::string& where, int version) {
  Event e;
  e.t_ns = r.num(j, "t_ns", where);
  const std::string type = r.str(j, "type", where);
  if (type == "packet") {
    PacketEvent p;
    p.frame = static_cast<uint64_t>(r.num(j, "frame", where));
    const std::string dir = r.str(j, "dir", where);
    if (dir == "client>server") p.dir = Dir::ClientToServer;
    else if (dir == "server>client") p.dir = Dir::ServerToClient;
    else r.fail(where, "bad direction '" + dir + "'");
    p.flags = flags_from_string(r.str(j, "flags", where), r, where);
    p.seq = r.u32(j, "seq", where);
    p.ack = r.u32(j, "ack", where);
    p.len = r.u32(j, "len", where);
    p.window = static_cast<uint16_t>(r.in_range_or(j, "win", 0, 0xffff, 0, where));
    p.seq_abs = j.contains("seq_abs") ? r.u32(j, "seq_abs", where) : p.seq;
    p.ack_abs = j.contains("ack_abs") ? r.u32(j, "ack_abs", where) : p.ack;
    p.checksum_ok = r.boolean_or(j, "checksum_ok", true, where);
    p.wscale = static_cast<int>(r.in_range_or(j, "wscale", 0, 255, -1, where));
    p.payload = r.str_or(j, "payload", where);
    p.injected_by = r.str_or(j, "injected_by", where);
    if (version >= 2) p.conn = r.u32(j, "conn", where);
    e.body = p;
  } else if (type == "syscall") {
    SyscallEvent s;
    s.actor = r.str(j, "actor", where);
    s.call = r.str(j, "call", where);
    s.args = r.str_or(j, "args", where);
    const json& ret = r.field(j, "ret", where);
    if (ret.is_number_integer()) s.ret = ret.get<int64_t>();
    else if (!ret.is_null()) r.fail(where, "field 'ret' must be an integer or null");
    const std::string err = r.str_or(j, "errno", where);
    if (!err.empty()) {
      auto v = errno_from_name(err);
      if (!v) r.fail(where, "unknown errno '" + err + "'");
      s.err = *v;
    }
    const std::string sig = r.str_or(j, "signal", where);
    if (!sig.empty()) s.signal = sig == "SIGPIPE" ? SIGPIPE : 0;
    s.fate = fate_from_string(r.str_or(j, "signal_fate", where));
    s.value = r.str_or(j, "value", where);
    s.state = r.str_or(j, "state", where);
    s.tcp_state = tcp_state_from_label(s.state);
    s.t_start_ns = j.contains("t_start_ns") ? r.num(j, "t_start_ns", where) : e.t_ns;
    if (version >= 2) {
      s.conn = r.u32(j, "conn", where);
      if (const auto id = r.ranged_or_null(j, "actor_id", 0, 0xffffffffLL, where))
        s.actor_id = static_cast<ActorId>(*id);
      s.facts = facts_from_json(r.field(j, "facts", where), r, where + ": facts");
      s.t_state_ns = r.num_or_null(j, "t_state_ns", where).value_or(0);
      s.t_strace_end_ns = r.num_or_null(j, "t_strace_end_ns", where).value_or(0);
    }
    e.body = s;
  } else if (type == "action") {
    ActionEvent a;
    a.actor = r.str(j, "actor", where);
    a.action = r.str(j, "action", where);
    a.detail = r.str_or(j, "detail", where);
    e.body = a;
    // rstlab exec before output events (2026-11): an action "output", "stdout: LINE".
    if (a.action == "output" && (a.detail.rfind("stdout: ", 0) == 0 || a.detail.rfind("stderr: ", 0) == 0)) {
      OutputEvent o;
      o.actor = a.actor;
      o.stream = a.detail[3] == 'e' ? 2 : 1;
      o.text = a.detail.substr(8);
      e.body = o;
    }
  } else if (type == "output") {
    OutputEvent o;
    const std::string stream = r.str(j, "stream", where);
    if (stream == "stdout") o.stream = 1;
    else if (stream == "stderr") o.stream = 2;
    else r.fail(where, "bad stream '" + stream + "' (stdout or stderr)");
    o.actor = r.str_or(j, "actor", where);
    if (const auto id = r.ranged_or_null(j, "actor_id", 0, 0xffffffffLL, where)) o.actor_id = static_cast<ActorId>(*id);
    o.pid = static_cast<int>(r.ranged_or_null(j, "pid", 0, INT32_MAX, where).value_or(0));
    o.tid = static_cast<int>(r.ranged_or_null(j, "tid", 0, INT32_MAX, where).value_or(0));
    o.text = r.str(j, "text", where);
    const std::string hex = r.str_or(j, "text_hex", where);
    if (!hex.empty() || (j.contains("text_hex") && !j.at("text_hex").is_null())) {
      auto nibble = [&](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        r.fail(where, "field 'text_hex' must hold hexadecimal digits");
      };
      if (hex.size() % 2) r.fail(where, "field 'text_hex' must hold an even number of digits");
      o.text.clear();
      for (size_t k = 0; k < hex.size(); k += 2)
        o.text += static_cast<char>(nibble(hex[k]) * 16 + nibble(hex[k + 1]));
    }
    e.body = o;
  } else {
    r.fail(where, "unknown event type '" + type + "'");
  }
  e.expected = r.str_or(j, "expected", where);
  if (j.contains("met") && j.at("met").is_boolean()) e.met = j.at("met").get<bool>();
  e.line = r.str_or(j, "line", where);
  return e;
}

Endpoint endpoint_from_json(const json& j, const char* key, const Reader& r, const std::string& where) {
  try {
    return Endpoint::parse(r.str(j, key, where));
  } catch (const InputError& e) {
    r.fail(where, e.what());
  }
}

std::optional<FirstObserver> observer_from_json(const json& o, const Reader& r, const std::string& where,
                                                size_t events) {
  if (o.is_null()) return std::nullopt;
  auto event_index = [&](const char* key) {
    const int64_t v = r.num(o, key, where);
    if (v < 0 || static_cast<size_t>(v) >= events) r.fail(where, std::string("field '") + key + "' names no event");
    return static_cast<size_t>(v);
  };
  FirstObserver f;
  f.event = event_index("event");
  f.actor = r.str(o, "actor", where);
  f.call = r.str(o, "call", where);
  f.result = r.str(o, "result", where);
  f.reason = r.str_or(o, "reason", where);
  if (o.contains("cause") && !o.at("cause").is_null()) f.cause = event_index("cause");
  return f;
}

/// The process table and the connections of a /2 file; client and server from connection 0.
void actors_and_connections_from_json(const json& j, Trace& t, const Reader& r) {
  const json& actors = r.field(j, "actors", "top level");
  if (!actors.is_array()) r.fail("top level", "field 'actors' must be an array");
  for (size_t i = 0; i < actors.size(); ++i) {
    const std::string where = "actor " + std::to_string(i);
    const json& a = actors[i];
    if (r.num(a, "id", where) != static_cast<int64_t>(i)) r.fail(where, "field 'id' must be its index, " + std::to_string(i));
    TraceActor out;
    out.name = r.str(a, "name", where);
    const std::string kind = r.str(a, "kind", where);
    const auto k = process_kind_from_name(kind);
    if (!k) r.fail(where, "unknown actor kind '" + kind + "'");
    out.kind = *k;
    out.pid = static_cast<int>(r.ranged_or_null(a, "pid", 0, INT32_MAX, where).value_or(0));
    out.tid = static_cast<int>(r.ranged_or_null(a, "tid", 0, INT32_MAX, where).value_or(0));
    out.sigpipe = r.str_or(a, "sigpipe", where);
    t.actors.push_back(std::move(out));
  }
  const json& conns = r.field(j, "connections", "top level");
  if (!conns.is_array()) r.fail("top level", "field 'connections' must be an array");
  for (size_t i = 0; i < conns.size(); ++i) {
    const std::string where = "connection " + std::to_string(i);
    const json& c = conns[i];
    if (r.num(c, "id", where) != static_cast<int64_t>(i)) r.fail(where, "field 'id' must be its index, " + std::to_string(i));
    ConnectionInfo out;
    out.id = static_cast<ConnId>(i);
    for (const char* side : {"client", "server"}) {
      const std::string at = where + ": " + side;
      const json& e = r.field(c, side, where);
      ConnectionEnd& end = std::string(side) == "client" ? out.client : out.server;
      end.endpoint = endpoint_from_json(e, "endpoint", r, at);
      if (const auto id = r.ranged_or_null(e, "actor", 0, 0xffffffffLL, at)) {
        if (static_cast<size_t>(*id) >= t.actors.size()) r.fail(at, "field 'actor' names no actor");
        end.actor = static_cast<ActorId>(*id);
      }
    }
    if (c.contains("first_observer"))
      out.first_observer = observer_from_json(c.at("first_observer"), r, where + ": first_observer", t.events.size());
    t.connections.push_back(std::move(out));
  }
  if (t.connections.empty()) return;
  const ConnectionInfo& c0 = t.connections[0];
  const ConnectionEnd* end[2] = {&c0.client, &c0.server};
  ActorInfo* pair[2] = {&t.client, &t.server};
  for (int i = 0; i < 2; ++i) {
    pair[i]->endpoint = end[i]->endpoint;
    pair[i]->kind = end[i]->actor ? process_kind_name(t.actors[*end[i]->actor].kind) : "none";
    pair[i]->sigpipe = end[i]->actor ? t.actors[*end[i]->actor].sigpipe : "";
  }
}

ActorInfo actor_from_json(const json& j, const Reader& r, const std::string& where) {
  ActorInfo a;
  a.kind = r.str(j, "kind", where);
  try {
    a.endpoint = Endpoint::parse(r.str(j, "endpoint", where));
  } catch (const InputError& e) {
    r.fail(where, e.what());
  }
  a.sigpipe = r.str_or(j, "sigpipe", where);
  return a;
}

Trace trace_from_document(const json& j, const std::string& source);

}  // namespace

std::string trace_to_json(const Trace& trace) {
  // A trace without a process table (hand-built, or a flow of a capture) is written with
  // the one its client and server describe.
  std::optional<Trace> described;
  if (trace.actors.empty() && trace.connections.empty()) {
    described = trace;
    describe_single_connection(*described);
  }
  const Trace& t = described ? *described : trace;
  std::string out;
  out.reserve(1024 + 800 * t.events.size() + 200 * t.annotations.size());
  PrettyJson w(out);
  w.begin_object();
  w.field("format", kFormat);
  w.field("scenario", t.scenario);
  w.field("title", t.title);
  w.field("story", t.story);
  w.field("link", t.link);
  w.field("family", family_name(t.family));
  w.field("actors", actors_to_json(t.actors));
  w.field("connections", connections_to_json(t.connections));
  w.field("passed", t.passed());
  w.key("failures");
  w.begin_array();
  for (const auto& f : t.failures) w.string(f);
  w.end_array();
  w.key("capture");
  w.begin_object();
  w.field("file", t.capture.file);
  w.field("packets", t.capture.packets);
  w.field("dropped", t.capture.dropped);
  w.field("if_dropped", t.capture.if_dropped);
  w.field("undecoded", t.capture.undecoded);
  w.field("foreign", t.capture.foreign);
  w.end_object();
  w.key("annotations");
  w.begin_array();
  for (const auto& a : t.annotations) {
    w.begin_object();
    w.field("event", a.event);
    w.field("kind", a.kind);
    w.field("text", a.text);
    if (!a.rule.empty()) w.field("rule", a.rule);
    w.end_object();
  }
  w.end_array();
  w.field("first_observer", observer_to_json(t.first_observer));
  w.key("events");
  w.begin_array();
  const int64_t t0 = t.events.empty() ? 0 : t.events.front().t_ns;
  for (size_t i = 0; i < t.events.size(); ++i) write_event(w, t.events[i], i, t0);
  w.end_array();
  w.end_object();
  // Payloads and captured text are arbitrary bytes: a byte that is not UTF-8 is written
  // as U+FFFD (the capture files keep the exact bytes).
  out += '\n';
  return out;
}

Trace trace_from_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann reports the byte offset of the offending character; people want a line and
    // a column, and its own message ends with the raw bytes it last read (binary noise
    // from a capture): keep only the reason ("invalid literal", "unexpected end of input").
    const size_t at = std::min(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    const size_t line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
    const size_t column = line_start == std::string::npos || at == 0 ? at + 1 : at - line_start;
    std::string why = e.what();
    if (const size_t colon = why.find(": "); colon != std::string::npos) why.erase(0, colon + 2);
    if (const size_t dash = why.find(" - "); dash != std::string::npos) why.erase(0, dash + 3);
    if (const size_t semi = why.find(';'); semi != std::string::npos) why.resize(semi);
    throw InputError(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": not valid JSON (" + why +
                     ")");
  } catch (const json::out_of_range& e) {
    // A number beyond a double ("1e999"): nlohmann throws out_of_range, not parse_error, and
    // gives no position; its message names the number.
    std::string why = e.what();
    if (const size_t bracket = why.find("] "); bracket != std::string::npos) why.erase(0, bracket + 2);
    throw InputError(source + ": not valid JSON (" + why + ")");
  }
  try {
    return trace_from_document(j, source);
  } catch (const json::exception& e) {
    // A field of the wrong type that a lenient read (json::value) met: still the file's
    // fault, said as such, never a crash.
    std::string why = e.what();
    if (const size_t close = why.find("] "); close != std::string::npos) why.erase(0, close + 2);
    throw InputError(source + ": a field has the wrong type (" + why + ")");
  }
}

namespace {

Trace trace_from_document(const json& j, const std::string& source) {
  const Reader r(source);
  if (!j.is_object()) r.fail("top level", "expected a JSON object");
  int version = 0;
  if (j.contains("format") && j.at("format") == kFormat) version = 2;
  else if (j.contains("format") && j.at("format") == kFormatV1) version = 1;
  else
    r.fail("top level", std::string("not an rstlab trace (field 'format' must be \"") + kFormat + "\" or \"" +
                            kFormatV1 + "\")");
  Trace t;
  t.scenario = r.str(j, "scenario", "top level");
  t.title = r.str_or(j, "title", "top level");
  t.story = r.str_or(j, "story", "top level");
  t.link = r.str(j, "link", "top level");
  const std::string fam = r.str(j, "family", "top level");
  if (fam == "ipv4") t.family = Family::V4;
  else if (fam == "ipv6") t.family = Family::V6;
  else r.fail("top level", "bad family '" + fam + "'");
  if (version == 1) {
    t.client = actor_from_json(r.field(j, "client", "top level"), r, "client");
    t.server = actor_from_json(r.field(j, "server", "top level"), r, "server");
  }
  if (j.contains("failures") && j.at("failures").is_array())
    for (const auto& f : j.at("failures"))
      if (f.is_string()) t.failures.push_back(f.get<std::string>());
  if (j.contains("capture") && j.at("capture").is_object()) {
    const json& c = j.at("capture");
    const auto count = [&](const char* key) {
      return static_cast<uint64_t>(r.in_range_or(c, key, 0, INT64_MAX, 0, "capture"));
    };
    t.capture.file = r.str_or(c, "file", "capture");
    t.capture.packets = count("packets");
    t.capture.dropped = count("dropped");
    t.capture.if_dropped = count("if_dropped");
    t.capture.undecoded = count("undecoded");
    t.capture.foreign = count("foreign");
  }
  const json& events = r.field(j, "events", "top level");
  if (!events.is_array()) r.fail("top level", "field 'events' must be an array");
  t.events.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    t.events.push_back(event_from_json(events[i], r, "event " + std::to_string(i), version));
  if (version >= 2) {
    actors_and_connections_from_json(j, t, r);
    for (size_t i = 0; i < t.events.size(); ++i) {
      const std::string where = "event " + std::to_string(i);
      if (const auto* p = t.events[i].packet(); p && p->conn >= t.connections.size())
        r.fail(where, "field 'conn' names no connection");
      if (const auto* s = t.events[i].syscall()) {
        if (s->conn >= t.connections.size()) r.fail(where, "field 'conn' names no connection");
        if (s->actor_id && *s->actor_id >= t.actors.size()) r.fail(where, "field 'actor_id' names no actor");
      }
      if (const auto* o = t.events[i].output(); o && o->actor_id && *o->actor_id >= t.actors.size())
        r.fail(where, "field 'actor_id' names no actor");
    }
  } else {
    facts_from_v1_words(t);
  }
  auto event_index = [&](const json& obj, const char* key, const std::string& where) {
    const int64_t v = r.num(obj, key, where);
    if (v < 0 || static_cast<size_t>(v) >= t.events.size())
      r.fail(where, std::string("field '") + key + "' names no event");
    return static_cast<size_t>(v);
  };
  if (j.contains("annotations")) {
    const json& notes = j.at("annotations");
    if (!notes.is_array()) r.fail("top level", "field 'annotations' must be an array");
    for (size_t i = 0; i < notes.size(); ++i) {
      const std::string where = "annotation " + std::to_string(i);
      t.annotations.push_back({event_index(notes[i], "event", where), r.str(notes[i], "kind", where),
                               r.str(notes[i], "text", where), r.str_or(notes[i], "rule", where)});
    }
  }
  if (j.contains("first_observer"))
    t.first_observer = observer_from_json(j.at("first_observer"), r, "first_observer", t.events.size());
  if (version == 1) {
    // A /1 file is one pair: its table and connection 0 follow from client and server,
    // and each call names its actor.
    describe_single_connection(t);
    for (Event& e : t.events)
      if (auto* s = std::get_if<SyscallEvent>(&e.body)) s->actor_id = t.find_actor(s->actor);
  }
  return t;
}

}  // namespace

}  // namespace rstlab
