// SPDX-License-Identifier: MIT
// rstlab replay, the core half: choosing the flow, the scenario a capture becomes, the
// comparison of two captures, and the bad input that must stop it before anything runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "rstlab/replay.h"
#include "rstlab/wire.h"

namespace fs = std::filesystem;
using namespace rstlab;

namespace {

const std::string kCaptures = std::string(RSTLAB_SOURCE_DIR) + "/captures/";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

/// A raw-IP (DLT_RAW) IPv4 packet from 192.0.2.1:40001 (client) or 192.0.2.2:8080, with
/// `proto` 6 (TCP, 20-byte header, correct checksum) or 17 (UDP).
CapturedPacket raw_packet(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, const std::string& payload,
                          uint8_t proto = 6) {
  const size_t l4 = proto == 6 ? 20 : 8;
  std::vector<uint8_t> b(20 + l4 + payload.size(), 0);
  b[0] = 0x45;
  b[2] = static_cast<uint8_t>(b.size() >> 8), b[3] = static_cast<uint8_t>(b.size());
  b[8] = 64, b[9] = proto;
  const uint8_t c[4] = {192, 0, 2, 1}, s[4] = {192, 0, 2, 2};
  std::copy(from_client ? c : s, (from_client ? c : s) + 4, b.begin() + 12);
  std::copy(from_client ? s : c, (from_client ? s : c) + 4, b.begin() + 16);
  const uint16_t sport = from_client ? 40001 : 8080, dport = from_client ? 8080 : 40001;
  b[20] = sport >> 8, b[21] = sport & 0xff, b[22] = dport >> 8, b[23] = dport & 0xff;
  if (proto == 6) {
    for (int i = 0; i < 4; ++i) b[24 + i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
    for (int i = 0; i < 4; ++i) b[28 + i] = static_cast<uint8_t>(ack >> (24 - 8 * i));
    b[32] = 0x50, b[33] = flags, b[34] = 0xff, b[35] = 0xff;
  } else {
    b[24] = 0, b[25] = static_cast<uint8_t>(8 + payload.size());
  }
  std::copy(payload.begin(), payload.end(), b.begin() + 20 + static_cast<long>(l4));
  if (proto == 6) {  // a correct checksum: the pseudo-header, then the segment
    uint32_t sum = checksum_add(0, b.data() + 12, 8) + 6 + static_cast<uint32_t>(b.size() - 20);
    sum = checksum_add(sum, b.data() + 20, b.size() - 20);
    const uint16_t c16 = static_cast<uint16_t>(~checksum_fold(sum));
    b[36] = static_cast<uint8_t>(c16 >> 8), b[37] = static_cast<uint8_t>(c16);
  }
  CapturedPacket p;
  p.data = b;
  p.wire_len = static_cast<uint32_t>(b.size());
  return p;
}

fs::path temp_capture(const std::string& name, const std::vector<CapturedPacket>& packets) {
  const fs::path p = fs::temp_directory_path() / ("rstlab-replay-test-" + name + ".pcap");
  std::vector<CapturedPacket> numbered = packets;
  for (size_t k = 0; k < numbered.size(); ++k) numbered[k].t_ns = 1'000'000'000 + int64_t(k) * 1'000'000;
  write_pcap(p.string(), linktype::RAW, numbered);
  return p;
}

using namespace tcpflag;

}  // namespace

TEST(Replay, BrokenPipeBecomesWritesAFinAndAnExactRst) {
  const CapturedFlow flow = choose_flow(kCaptures + "broken-pipe-veth.pcap", std::nullopt);
  EXPECT_EQ(flow.report.id, 1u);
  const ReplayPlan plan = plan_replay(flow, {});
  // The kernel side's calls, inferred from its segments; the peer's segments as captured.
  for (const char* line : {"client   kernel sigpipe=ignore", "server   peer isn=", "client connect => 0",
                           "client write \"a\" => 1", "server fin", "client write \"b\" => 1",
                           "server rst seq=exact", "client read 65536", "client write \"x\""})
    EXPECT_NE(plan.text.find(line), std::string::npos) << line << "\n" << plan.text;
  // Each step says which frames it came from.
  EXPECT_NE(plan.text.find("# frame 8: R exactly at what the kernel side expected"), std::string::npos);
  // The text is the scenario: parsing it again gives the same steps.
  EXPECT_EQ(parse_scenario(plan.text, "x.scn").steps.size(), plan.scenario.steps.size());
  EXPECT_EQ(plan.scenario.server.kind, ActorKind::Peer);
}

TEST(Replay, KernelServerListensAcceptsAndTheClientIsThePeer) {
  const CapturedFlow flow = choose_flow(kCaptures + "reset-by-peer-kernel-veth.pcap", std::nullopt);
  ReplayOptions o;
  o.kernel = Role::Server;
  o.then = {"so_error", "read"};
  const ReplayPlan plan = plan_replay(flow, o);
  EXPECT_NE(plan.text.find("server listen => 0\n"), std::string::npos) << plan.text;
  EXPECT_NE(plan.text.find("client connect\n"), std::string::npos);
  EXPECT_NE(plan.text.find("server accept\n"), std::string::npos);
  EXPECT_EQ(plan.scenario.client.kind, ActorKind::Peer);
  // The peer keeps the captured client's ISN.
  ASSERT_TRUE(plan.scenario.client.offer.isn);
  EXPECT_NE(*plan.scenario.client.offer.isn, 1000000000u);
}

TEST(Replay, RstPositionsKeepTheirPlaceRelativeToTheKernel) {
  const ReplayPlan in = plan_replay(choose_flow(kCaptures + "challenge-ack-veth.pcap", std::nullopt), {});
  EXPECT_NE(in.text.find("server rst seq=+100"), std::string::npos) << in.text;
  const ReplayPlan oow = plan_replay(choose_flow(kCaptures + "out-of-window-rst-veth.pcap", std::nullopt), {});
  EXPECT_NE(oow.text.find("server rst seq=oow"), std::string::npos) << oow.text;
  // Neither RST ended the connection: the read probe must not wait.
  EXPECT_NE(oow.text.find("client recv 65536 dontwait"), std::string::npos);
}

TEST(Replay, AbortIsLingerZeroAndCloseWithANote) {
  ReplayOptions o;
  o.kernel = Role::Server;
  const ReplayPlan plan = plan_replay(choose_flow(kCaptures + "linger-zero-veth.pcap", std::nullopt), o);
  EXPECT_NE(plan.text.find("server linger 0 => 0\nserver close => 0"), std::string::npos) << plan.text;
  EXPECT_FALSE(plan.notes.empty());
  EXPECT_NE(plan.text.find("server note \""), std::string::npos);
}

TEST(Replay, ProbeListIsChecked) {
  EXPECT_EQ(parse_probe_list("so_error,read"), (std::vector<std::string>{"so_error", "read"}));
  EXPECT_EQ(error_of([] { parse_probe_list("read,wirte"); }),
            "--then: 'wirte' is not a probe call (read, write, send, so_error, poll; e.g. --then so_error,read)");
}

TEST(Replay, SameCaptureComparesFaithfulAndADroppedRstDiverges) {
  const CapturedFlow flow = choose_flow(kCaptures + "broken-pipe-veth.pcap", std::nullopt);
  const auto units = wire_units(flow.link_type, flow.packets, flow.report.a);
  // SYN, SYN-ACK, "a", FIN, "b", RST: pure ACKs and retransmissions are not compared.
  ASSERT_EQ(units.size(), 6u);
  EXPECT_EQ(units[5].str(), "server>client R seq=2 len=0");
  EXPECT_TRUE(compare_units(units, units, Role::Client).faithful);
  std::vector<WireUnit> shorter(units.begin(), units.end() - 1);
  const ReplayVerdict v = compare_units(units, shorter, Role::Client);
  EXPECT_FALSE(v.faithful);
  EXPECT_NE(v.divergence.find("at segment 6: the original has server>client R seq=2 len=0 (frame 8), the replay "
                              "nothing more"),
            std::string::npos)
      << v.divergence;
  // A challenge ACK where the capture has none is named as such.
  std::vector<WireUnit> challenged = units;
  WireUnit ack = units[5];
  ack.dir = Dir::ClientToServer;
  ack.flags = ACK;
  challenged.push_back(ack);
  const ReplayVerdict c = compare_units(units, challenged, Role::Client);
  EXPECT_NE(c.divergence.find("challenge ACK"), std::string::npos) << c.divergence;
}

TEST(Replay, BadInputIsOneClearLine) {
  // No TCP at all.
  const fs::path udp = temp_capture("udp", {raw_packet(true, 0, 0, 0, "hello", 17)});
  EXPECT_EQ(error_of([&] { choose_flow(udp.string(), std::nullopt); }),
            udp.string() + ": no TCP segment in this capture: nothing to replay");
  // A flow that does not exist.
  EXPECT_EQ(error_of([] { choose_flow(kCaptures + "broken-pipe-veth.pcap", 7); }),
            kCaptures + "broken-pipe-veth.pcap: no flow 7 (it has 1 connection; 'rstlab analyze " + kCaptures +
                "broken-pipe-veth.pcap --all' numbers them)");
  // No handshake and no data: a lone RST.
  const fs::path lone = temp_capture("lone", {raw_packet(false, RST, 5000, 0, "")});
  const CapturedFlow f = choose_flow(lone.string(), std::nullopt);
  EXPECT_EQ(error_of([&] { plan_replay(f, {}); }),
            lone.string() + ": flow 1 has no handshake and no data: nothing to replay");
  // A truncated file.
  const fs::path cut = fs::temp_directory_path() / "rstlab-replay-test-cut.pcap";
  {
    std::ifstream in(kCaptures + "broken-pipe-veth.pcap", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, 60);  // the header, a packet cut short
  }
  const std::string e = error_of([&] { choose_flow(cut.string(), std::nullopt); });
  EXPECT_EQ(e, cut.string() + ": no TCP segment in this capture: nothing to replay (file cut short after packet 0: "
                "truncated dump file; tried to read 74 captured bytes, only got 20)");
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  fs::remove(udp);
  fs::remove(lone);
  fs::remove(cut);
}

TEST(Replay, SeveralResetConnectionsAreListedWithTheirIds) {
  const fs::path p = fs::temp_directory_path() / "rstlab-replay-test-gen.pcap";
  const std::string cmd = std::string(RSTLAB_GEN_CAPTURE) + " --packets 3000 --seed 3 --out " + p.string() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string e = error_of([&] { choose_flow(p.string(), std::nullopt); });
  EXPECT_NE(e.find(" connections hold an RST; choose one with --flow ID: "), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
  fs::remove(p);
}

TEST(Replay, MidStreamCaptureGetsASynthesisedHandshake) {
  // A request, the answer, its ACK, then the server's RST: no SYN in the capture.
  const fs::path p = temp_capture("mid", {raw_packet(true, PSH | ACK, 3001, 7001, "hi"),
                                          raw_packet(false, PSH | ACK, 7001, 3003, "hello"),
                                          raw_packet(true, ACK, 3003, 7006, ""),
                                          raw_packet(false, RST | ACK, 7006, 3003, "")});
  const CapturedFlow flow = choose_flow(p.string(), std::nullopt);
  const ReplayPlan plan = plan_replay(flow, {});
  EXPECT_NE(plan.text.find("mid-stream capture"), std::string::npos) << plan.text;
  EXPECT_NE(plan.text.find("server   peer isn=7000"), std::string::npos) << plan.text;
  EXPECT_NE(plan.text.find("client write \"hi\" => 2\n"), std::string::npos) << plan.text;
  const size_t send = plan.text.find("server send \"hello\"\n"), read = plan.text.find("client read 5 => 5\n");
  ASSERT_NE(send, std::string::npos) << plan.text;
  ASSERT_NE(read, std::string::npos) << plan.text;
  EXPECT_LT(send, read);
  EXPECT_NE(plan.text.find("server rst seq=exact ack"), std::string::npos) << plan.text;
  fs::remove(p);
}

TEST(Replay, CaptureTimingKeepsTheGapsBetweenSteps) {
  // The helper's packets are 1 ms apart; the third comes 1 ms after the second.
  const fs::path p = temp_capture("timing", {raw_packet(true, PSH | ACK, 3001, 7001, "hi"),
                                             raw_packet(false, PSH | ACK, 7001, 3003, "hello"),
                                             raw_packet(false, RST | ACK, 7006, 3003, "")});
  ReplayOptions o;
  o.capture_timing = true;
  const ReplayPlan timed = plan_replay(choose_flow(p.string(), std::nullopt), o);
  EXPECT_NE(timed.text.find("after 1ms server send \"hello\"\n"), std::string::npos) << timed.text;
  EXPECT_NE(timed.text.find("after 1ms server rst seq=exact ack\n"), std::string::npos) << timed.text;
  EXPECT_EQ(timed.scenario.steps.size(), plan_replay(choose_flow(p.string(), std::nullopt), {}).scenario.steps.size());
  const ReplayPlan fast = plan_replay(choose_flow(p.string(), std::nullopt), {});
  EXPECT_EQ(fast.text.find("\nafter "), std::string::npos) << fast.text;
  fs::remove(p);
}

TEST(Replay, ResetFlowsCutsEveryResetConnectionOutInOneRead) {
  const fs::path p = fs::temp_directory_path() / "rstlab-replay-test-all.pcap";
  const std::string cmd = std::string(RSTLAB_GEN_CAPTURE) + " --packets 3000 --seed 3 --out " + p.string() + " >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::vector<CapturedFlow> flows = reset_flows(p.string());
  ASSERT_GT(flows.size(), 10u);
  for (const CapturedFlow& f : flows) {
    SCOPED_TRACE(f.report.id);
    EXPECT_FALSE(f.report.resets.empty());
    EXPECT_EQ(f.packets.size(), f.report.packets);  // every packet of it, none of another
    EXPECT_EQ(f.packets.front().frame, f.report.first_frame);
    EXPECT_EQ(f.packets.back().frame, f.report.last_frame);
    // The same flow, cut out by choose_flow, holds the same frames.
    if (&f == &flows[flows.size() / 2]) {
      const CapturedFlow one = choose_flow(p.string(), f.report.id);
      ASSERT_EQ(one.packets.size(), f.packets.size());
      for (size_t k = 0; k < f.packets.size(); ++k) EXPECT_EQ(one.packets[k].frame, f.packets[k].frame);
    }
  }
  fs::remove(p);
}

TEST(Replay, RefusedConnectReplaysFromEitherSide) {
  // A SYN answered with RST|ACK acknowledging it: connect() got ECONNREFUSED.
  const fs::path p = temp_capture("refused", {raw_packet(true, SYN, 3000, 0, ""), raw_packet(false, RST | ACK, 0, 3001, "")});
  const CapturedFlow flow = choose_flow(p.string(), std::nullopt);  // the one reset connection
  EXPECT_EQ(flow.report.ending, "refused");
  ASSERT_EQ(reset_flows(p.string()).size(), 1u);  // --all-resets takes it too
  const ReplayPlan k = plan_replay(flow, {});
  EXPECT_NE(k.text.find("server synack off\n"), std::string::npos) << k.text;
  EXPECT_NE(k.text.find("client connect &\n"), std::string::npos) << k.text;
  EXPECT_NE(k.text.find("server rst ack seq=abs:0\n"), std::string::npos) << k.text;
  EXPECT_NE(k.text.find("client wait => ECONNREFUSED\n"), std::string::npos) << k.text;
  EXPECT_EQ(k.probe_step, k.scenario.steps.size());  // connect is the probe: nothing is cut from the comparison
  ReplayOptions server;
  server.kernel = Role::Server;
  const ReplayPlan s = plan_replay(flow, server);
  EXPECT_NE(s.text.find("client   peer isn=3000"), std::string::npos) << s.text;
  EXPECT_NE(s.text.find("client connect refused\n"), std::string::npos) << s.text;
  EXPECT_EQ(s.text.find("server listen"), std::string::npos) << s.text;  // nothing listens
  // A SYN answered by nothing, or by a bare RST (ignored in SYN_SENT), is still refused as input.
  const fs::path lone = temp_capture("syn-only", {raw_packet(true, SYN, 3000, 0, ""), raw_packet(false, RST, 0, 0, "")});
  EXPECT_NE(error_of([&] { plan_replay(choose_flow(lone.string(), 1), {}); }).find("never completed its handshake"),
            std::string::npos);
  fs::remove(p);
  fs::remove(lone);
}

TEST(Replay, CaptureTimingOfARetransmissionStorySetsRtoMinAndTheCapturedAcks) {
  // The helper's packets are 1 ms apart: "hi" is sent, retransmitted 1 ms later and 2 ms
  // later again, then acknowledged; then the server resets.
  const fs::path p = temp_capture("rto", {raw_packet(true, SYN, 3000, 0, ""), raw_packet(false, SYN | ACK, 7000, 3001, ""),
                                          raw_packet(true, ACK, 3001, 7001, ""),
                                          raw_packet(true, PSH | ACK, 3001, 7001, "hi"),
                                          raw_packet(true, PSH | ACK, 3001, 7001, "hi"),
                                          raw_packet(true, PSH | ACK, 3001, 7001, "hi"),
                                          raw_packet(false, ACK, 7001, 3003, ""),
                                          raw_packet(false, RST | ACK, 7001, 3003, "")});
  const CapturedFlow flow = choose_flow(p.string(), std::nullopt);
  ReplayOptions o;
  o.capture_timing = true;
  const ReplayPlan timed = plan_replay(flow, o);
  EXPECT_NE(timed.text.find("rto_min  1ms\n"), std::string::npos) << timed.text;
  ASSERT_TRUE(timed.scenario.rto_min_ms);
  EXPECT_EQ(*timed.scenario.rto_min_ms, 1);
  EXPECT_NE(timed.text.find("server autoack off\n"), std::string::npos) << timed.text;
  EXPECT_NE(timed.text.find("after 3ms server ack\n"), std::string::npos) << timed.text;
  EXPECT_NE(timed.text.find("after 1ms server rst seq=exact ack\n"), std::string::npos) << timed.text;
  // Fast timing keeps the kernel's own timer and the peer's automatic ACKs.
  const ReplayPlan fast = plan_replay(flow, {});
  EXPECT_FALSE(fast.scenario.rto_min_ms);
  EXPECT_EQ(fast.text.find("autoack off"), std::string::npos) << fast.text;
  fs::remove(p);
}

// The kernel's SYN or SYN-ACK retransmitted in the replay (its 1 s initial timeout passed
// before the answer reached it: a loaded machine) is the same handshake step: wherever
// the recorder saw it - before the answer, or after it, crossing it - it is no divergence.
TEST(Replay, ARetransmittedSynOrSynAckIsTheSameHandshakeStep) {
  const Endpoint client = Endpoint::parse("192.0.2.1:40001");
  auto units = [&](const std::vector<CapturedPacket>& p) {
    return wire_units(linktype::RAW, p, client);
  };
  // A refused connect: SYN, RST|ACK.
  const auto refused =
      units({raw_packet(true, SYN, 100, 0, ""), raw_packet(false, RST | ACK, 0, 101, "")});
  for (const auto& replay :
       {units({raw_packet(true, SYN, 100, 0, ""), raw_packet(true, SYN, 100, 0, ""),
               raw_packet(false, RST | ACK, 0, 101, "")}),
        units({raw_packet(true, SYN, 100, 0, ""), raw_packet(false, RST | ACK, 0, 101, ""),
               raw_packet(true, SYN, 100, 0, "")})}) {
    const ReplayVerdict v = compare_units(refused, replay, Role::Client);
    EXPECT_TRUE(v.faithful) << v.divergence;
    EXPECT_EQ(v.compared, 2u);
  }
  // A handshake, data and an exact RST; the replay's kernel retransmitted its SYN (client)
  // or its SYN-ACK (server), before or after the answer crossed it.
  auto story = [&](std::vector<CapturedPacket> handshake) {
    for (const CapturedPacket& p :
         {raw_packet(true, ACK, 101, 501, ""), raw_packet(true, PSH | ACK, 101, 501, "hi"),
          raw_packet(false, ACK, 501, 103, ""), raw_packet(false, RST, 501, 0, "")})
      handshake.push_back(p);
    return units(handshake);
  };
  const CapturedPacket syn = raw_packet(true, SYN, 100, 0, ""),
                       synack = raw_packet(false, SYN | ACK, 500, 101, "");
  const auto original = story({syn, synack});
  for (const auto& replay :
       {story({syn, syn, synack}), story({syn, synack, syn}), story({syn, synack, synack})}) {
    for (Role kernel : {Role::Client, Role::Server}) {
      const ReplayVerdict v = compare_units(original, replay, kernel);
      EXPECT_TRUE(v.faithful) << v.divergence;
      EXPECT_EQ(v.compared, original.size());
    }
  }
  // A SYN with another ISN is another connection attempt, not the same step.
  const ReplayVerdict other =
      compare_units(refused,
                    units({raw_packet(true, SYN, 100, 0, ""), raw_packet(true, SYN, 900, 0, ""),
                           raw_packet(false, RST | ACK, 0, 901, "")}),
                    Role::Client);
  EXPECT_FALSE(other.faithful);
}
