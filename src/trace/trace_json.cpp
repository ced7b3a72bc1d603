// SPDX-License-Identifier: MIT
#include "rstlab/trace_json.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "rstlab/error.h"
#include "rstlab/wire.h"

namespace rstlab {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kFormat = "rstlab-trace/1";

json opt_int(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

json event_to_json(const Event& e, size_t index, int64_t t0) {
  json j;
  j["i"] = index;
  j["t_ns"] = e.t_ns;
  j["t_us"] = static_cast<double>(e.t_ns - t0) / 1000.0;
  if (const auto* p = e.packet()) {
    j["type"] = "packet";
    j["frame"] = p->frame;
    j["dir"] = dir_name(p->dir);
    j["flags"] = tcp_flags_string(p->flags);
    j["seq"] = p->seq;
    j["ack"] = p->ack;
    j["len"] = p->len;
    j["win"] = p->window;
    j["seq_abs"] = p->seq_abs;
    j["ack_abs"] = p->ack_abs;
    j["checksum_ok"] = p->checksum_ok;
    if (p->wscale >= 0) j["wscale"] = p->wscale;
    if (!p->payload.empty()) j["payload"] = p->payload;
    if (!p->injected_by.empty()) j["injected_by"] = p->injected_by;
  } else if (const auto* s = e.syscall()) {
    j["type"] = "syscall";
    j["actor"] = s->actor;
    j["call"] = s->call;
    j["args"] = s->args;
    j["ret"] = opt_int(s->ret);
    j["errno"] = s->err ? json(errno_name(*s->err)) : json(nullptr);
    j["signal"] = s->signal ? json(signal_name(*s->signal)) : json(nullptr);
    j["signal_fate"] = signal_fate_name(s->fate);
    j["value"] = s->value;
    j["state"] = s->state.empty() ? json(nullptr) : json(s->state);
    j["t_start_ns"] = s->t_start_ns;
  } else if (const auto* a = e.action()) {
    j["type"] = "action";
    j["actor"] = a->actor;
    j["action"] = a->action;
    j["detail"] = a->detail;
  }
  if (!e.expected.empty()) j["expected"] = e.expected;
  if (e.met) j["met"] = *e.met;
  if (!e.line.empty()) j["line"] = e.line;
  return j;
}

json actor_to_json(const ActorInfo& a) {
  json j;
  j["kind"] = a.kind;
  j["endpoint"] = a.endpoint.str();
  if (!a.sigpipe.empty()) j["sigpipe"] = a.sigpipe;
  return j;
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

Event event_from_json(const json& j, const Reader& r, const std::string& where) {
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
    if (!sig.empty()) s.signal = sig == "SIGPIPE" ? 13 : 0;
    s.fate = fate_from_string(r.str_or(j, "signal_fate", where));
    s.value = r.str_or(j, "value", where);
    s.state = r.str_or(j, "state", where);
    s.t_start_ns = j.contains("t_start_ns") ? r.num(j, "t_start_ns", where) : e.t_ns;
    e.body = s;
  } else if (type == "action") {
    ActionEvent a;
    a.actor = r.str(j, "actor", where);
    a.action = r.str(j, "action", where);
    a.detail = r.str_or(j, "detail", where);
    e.body = a;
  } else {
    r.fail(where, "unknown event type '" + type + "'");
  }
  e.expected = r.str_or(j, "expected", where);
  if (j.contains("met") && j.at("met").is_boolean()) e.met = j.at("met").get<bool>();
  e.line = r.str_or(j, "line", where);
  return e;
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

}  // namespace

std::string trace_to_json(const Trace& t) {
  json j;
  j["format"] = kFormat;
  j["scenario"] = t.scenario;
  j["title"] = t.title;
  j["story"] = t.story;
  j["link"] = t.link;
  j["family"] = family_name(t.family);
  j["client"] = actor_to_json(t.client);
  j["server"] = actor_to_json(t.server);
  j["passed"] = t.passed();
  j["failures"] = t.failures;
  json cap;
  cap["file"] = t.capture.file;
  cap["packets"] = t.capture.packets;
  cap["dropped"] = t.capture.dropped;
  cap["if_dropped"] = t.capture.if_dropped;
  cap["undecoded"] = t.capture.undecoded;
  cap["foreign"] = t.capture.foreign;
  j["capture"] = cap;
  json notes = json::array();
  for (const auto& a : t.annotations) notes.push_back({{"event", a.event}, {"kind", a.kind}, {"text", a.text}});
  j["annotations"] = std::move(notes);
  if (t.first_observer) {
    const FirstObserver& f = *t.first_observer;
    j["first_observer"] = {{"event", f.event},   {"actor", f.actor},   {"call", f.call},
                           {"result", f.result}, {"reason", f.reason},
                           {"cause", f.cause ? json(*f.cause) : json(nullptr)}};
  } else {
    j["first_observer"] = nullptr;
  }
  json events = json::array();
  const int64_t t0 = t.events.empty() ? 0 : t.events.front().t_ns;
  for (size_t i = 0; i < t.events.size(); ++i) events.push_back(event_to_json(t.events[i], i, t0));
  j["events"] = std::move(events);
  // Payloads and captured text are arbitrary bytes: a byte that is not UTF-8 is written
  // as U+FFFD (the capture files keep the exact bytes).
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
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
  const Reader r(source);
  if (!j.is_object()) r.fail("top level", "expected a JSON object");
  if (!j.contains("format") || j.at("format") != kFormat)
    r.fail("top level", std::string("not an rstlab trace (field 'format' must be \"") + kFormat + "\")");
  Trace t;
  t.scenario = r.str(j, "scenario", "top level");
  t.title = r.str_or(j, "title", "top level");
  t.story = r.str_or(j, "story", "top level");
  t.link = r.str(j, "link", "top level");
  const std::string fam = r.str(j, "family", "top level");
  if (fam == "ipv4") t.family = Family::V4;
  else if (fam == "ipv6") t.family = Family::V6;
  else r.fail("top level", "bad family '" + fam + "'");
  t.client = actor_from_json(r.field(j, "client", "top level"), r, "client");
  t.server = actor_from_json(r.field(j, "server", "top level"), r, "server");
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
  for (size_t i = 0; i < events.size(); ++i)
    t.events.push_back(event_from_json(events[i], r, "event " + std::to_string(i)));
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
                               r.str(notes[i], "text", where)});
    }
  }
  if (j.contains("first_observer") && !j.at("first_observer").is_null()) {
    const json& o = j.at("first_observer");
    FirstObserver f;
    f.event = event_index(o, "event", "first_observer");
    f.actor = r.str(o, "actor", "first_observer");
    f.call = r.str(o, "call", "first_observer");
    f.result = r.str(o, "result", "first_observer");
    f.reason = r.str_or(o, "reason", "first_observer");
    if (o.contains("cause") && !o.at("cause").is_null()) f.cause = event_index(o, "cause", "first_observer");
    t.first_observer = f;
  }
  return t;
}

}  // namespace rstlab
