// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/render.h"
#include "rstlab/trace_json.h"
#include "rstlab/wire.h"
#include "../../fuzz/targets.h"
#include "runner/calls.h"

using namespace rstlab;

namespace {

Trace sample() {
  Trace t;
  t.scenario = "broken-pipe";
  t.title = "write: broken pipe";
  t.link = "tun";
  t.client = {"kernel", Endpoint::parse("192.0.2.1:40001"), "default"};
  t.server = {"peer", Endpoint::parse("192.0.2.2:8080"), ""};
  PacketEvent p;
  p.frame = 8;
  p.dir = Dir::ServerToClient;
  p.flags = tcpflag::RST;
  p.seq = 2;
  p.seq_abs = 1000000002;
  Event pe;
  pe.t_ns = 1000;
  pe.body = p;
  SyscallEvent s;
  s.actor = "client";
  s.call = "write";
  s.args = "\"c\"";
  s.ret = -1;
  s.err = EPIPE;
  s.signal = SIGPIPE;
  s.fate = SignalFate::Killed;
  s.state = "CLOSE";
  s.t_start_ns = 1500;
  Event se;
  se.t_ns = 2000;
  se.body = s;
  se.expected = "EPIPE +SIGPIPE";
  se.met = true;
  t.events = {pe, se};
  t.capture.file = "capture.pcap";
  t.capture.packets = 8;
  t.annotations.push_back({0, "rst", "RST to the client: accepted in CLOSE_WAIT", ""});
  t.annotations.push_back({1, "observer", "FIRST OBSERVER of the RST #8", ""});
  FirstObserver f;
  f.event = 1;
  f.actor = "client";
  f.call = "write";
  f.result = "EPIPE +SIGPIPE (killed)";
  f.reason = "the RST #8 was accepted in CLOSE_WAIT";
  f.cause = 0;
  t.first_observer = f;
  return t;
}

}  // namespace

TEST(TraceJson, HasTheDocumentedFields) {
  const auto j = nlohmann::json::parse(trace_to_json(sample()));
  EXPECT_EQ(j["scenario"], "broken-pipe");
  EXPECT_EQ(j["link"], "tun");
  ASSERT_EQ(j["events"].size(), 2u);
  const auto& pkt = j["events"][0];
  EXPECT_EQ(pkt["type"], "packet");
  EXPECT_EQ(pkt["dir"], "server>client");
  EXPECT_EQ(pkt["flags"], "R");
  EXPECT_EQ(pkt["seq"], 2);
  EXPECT_EQ(pkt["ack"], 0);
  EXPECT_EQ(pkt["len"], 0);
  const auto& call = j["events"][1];
  EXPECT_EQ(call["type"], "syscall");
  EXPECT_EQ(call["actor"], "client");
  EXPECT_EQ(call["call"], "write");
  EXPECT_EQ(call["ret"], -1);
  EXPECT_EQ(call["errno"], "EPIPE");
  EXPECT_EQ(call["signal"], "SIGPIPE");
  EXPECT_EQ(call["signal_fate"], "killed");
  EXPECT_EQ(call["state"], "CLOSE");
  EXPECT_EQ(call["t_us"], 1.0);
  EXPECT_TRUE(j["passed"].get<bool>());
  EXPECT_EQ(j["annotations"][0]["kind"], "rst");
  EXPECT_EQ(j["first_observer"]["event"], 1);
  EXPECT_EQ(j["first_observer"]["actor"], "client");
  EXPECT_EQ(j["first_observer"]["call"], "write");
  EXPECT_EQ(j["first_observer"]["result"], "EPIPE +SIGPIPE (killed)");
  EXPECT_EQ(j["first_observer"]["cause"], 0);
}

TEST(TraceJson, NullsWhereNothingHappened) {
  Trace t = sample();
  auto& s = std::get<SyscallEvent>(t.events[1].body);
  s.err.reset();
  s.signal.reset();
  s.state.clear();
  s.ret = 1;
  const auto j = nlohmann::json::parse(trace_to_json(t));
  EXPECT_TRUE(j["events"][1]["errno"].is_null());
  EXPECT_TRUE(j["events"][1]["signal"].is_null());
  EXPECT_TRUE(j["events"][1]["state"].is_null());
}

TEST(TraceJson, RoundTrips) {
  const Trace a = sample();
  const Trace b = trace_from_json(trace_to_json(a), "mem");
  EXPECT_EQ(trace_to_json(a), trace_to_json(b));
}

TEST(TraceJson, InjectedPacketsKeepTheirAuthor) {
  Trace a = sample();
  for (auto& e : a.events)
    if (auto* p = std::get_if<PacketEvent>(&e.body)) {
      p->injected_by = "middle";
      break;
    }
  const std::string text = trace_to_json(a);
  const auto j = nlohmann::json::parse(text);
  size_t marked = 0;
  for (const auto& e : j["events"]) marked += e.contains("injected_by") && e["injected_by"] == "middle";
  EXPECT_EQ(marked, 1u) << "only injected packets carry the field";
  const Trace b = trace_from_json(text, "mem");
  EXPECT_TRUE(b.has_middle());
  EXPECT_FALSE(sample().has_middle());
  EXPECT_EQ(trace_to_json(b), text);
}

TEST(TraceJson, BadInputNamesFileAndProblem) {
  auto message = [](const std::string& text) {
    try {
      trace_from_json(text, "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("{\"events\": ["), "t.json:1:13: not valid JSON (unexpected end of input)");
  EXPECT_EQ(message("{\n  \"a\": tru\n}"), "t.json:2:11: not valid JSON (invalid literal)") << "line and column, no raw bytes";
  EXPECT_NE(message("[1,2]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(message("{\"format\":\"x\"}").find("not an rstlab trace"), std::string::npos);
  std::string text = trace_to_json(sample());
  const auto at = text.find("\"flags\": \"R\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 12, "\"flags\": \"Q\"");
  EXPECT_EQ(message(text), "t.json: event 0: bad TCP flags 'Q'");
  auto j = nlohmann::json::parse(trace_to_json(sample()));
  j["events"][1].erase("call");
  EXPECT_EQ(message(j.dump()), "t.json: event 1: missing field 'call'");
  auto k = nlohmann::json::parse(trace_to_json(sample()));
  k["first_observer"]["event"] = 7;
  EXPECT_EQ(message(k.dump()), "t.json: first_observer: field 'event' names no event");
}

// A payload is whatever the wire carried: bytes that are not UTF-8 must not make the
// JSON writer throw (they are written as U+FFFD; the capture keeps the exact bytes).
TEST(TraceJson, BytesThatAreNotUtf8AreWrittenAsReplacementCharacters) {
  Trace t = sample();
  std::get<PacketEvent>(t.events[0].body).payload = std::string("a\x81\xff" "b", 4);
  t.annotations.push_back({0, "note", std::string("odd \xe9 byte"), ""});
  std::string text;
  ASSERT_NO_THROW(text = trace_to_json(t));
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["events"][0]["payload"], "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  EXPECT_NO_THROW(trace_from_json(text, "t.json"));
}

// ---- rstlab-trace/2: typed facts, actors, several connections ---------------------

namespace {

/// Two connections between three actors: a program's two threads and a kernel server.
Trace two_connections() {
  Trace t;
  t.scenario = "two";
  t.link = "veth";
  t.actors = {{"app[100/100]", ProcessKind::Program, 100, 100, "ignore"},
              {"app[100/101]", ProcessKind::Program, 100, 101, "ignore"},
              {"server", ProcessKind::Kernel, 200, 200, "default"}};
  ConnectionInfo a, b;
  a.id = 0;
  a.client = {Endpoint::parse("192.0.2.1:40001"), ActorId{0}};
  a.server = {Endpoint::parse("192.0.2.2:8080"), ActorId{2}};
  b.id = 1;
  b.client = {Endpoint::parse("192.0.2.1:40002"), ActorId{1}};
  b.server = {Endpoint::parse("192.0.2.2:8080"), std::nullopt};
  t.connections = {a, b};
  t.client = {"program", a.client.endpoint, "ignore"};
  t.server = {"kernel", a.server.endpoint, "default"};
  auto packet = [](ConnId conn, uint64_t frame, uint8_t flags) {
    PacketEvent p;
    p.conn = conn;
    p.frame = frame;
    p.flags = flags;
    return p;
  };
  auto call = [](ConnId conn, ActorId id, const char* actor, CallOp op) {
    SyscallEvent s;
    s.conn = conn;
    s.actor_id = id;
    s.actor = actor;
    s.facts.op = op;
    s.call = call_op_name(op);
    s.ret = 0;
    return s;
  };
  const std::vector<decltype(Event::body)> bodies = {
      packet(0, 1, tcpflag::SYN), packet(1, 2, tcpflag::SYN), call(1, 1, "app[100/101]", CallOp::Read),
      call(0, 0, "app[100/100]", CallOp::Write), packet(1, 3, tcpflag::RST), call(1, 1, "app[100/101]", CallOp::Read)};
  for (size_t i = 0; i < bodies.size(); ++i) {
    Event e;
    e.t_ns = 1000 * static_cast<int64_t>(i + 1);
    e.body = bodies[i];
    t.events.push_back(e);
  }
  std::get<SyscallEvent>(t.events[5].body).err = ECONNRESET;
  std::get<SyscallEvent>(t.events[5].body).ret = -1;
  t.annotations = {{4, "rst", "RST to app", ""}, {5, "observer", "FIRST OBSERVER", ""}};
  FirstObserver f;
  f.event = 5;
  f.actor = "app[100/101]";
  f.call = "read";
  f.result = "ECONNRESET";
  f.cause = 4;
  t.connections[1].first_observer = f;
  t.first_observer = f;
  return t;
}

/// Every field of CallFacts set away from its default.
CallFacts full_facts() {
  CallFacts f;
  f.op = CallOp::Poll;
  f.fd = 7;
  f.on_pipe = f.nonblock = f.dontwait = f.nosignal = f.peek = f.waitall = true;
  f.size = 100000;
  f.shut_how = SHUT_RDWR;
  f.option = SockOpt::Linger;
  f.linger_on = true;
  f.linger_seconds = 3;
  f.timeout_ms = 250;
  f.events = POLLIN | POLLRDHUP;
  f.revents = POLLIN | POLLERR | POLLHUP;
  f.so_error = ECONNRESET;
  return f;
}

void expect_same_facts(const CallFacts& a, const CallFacts& b, const std::string& what) {
  EXPECT_EQ(call_op_name(a.op), call_op_name(b.op)) << what;
  EXPECT_EQ(a.fd, b.fd) << what;
  EXPECT_EQ(a.on_pipe, b.on_pipe) << what;
  EXPECT_EQ(a.nonblock, b.nonblock) << what;
  EXPECT_EQ(a.dontwait, b.dontwait) << what;
  EXPECT_EQ(a.nosignal, b.nosignal) << what;
  EXPECT_EQ(a.peek, b.peek) << what;
  EXPECT_EQ(a.waitall, b.waitall) << what;
  EXPECT_EQ(a.size, b.size) << what;
  EXPECT_EQ(a.shut_how, b.shut_how) << what;
  EXPECT_EQ(static_cast<int>(a.option), static_cast<int>(b.option)) << what;
  EXPECT_EQ(a.linger_on, b.linger_on) << what;
  EXPECT_EQ(a.linger_seconds, b.linger_seconds) << what;
  EXPECT_EQ(a.timeout_ms, b.timeout_ms) << what;
  EXPECT_EQ(a.events, b.events) << what;
  EXPECT_EQ(a.revents, b.revents) << what;
  EXPECT_EQ(a.so_error, b.so_error) << what;
}

std::string read_data(const std::string& rel) {
  std::ifstream in(std::string(RSTLAB_TEST_DATA) + "/" + rel, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(TraceJsonV2, FactsAreWrittenByName) {
  Trace t = sample();
  auto& s = std::get<SyscallEvent>(t.events[1].body);
  s.facts = full_facts();
  const auto j = nlohmann::json::parse(trace_to_json(t));
  EXPECT_EQ(j["format"], "rstlab-trace/2");
  const auto& f = j["events"][1]["facts"];
  EXPECT_EQ(f["op"], "poll");
  EXPECT_EQ(f["fd"], 7);
  EXPECT_EQ(f["nonblock"], true);
  EXPECT_EQ(f["nosignal"], true);
  EXPECT_EQ(f["peek"], true);
  EXPECT_EQ(f["size"], 100000);
  EXPECT_EQ(f["shut_how"], "SHUT_RDWR");
  EXPECT_EQ(f["option"], "SO_LINGER");
  EXPECT_EQ(f["linger"]["on"], true);
  EXPECT_EQ(f["linger"]["seconds"], 3);
  EXPECT_EQ(f["timeout_ms"], 250);
  EXPECT_EQ(f["events"], "POLLIN|POLLRDHUP");
  EXPECT_EQ(f["revents"], "POLLIN|POLLERR|POLLHUP");
  EXPECT_EQ(f["so_error"], "ECONNRESET");
  // A plain write: what does not apply is null.
  s.facts = CallFacts{};
  s.facts.op = CallOp::Write;
  s.facts.size = 1;
  const auto k = nlohmann::json::parse(trace_to_json(t))["events"][1]["facts"];
  EXPECT_EQ(k["op"], "write");
  EXPECT_TRUE(k["fd"].is_null());
  EXPECT_TRUE(k["shut_how"].is_null());
  EXPECT_TRUE(k["linger"].is_null());
  EXPECT_TRUE(k["events"].is_null());
  EXPECT_TRUE(k["so_error"].is_null());
  EXPECT_EQ(k["size"], 1);
}

TEST(TraceJsonV2, EveryFactsFieldRoundTrips) {
  Trace t = sample();
  std::get<SyscallEvent>(t.events[1].body).facts = full_facts();
  std::get<SyscallEvent>(t.events[1].body).tcp_state = TcpState::Closed;
  std::get<SyscallEvent>(t.events[1].body).t_state_ns = 2100;
  const std::string text = trace_to_json(t);
  const Trace back = trace_from_json(text, "mem");
  const auto& s = *back.events[1].syscall();
  expect_same_facts(s.facts, full_facts(), "round trip");
  EXPECT_EQ(s.tcp_state, TcpState::Closed) << "read back from the state's name";
  EXPECT_EQ(s.t_state_ns, 2100);
  EXPECT_EQ(trace_to_json(back), text);
}

TEST(TraceJsonV2, ActorsAndConnectionsRoundTrip) {
  const Trace t = two_connections();
  const std::string text = trace_to_json(t);
  const auto j = nlohmann::json::parse(text);
  ASSERT_EQ(j["actors"].size(), 3u);
  EXPECT_EQ(j["actors"][1]["name"], "app[100/101]");
  EXPECT_EQ(j["actors"][1]["kind"], "program");
  EXPECT_EQ(j["actors"][1]["tid"], 101);
  ASSERT_EQ(j["connections"].size(), 2u);
  EXPECT_EQ(j["connections"][1]["client"]["actor"], 1);
  EXPECT_TRUE(j["connections"][1]["server"]["actor"].is_null());
  EXPECT_EQ(j["connections"][1]["first_observer"]["event"], 5);
  EXPECT_TRUE(j["connections"][0]["first_observer"].is_null());
  EXPECT_EQ(j["events"][4]["conn"], 1);
  EXPECT_EQ(j["events"][3]["actor_id"], 0);
  const Trace b = trace_from_json(text, "mem");
  ASSERT_EQ(b.connections.size(), 2u);
  EXPECT_EQ(b.connections[1].client.endpoint.port, 40002);
  EXPECT_FALSE(b.connections[1].server.actor);
  EXPECT_EQ(b.actors[2].pid, 200);
  EXPECT_EQ(b.client.endpoint, t.client.endpoint) << "client and server are connection 0's ends";
  EXPECT_EQ(b.client.kind, "program");
  EXPECT_EQ(trace_to_json(b), text);
}

TEST(TraceJsonV2, APairWithoutATableIsWrittenAsOneConnection) {
  const auto j = nlohmann::json::parse(trace_to_json(sample()));
  ASSERT_EQ(j["actors"].size(), 2u);
  EXPECT_EQ(j["actors"][0]["name"], "client");
  EXPECT_EQ(j["actors"][0]["kind"], "kernel");
  EXPECT_EQ(j["actors"][0]["sigpipe"], "default");
  EXPECT_EQ(j["actors"][1]["kind"], "peer");
  ASSERT_EQ(j["connections"].size(), 1u);
  EXPECT_EQ(j["connections"][0]["client"]["endpoint"], "192.0.2.1:40001");
  EXPECT_EQ(j["connections"][0]["server"]["actor"], 1);
  EXPECT_EQ(j["connections"][0]["first_observer"], j["first_observer"]);
}

TEST(TraceJsonV2, ConnectionViewsSplitATrace) {
  const Trace t = two_connections();
  const ConnectionView v1 = connection_view(t, 1);
  EXPECT_EQ(v1.original, (std::vector<size_t>{1, 2, 4, 5}));
  ASSERT_EQ(v1.trace.connections.size(), 1u);
  EXPECT_EQ(v1.trace.client.endpoint.port, 40002);
  EXPECT_EQ(v1.trace.server.kind, "none") << "no actor of the trace holds that end";
  ASSERT_TRUE(v1.trace.first_observer);
  EXPECT_EQ(v1.trace.first_observer->event, 3u) << "renumbered into the view";
  EXPECT_EQ(v1.trace.first_observer->cause, 2u);
  ASSERT_EQ(v1.trace.annotations.size(), 2u);
  EXPECT_EQ(v1.trace.annotations[0].event, 2u);
  EXPECT_EQ(v1.trace.side_of(*v1.trace.events[1].syscall()), 0);
  const ConnectionView v0 = connection_view(t, 0);
  EXPECT_EQ(v0.original, (std::vector<size_t>{0, 3}));
  EXPECT_FALSE(v0.trace.first_observer) << "connection 0 has its own (none)";
  EXPECT_EQ(v0.trace.side_of(*v0.trace.events[1].syscall()), 0);
  EXPECT_EQ(t.side_of(*t.events[3].syscall()), 0);
  EXPECT_EQ(t.side_of(*t.events[2].syscall()), 0) << "thread 101 is connection 1's client";
  SyscallEvent server_call;
  server_call.actor_id = 2;
  EXPECT_EQ(t.side_of(server_call), 1);
  server_call.conn = 1;
  EXPECT_EQ(t.side_of(server_call), -1) << "the server holds no end of connection 1";
}

TEST(TraceJsonV2, BadInputNamesTheField) {
  auto message = [](const nlohmann::json& j) {
    try {
      trace_from_json(j.dump(), "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const auto good = nlohmann::json::parse(trace_to_json(two_connections()));
  auto j = good;
  j["events"][2]["facts"]["op"] = "frobnicate";
  EXPECT_EQ(message(j), "t.json: event 2: facts: unknown call operation 'frobnicate'");
  j = good;
  j["events"][2].erase("facts");
  EXPECT_EQ(message(j), "t.json: event 2: missing field 'facts'");
  j = good;
  j["events"][2]["facts"] = 3;
  EXPECT_EQ(message(j), "t.json: event 2: facts: field 'facts' must be an object");
  j = good;
  j["events"][2]["facts"]["revents"] = "POLLIN|POLLWAT";
  EXPECT_EQ(message(j), "t.json: event 2: facts: field 'revents': unknown poll events 'POLLIN|POLLWAT'");
  j = good;
  j["events"][2]["facts"]["shut_how"] = "SHUT_UP";
  EXPECT_EQ(message(j), "t.json: event 2: facts: unknown shutdown how 'SHUT_UP'");
  j = good;
  j["events"][2]["facts"]["nosignal"] = "yes";
  EXPECT_EQ(message(j), "t.json: event 2: facts: field 'nosignal' must be true or false");
  j = good;
  j["events"][2]["facts"]["so_error"] = "EWHAT";
  EXPECT_EQ(message(j), "t.json: event 2: facts: field 'so_error': unknown errno 'EWHAT'");
  j = good;
  j["events"][4]["conn"] = 2;
  EXPECT_EQ(message(j), "t.json: event 4: field 'conn' names no connection");
  j = good;
  j["events"][3]["actor_id"] = 9;
  EXPECT_EQ(message(j), "t.json: event 3: field 'actor_id' names no actor");
  j = good;
  j["connections"][1]["id"] = 0;
  EXPECT_EQ(message(j), "t.json: connection 1: field 'id' must be its index, 1");
  j = good;
  j["connections"][1]["client"]["actor"] = 3;
  EXPECT_EQ(message(j), "t.json: connection 1: client: field 'actor' names no actor");
  j = good;
  j["connections"][0]["server"]["endpoint"] = "nowhere";
  EXPECT_NE(message(j).find("t.json: connection 0: server: "), std::string::npos) << message(j);
  j = good;
  j["actors"][0]["kind"] = "ghost";
  EXPECT_EQ(message(j), "t.json: actor 0: unknown actor kind 'ghost'");
  j = good;
  j.erase("actors");
  EXPECT_EQ(message(j), "t.json: top level: missing field 'actors'");
  j = good;
  j["connections"][1]["first_observer"]["event"] = 60;
  EXPECT_EQ(message(j), "t.json: connection 1: first_observer: field 'event' names no event");
  j = good;
  j["format"] = "rstlab-trace/3";
  EXPECT_NE(message(j).find("rstlab-trace/2\" or \"rstlab-trace/1"), std::string::npos) << message(j);
}

// ---- rstlab-trace/1: still read; facts come from the words ------------------------

TEST(TraceJsonV1, OldFilesAreReadWithFactsFromTheirWords) {
  const Trace t = trace_from_json(read_data("v1/broken-pipe.trace.json"), "v1/broken-pipe.trace.json");
  ASSERT_EQ(t.connections.size(), 1u);
  ASSERT_EQ(t.actors.size(), 2u);
  EXPECT_EQ(t.actors[0].name, "client");
  EXPECT_EQ(t.actors[0].sigpipe, "default");
  EXPECT_EQ(t.connections[0].server.endpoint, t.server.endpoint);
  ASSERT_TRUE(t.connections[0].first_observer);
  EXPECT_EQ(t.connections[0].first_observer->event, t.first_observer->event);
  std::vector<std::string> ops;
  for (const auto& e : t.events)
    if (const auto* s = e.syscall()) {
      ops.push_back(call_op_name(s->facts.op));
      EXPECT_EQ(s->actor_id, ActorId{0});
      EXPECT_EQ(t.side_of(*s), 0);
      if (s->facts.op == CallOp::Write) {
        EXPECT_EQ(s->facts.size, 1u) << s->args;
      }
    }
  EXPECT_EQ(ops, (std::vector<std::string>{"connect", "write", "write", "write"}));
}

// The compatibility reader must give back the facts the actor measured, for every kind
// of call calls.cpp words: each call is written as /2, turned into /1 (its facts and
// the table dropped, as a /1 file has them) and read back.
TEST(TraceJsonV1, WordsGiveBackTheMeasuredFacts) {
  struct Case {
    CallRequest req;
    CallResult res;
  };
  std::vector<Case> cases;
  auto add = [&](KernelCall c, auto&& tune) {
    Case k;
    k.req.call = c;
    k.res.fd = 3;
    tune(k.req, k.res);
    cases.push_back(k);
  };
  add(KernelCall::Connect, [](CallRequest& q, CallResult& r) {
    q.nonblocking = true;
    q.remote = Endpoint::parse("192.0.2.2:8080");
    r.nonblock = true;
    r.ret = -1;
    r.err = EINPROGRESS;
  });
  add(KernelCall::Write, [](CallRequest& q, CallResult& r) {
    q.use_send_recv = true;
    q.msg_flags = MSG_NOSIGNAL | MSG_DONTWAIT;
    q.data = "a\n\"\xff";
    r.nonblock = true;
    r.ret = 4;
  });
  add(KernelCall::Write, [](CallRequest& q, CallResult& r) {
    q.count = 100000;
    r.nonblock = true;
    r.ret = 100000;
  });
  add(KernelCall::Read, [](CallRequest& q, CallResult& r) {
    q.use_send_recv = true;
    q.msg_flags = MSG_PEEK | MSG_WAITALL;
    q.count = 10;
    r.nonblock = true;
    r.ret = 0;
  });
  add(KernelCall::Shutdown, [](CallRequest& q, CallResult& r) {
    q.value = SHUT_WR;
    r.nonblock = true;
  });
  add(KernelCall::SetLinger, [](CallRequest& q, CallResult& r) {
    q.enable = true;
    q.value = 0;
    r.nonblock = true;
  });
  add(KernelCall::SetUserTimeout, [](CallRequest& q, CallResult& r) {
    q.value = 5000;
    r.nonblock = true;
  });
  add(KernelCall::GetSoError, [](CallRequest&, CallResult& r) {
    r.so_error = ECONNRESET;
    r.value = "ECONNRESET";
    r.nonblock = true;
  });
  add(KernelCall::Poll, [](CallRequest& q, CallResult& r) {
    q.events = POLLIN | POLLRDHUP;
    q.value = 100;
    r.ret = 1;
    r.revents = POLLIN | POLLRDHUP;
    r.value = "POLLIN|POLLRDHUP";
    r.nonblock = true;
  });
  add(KernelCall::Close, [](CallRequest&, CallResult& r) { r.nonblock = true; });
  add(KernelCall::Pipe, [](CallRequest&, CallResult& r) { r.on_pipe = true; });
  add(KernelCall::Write, [](CallRequest& q, CallResult& r) {
    q.data = "x";
    r.on_pipe = true;
    r.ret = -1;
    r.err = EPIPE;
  });
  add(KernelCall::CloseReadEnd, [](CallRequest&, CallResult& r) { r.on_pipe = true; });
  Trace t = sample();
  t.events.resize(1);  // the packet
  for (const Case& k : cases) {
    Event e;
    e.t_ns = 5000 + static_cast<int64_t>(t.events.size());
    e.body = detail::syscall_event("client", k.req, k.res);
    t.events.push_back(e);
  }
  t.first_observer.reset();
  t.annotations.clear();
  auto j = nlohmann::ordered_json::parse(trace_to_json(t));
  j["format"] = "rstlab-trace/1";
  j["client"] = {{"kind", "kernel"}, {"endpoint", "192.0.2.1:40001"}, {"sigpipe", "default"}};
  j["server"] = {{"kind", "peer"}, {"endpoint", "192.0.2.2:8080"}};
  j.erase("actors");
  j.erase("connections");
  for (auto& e : j["events"]) {
    e.erase("facts");
    e.erase("conn");
    e.erase("actor_id");
  }
  const Trace back = trace_from_json(j.dump(2), "v1.json");
  ASSERT_EQ(back.events.size(), t.events.size());
  for (size_t i = 1; i < t.events.size(); ++i) {
    CallFacts want = t.events[i].syscall()->facts;
    want.fd = -1;  // a /1 file never said which descriptor
    const SyscallEvent& got = *back.events[i].syscall();
    expect_same_facts(got.facts, want, got.call + "(" + got.args + ")");
  }
}

TEST(TraceJsonV1, OldFilesRenderAsBefore) {
  for (const char* name : {"broken-pipe", "challenge-ack", "middlebox-idle-reset", "reset-by-peer-kernel"}) {
    const std::string file = std::string("v1/") + name + ".trace.json";
    const Trace v1 = trace_from_json(read_data(file), file);
    // The reviewed /2 goldens are these /1 files converted (RSTLAB_UPDATE_GOLDEN=1 rewrites them).
    const std::string golden = std::string("golden/") + name + ".trace.json";
    if (std::getenv("RSTLAB_UPDATE_GOLDEN"))
      std::ofstream(std::string(RSTLAB_TEST_DATA) + "/" + golden, std::ios::binary) << trace_to_json(v1);
    EXPECT_EQ(trace_to_json(v1), read_data(golden)) << name;
    const Trace v2 = trace_from_json(read_data(golden), name);
    EXPECT_EQ(render_svg(v1), read_data(std::string("golden/") + name + ".svg")) << name;
    EXPECT_EQ(render_mermaid(v1), render_mermaid(v2)) << name;
    EXPECT_EQ(render_plantuml(v1), render_plantuml(v2)) << name;
    EXPECT_EQ(render_text(v1, false), render_text(v2, false)) << name;
    EXPECT_EQ(render_html_report(v1), render_html_report(v2)) << name;
  }
}

// Whatever a file holds, reading it ends in an InputError naming the file, never in
// another exception.
TEST(TraceJsonV2, WrongTypesAndHugeNumbersAreInputErrors) {
  auto message = [](const std::string& text) {
    try {
      trace_from_json(text, "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto j = nlohmann::json::parse(trace_to_json(sample()));
  j["capture"]["packets"] = "many";
  EXPECT_EQ(message(j.dump()), "t.json: capture: field 'packets' must be an integer");
  j = nlohmann::json::parse(trace_to_json(sample()));
  j["events"][0]["win"] = "wide";
  EXPECT_EQ(message(j.dump()), "t.json: event 0: field 'win' must be an integer");
  // A /1 file whose words hold a number too large for any size: the size stays unknown.
  j = nlohmann::json::parse(trace_to_json(sample()));
  j["format"] = "rstlab-trace/1";
  j["client"] = {{"kind", "kernel"}, {"endpoint", "192.0.2.1:40001"}};
  j["server"] = {{"kind", "peer"}, {"endpoint", "192.0.2.2:8080"}};
  j["events"][1]["args"] = "99999999999999999999999999 bytes";
  Trace t;
  ASSERT_NO_THROW(t = trace_from_json(j.dump(), "t.json"));
  EXPECT_FALSE(t.events[1].syscall()->facts.size);
  j["events"][1]["call"] = "read";
  j["events"][1]["args"] = "99999999999999999999999999, MSG_PEEK";
  ASSERT_NO_THROW(t = trace_from_json(j.dump(), "t.json"));
  EXPECT_TRUE(t.events[1].syscall()->facts.peek);
}


// Every input trace_fuzz ever crashed on (tools/fuzz copies them here), through the same
// entry point (reader, then every renderer of `rstlab diagram`): it aborts on any exception
// but InputError, or a refusal that names no file.
TEST(TraceJson, FuzzRegressionsStayFixed) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(RSTLAB_TEST_DATA) / "fuzz-regressions" / "trace";
  if (!fs::exists(dir)) GTEST_SKIP() << "no trace_fuzz finding kept yet";
  for (const auto& e : fs::directory_iterator(dir)) {
    SCOPED_TRACE(e.path().string());
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string bytes = ss.str();
    fuzz::read_trace_bytes(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
}

// The optional fields of a packet and of "capture" were read with nlohmann's value(): a
// string where a number belongs threw json::type_error (`rstlab diagram` then reported an
// internal error, exit 4), and 1e300 became an int (undefined behaviour). Now each is an
// InputError naming the file and the field.
TEST(TraceJson, OptionalFieldsOfTheWrongTypeAreInputErrors) {
  auto message = [](const nlohmann::json& j) {
    try {
      trace_from_json(j.dump(), "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    } catch (const std::exception& e) {
      return std::string("not an InputError: ") + e.what();
    }
    return std::string("no error");
  };
  const auto base = nlohmann::json::parse(trace_to_json(sample()));
  auto j = base;
  j["events"][0]["win"] = "x";
  EXPECT_EQ(message(j), "t.json: event 0: field 'win' must be an integer");
  j = base;
  j["events"][0]["win"] = 1e300;
  EXPECT_EQ(message(j), "t.json: event 0: field 'win' must be an integer");
  j = base;
  j["events"][0]["win"] = 65536;
  EXPECT_EQ(message(j), "t.json: event 0: field 'win' is out of range");
  j = base;
  j["events"][0]["wscale"] = -3;
  EXPECT_EQ(message(j), "t.json: event 0: field 'wscale' is out of range");
  j = base;
  j["events"][0]["checksum_ok"] = 1;
  EXPECT_EQ(message(j), "t.json: event 0: field 'checksum_ok' must be true or false");
  j = base;
  j["capture"]["packets"] = "many";
  EXPECT_EQ(message(j), "t.json: capture: field 'packets' must be an integer");
  j = base;
  j["capture"]["file"] = 3;
  EXPECT_EQ(message(j), "t.json: capture: field 'file' must be a string");
  j = base;
  j["events"][0]["wscale"] = 200;  // the wire allows it (the model counts it as 14)
  EXPECT_EQ(message(j), "no error");
}

// Found by trace_fuzz (tests/data/fuzz-regressions/trace/crash-b317ca91...): a number too
// large for a double made nlohmann throw out_of_range from parse(), which escaped as an
// internal error (exit 4) instead of a refusal naming the file.
TEST(TraceJson, ANumberBeyondADoubleIsAnInputError) {
  std::string text = trace_to_json(sample());
  const auto at = text.find("\"packets\": ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, text.find(',', at) - at, "\"packets\": 1e999");
  try {
    trace_from_json(text, "t.json");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "t.json: not valid JSON (number overflow parsing '1e999')");
  }
}

namespace {

/// A traced program's trace: one connection between two threads of one process, and the
/// lines it printed, one of them not UTF-8 (a program may print any bytes).
Trace program_trace_with_output() {
  Trace t = sample();
  t.actors = {{"prog[10]", ProcessKind::Program, 10, 10, "ignore"}, {"prog[11]", ProcessKind::Program, 10, 11, "ignore"}};
  ConnectionInfo c;
  c.client = {Endpoint::parse("192.0.2.1:40001"), ActorId{0}};
  c.server = {Endpoint::parse("192.0.2.2:8080"), ActorId{1}};
  t.connections = {c};
  auto& w = std::get<SyscallEvent>(t.events[1].body);
  w.actor = "prog[10]";
  w.actor_id = 0;
  OutputEvent err;
  err.actor = "prog[10]";
  err.actor_id = 0;
  err.stream = 2;
  err.pid = 10;
  err.tid = 10;
  err.text = "write: Broken pipe";
  Event e1;
  e1.t_ns = 2500;
  e1.body = err;
  OutputEvent odd;
  odd.actor = "prog[11]";
  odd.actor_id = 1;
  odd.stream = 1;
  odd.pid = 10;
  odd.tid = 11;
  odd.text = std::string("bytes \xff\xfe then \x1b[31m red \"q\" \xc3\xa9") + std::string(1, '\0') + "end";
  Event e2;
  e2.t_ns = 2600;
  e2.body = odd;
  t.events.push_back(e1);
  t.events.push_back(e2);
  return t;
}

}  // namespace

// An output line is its own event: written with its stream, process and thread, read
// back byte for byte, even when it is not UTF-8 (then "text" is valid JSON text with
// U+FFFD and "text_hex" holds the exact bytes).
TEST(TraceJson, OutputEventsRoundTripAnyBytes) {
  const Trace t = program_trace_with_output();
  const std::string text = trace_to_json(t);
  const auto j = nlohmann::json::parse(text);  // throws on invalid UTF-8
  const auto& e = j["events"][2];
  EXPECT_EQ(e["type"], "output");
  EXPECT_EQ(e["stream"], "stderr");
  EXPECT_EQ(e["pid"], 10);
  EXPECT_EQ(e["tid"], 10);
  EXPECT_EQ(e["actor"], "prog[10]");
  EXPECT_EQ(e["actor_id"], 0);
  EXPECT_EQ(e["text"], "write: Broken pipe");
  EXPECT_FALSE(e.contains("text_hex")) << "valid UTF-8 needs no copy";
  const auto& odd = j["events"][3];
  EXPECT_EQ(odd["stream"], "stdout");
  EXPECT_NE(odd["text"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);
  ASSERT_TRUE(odd.contains("text_hex"));

  const Trace back = trace_from_json(text, "t.json");
  ASSERT_EQ(back.events.size(), 4u);
  const OutputEvent* o = back.events[3].output();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->text, t.events[3].output()->text);
  EXPECT_EQ(o->stream, 1);
  EXPECT_EQ(o->tid, 11);
  EXPECT_EQ(o->actor_id, ActorId{1});
  EXPECT_EQ(back.events[2].output()->text, "write: Broken pipe");
  EXPECT_EQ(trace_to_json(back), text);
}

TEST(TraceJson, BadOutputEventsAreRefusedByField) {
  const nlohmann::json base = nlohmann::json::parse(trace_to_json(program_trace_with_output()));
  auto message = [](const nlohmann::json& j) {
    try {
      trace_from_json(j.dump(), "t.json");
      return std::string("no error");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
  };
  nlohmann::json j = base;
  j["events"][2]["stream"] = "stdin";
  EXPECT_EQ(message(j), "t.json: event 2: bad stream 'stdin' (stdout or stderr)");
  j = base;
  j["events"][3]["text_hex"] = "ff0";
  EXPECT_EQ(message(j), "t.json: event 3: field 'text_hex' must hold an even number of digits");
  j = base;
  j["events"][3]["text_hex"] = "zz";
  EXPECT_EQ(message(j), "t.json: event 3: field 'text_hex' must hold hexadecimal digits");
  j = base;
  j["events"][2]["actor_id"] = 7;
  EXPECT_EQ(message(j), "t.json: event 2: field 'actor_id' names no actor");
  j = base;
  j["events"][2].erase("text");
  EXPECT_EQ(message(j), "t.json: event 2: missing field 'text'");
}

// Traces written before output events had an action "output" with "stderr: TEXT": they
// read back as output events.
TEST(TraceJson, OlderOutputActionsReadAsOutputEvents) {
  nlohmann::json j = nlohmann::json::parse(trace_to_json(program_trace_with_output()));
  j["events"][2] = {{"i", 2},          {"t_ns", 2500},       {"t_us", 1.5},
                    {"type", "action"}, {"actor", "prog[10]"}, {"action", "output"},
                    {"detail", "stderr: write: Broken pipe"}};
  const Trace t = trace_from_json(j.dump(), "old.json");
  const OutputEvent* o = t.events[2].output();
  ASSERT_TRUE(o);
  EXPECT_EQ(o->stream, 2);
  EXPECT_EQ(o->text, "write: Broken pipe");
  EXPECT_EQ(o->actor, "prog[10]");
}

// Every renderer shows an output line as the program's own words, on its writer's side,
// with the bytes that are no text escaped (no raw ESC, no invalid UTF-8, no NUL).
TEST(Render, OutputLinesInEveryRenderer) {
  const Trace t = program_trace_with_output();
  const std::string txt = render_text(t, false);
  EXPECT_NE(txt.find("stderr: write: Broken pipe"), std::string::npos) << txt;
  EXPECT_NE(txt.find("stdout: bytes \\xff\\xfe then \\x1b[31m red \"q\" \xc3\xa9\\x00end"), std::string::npos) << txt;
  EXPECT_EQ(txt.find('\x1b'), std::string::npos);
  const std::string html = render_html_report(t);
  EXPECT_NE(html.find("class=\"ev out err-out\""), std::string::npos);
  EXPECT_NE(html.find("stderr: write: Broken pipe"), std::string::npos);
  EXPECT_NE(html.find("red &quot;q&quot;"), std::string::npos);
  const std::string svg = render_svg(t);
  EXPECT_NE(svg.find(">stderr: write: Broken pipe</text>"), std::string::npos);
  EXPECT_NE(svg.find("font-family=\"monospace\" fill=\"#8a3b12\""), std::string::npos);
  EXPECT_EQ(svg.find('\x1b'), std::string::npos);
  const std::string mmd = render_mermaid(t);
  EXPECT_NE(mmd.find("Note left of C: stderr: write: Broken pipe"), std::string::npos) << mmd;
  EXPECT_NE(mmd.find("Note right of S: stdout: bytes"), std::string::npos) << mmd;
  const std::string puml = render_plantuml(t);
  EXPECT_NE(puml.find("note left of C #f4f4f4 : stderr: write: Broken pipe"), std::string::npos) << puml;
  for (const std::string* s : {&txt, &html, &svg, &mmd, &puml})
    EXPECT_EQ(s->find(std::string(1, '\0')), std::string::npos);
}

// trace.json is written straight into one string (no tree per event): its layout must
// stay nlohmann's own, byte for byte, as every trace.json so far was written. The
// reference: the same document parsed and dumped again by nlohmann.
TEST(TraceJson, WrittenInNlohmannsOwnLayout) {
  auto redumped = [](const std::string& text) {
    return nlohmann::ordered_json::parse(text).dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
           "\n";
  };
  std::vector<Trace> traces = {sample(), Trace{}};
  for (const char* name : {"broken-pipe", "challenge-ack", "ladder-long", "middlebox-idle-reset", "reset-by-peer-kernel"})
    traces.push_back(trace_from_json(read_data(std::string("golden/") + name + ".trace.json"), name));
  // Every kind of value: texts that need escapes or are not UTF-8, empty and nested
  // objects and arrays, negative and large numbers, times that make long doubles.
  Trace t = sample();
  t.story = "quote \" backslash \\ tab \t newline \n bell \x07 del \x7f UTF-8 \xc3\xa9 not \xff\xc3";
  t.failures = {"one", "two \x01"};
  auto& s = std::get<SyscallEvent>(t.events[1].body);
  s.facts.op = CallOp::Poll;
  s.facts.events = POLLIN;
  s.facts.revents = POLLERR | POLLHUP;
  s.facts.option = SockOpt::Linger;
  s.facts.linger_on = true;
  s.facts.size = 18446744073709551615ull;
  s.facts.shut_how = 7;
  s.value = std::string("\0\x01\x02", 3);
  s.t_state_ns = 3000;
  s.actor_id = 0;
  t.events[0].t_ns = -7;
  t.events[1].t_ns = 123456789012345;
  t.events[1].line = "x.scn:3";
  Event out;
  out.t_ns = 123456789012346;
  out.body = OutputEvent{"prog", std::nullopt, 2, 0, 0, "not UTF-8 \xfe\xff and a \"quote\""};
  t.events.push_back(out);
  Event act;
  act.t_ns = 123456789012347;
  act.body = ActionEvent{"peer", "close", ""};
  t.events.push_back(act);
  t.annotations.push_back({2, "note", "with a rule", "tcp.rst.accept"});
  traces.push_back(t);
  for (const Trace& tr : traces) {
    const std::string text = trace_to_json(tr);
    EXPECT_EQ(text, redumped(text)) << tr.scenario;
  }
}
