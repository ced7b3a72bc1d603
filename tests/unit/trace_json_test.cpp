// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "../../fuzz/targets.h"
#include "rstlab/error.h"
#include "rstlab/trace_json.h"
#include "rstlab/wire.h"

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
  t.annotations.push_back({0, "rst", "RST to the client: accepted in CLOSE_WAIT"});
  t.annotations.push_back({1, "observer", "FIRST OBSERVER of the RST #8"});
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
  t.annotations.push_back({0, "note", std::string("odd \xe9 byte")});
  std::string text;
  ASSERT_NO_THROW(text = trace_to_json(t));
  const auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["events"][0]["payload"], "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
  EXPECT_NO_THROW(trace_from_json(text, "t.json"));
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
