// SPDX-License-Identifier: MIT
// The rstlab binary as a user meets it: help, bad input, outputs, exit codes, and the
// lab's isolation when the process ends normally, on Ctrl-C and on kill -9.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "host_state.h"
#include "rstlab/capture.h"
#include "rstlab/scenario.h"

namespace fs = std::filesystem;
using namespace rstlab;

namespace {

/// A child process with pipes on stdin, stdout and stderr.
struct Child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1;
};

Child spawn(const std::vector<std::string>& argv) {
  int i[2], o[2], e[2];
  EXPECT_EQ(pipe(i), 0);
  EXPECT_EQ(pipe(o), 0);
  EXPECT_EQ(pipe(e), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(i[0], 0);
    dup2(o[1], 1);
    dup2(e[1], 2);
    for (int fd : {i[0], i[1], o[0], o[1], e[0], e[1]}) close(fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(i[0]);
  close(o[1]);
  close(e[1]);
  c.in = i[1];
  c.out = o[0];
  c.err = e[0];
  return c;
}

/// Reads `fd` until EOF or until `until` appears (deadline 10 s).
std::string read_from(int fd, const std::string& until = {}) {
  std::string s;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10000) <= 0) break;
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
    if (!until.empty() && s.find(until) != std::string::npos) break;
  }
  return s;
}

struct Finished {
  int status;
  std::string out, err;
};

Finished run(const std::vector<std::string>& argv) {
  Child c = spawn(argv);
  close(c.in);
  Finished f;
  f.out = read_from(c.out);
  f.err = read_from(c.err);
  waitpid(c.pid, &f.status, 0);
  close(c.out);
  close(c.err);
  return f;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

const std::string kBin = RSTLAB_BINARY;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = fs::temp_directory_path() / ("rstlab-cli-" + std::to_string(getpid()));
    fs::remove_all(out_);
  }
  void TearDown() override { fs::remove_all(out_); }
  fs::path out_;
};

class CliRoot : public Cli {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    Cli::SetUp();
    links_ = test::host_links();
    named_ = test::named_netns();
  }
  void TearDown() override {
    if (geteuid() == 0) {
      EXPECT_EQ(test::host_links(), links_);
      EXPECT_EQ(test::named_netns(), named_);
    }
    Cli::TearDown();
  }

  /// Starts a held run and returns it with its lab namespace's inode.
  Child start_held(ino_t& lab_ns) {
    Child c = spawn({kBin, "run", "broken-pipe", "--link", "veth", "--hold", "--out", out_.string()});
    const std::string said = read_from(c.err, "press Enter");
    EXPECT_NE(said.find("lab ready"), std::string::npos) << said;
    lab_ns = test::netns_inode(c.pid);
    EXPECT_NE(lab_ns, 0u);
    EXPECT_NE(lab_ns, test::netns_inode(getpid())) << "rstlab is not in a namespace of its own";
    return c;
  }
  std::set<std::string> links_, named_;
};

}  // namespace

TEST_F(Cli, HelpTeaches) {
  const auto f = run({kBin, "--help"});
  EXPECT_EQ(exit_code(f.status), 0);
  EXPECT_NE(f.out.find("which write() or read() first feels a TCP reset"), std::string::npos);
  EXPECT_NE(f.out.find("rstlab run broken-pipe"), std::string::npos);
  const auto r = run({kBin, "run", "--help"});
  EXPECT_NE(r.out.find("--link"), std::string::npos);
  EXPECT_NE(r.out.find("Wireshark"), std::string::npos);
  EXPECT_EQ(r.out.find("--hold"), std::string::npos) << "test hook shown in help";
}

TEST_F(Cli, ListsTheCatalogue) {
  const auto f = run({kBin, "list"});
  EXPECT_EQ(exit_code(f.status), 0);
  for (const char* n : {"broken-pipe ", "reset-by-peer ", "broken-pipe-kernel", "reset-by-peer-kernel"})
    EXPECT_NE(f.out.find(n), std::string::npos) << n;
}

TEST_F(Cli, UnknownScenarioIsOneClearLine) {
  const auto f = run({kBin, "run", "no-such-thing", "--out", out_.string()});
  EXPECT_EQ(exit_code(f.status), 2);
  EXPECT_EQ(f.err.rfind("rstlab: no scenario named 'no-such-thing' ('rstlab list' shows all ", 0), 0u) << f.err;
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(Cli, BadLinkIsRejected) {
  const auto f = run({kBin, "run", "broken-pipe", "--link", "wifi"});
  EXPECT_EQ(exit_code(f.status), 2);
  EXPECT_NE(f.err.find("--link"), std::string::npos) << f.err;
}

TEST_F(Cli, NotRootSaysWhatIsNeeded) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to another user";
  const auto f = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                      "--inh-caps=-all", kBin, "run", "broken-pipe", "--out", "/tmp/rstlab-nobody-out"});
  EXPECT_EQ(exit_code(f.status), 3) << f.err;
  EXPECT_EQ(f.err.rfind("rstlab: building the lab needs root", 0), 0u) << f.err;
}

TEST_F(CliRoot, RunWritesTheRunFolder) {
  const auto f = run({kBin, "run", "reset-by-peer", "--link", "tun", "--out", out_.string()});
  EXPECT_EQ(exit_code(f.status), 0) << f.err;
  EXPECT_NE(f.out.find("PASSED"), std::string::npos);
  EXPECT_NE(f.out.find("read(10) = -1 ECONNRESET"), std::string::npos) << f.out;
  const fs::path dir = out_ / "reset-by-peer" / "tun";
  std::ifstream in(dir / "trace.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str());
  EXPECT_EQ(j["scenario"], "reset-by-peer");
  EXPECT_EQ(j["link"], "tun");
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"capture.pcap", "capture.pcapng", "trace.json", "trace.txt", "diagram.svg",
                                          "diagram.mmd", "diagram.puml", "index.html"}));
  EXPECT_TRUE(fs::exists(out_ / "index.html")) << "the index of runs";
}

TEST_F(CliRoot, NothingLeftAfterNormalExit) {
  ino_t ns = 0;
  Child c = start_held(ns);
  ASSERT_EQ(write(c.in, "\n", 1), 1);
  read_from(c.out);
  int status = 0;
  waitpid(c.pid, &status, 0);
  EXPECT_EQ(exit_code(status), 0);
  EXPECT_TRUE(test::netns_released(ns)) << "the lab namespace outlived rstlab";
}

TEST_F(CliRoot, NothingLeftAfterCtrlC) {
  ino_t ns = 0;
  Child c = start_held(ns);
  kill(c.pid, SIGINT);
  int status = 0;
  waitpid(c.pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
  EXPECT_TRUE(test::netns_released(ns)) << "the lab namespace outlived rstlab";
}

TEST_F(CliRoot, NothingLeftAfterKill9) {
  ino_t ns = 0;
  Child c = start_held(ns);
  kill(c.pid, SIGKILL);
  int status = 0;
  waitpid(c.pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(test::netns_released(ns)) << "the lab namespace outlived rstlab (actor children?)";
}

TEST_F(Cli, BadScenarioFileSaysWhereAndRunsNothing) {
  fs::create_directories(out_);
  const fs::path scn = out_ / "bad.scn";
  std::ofstream(scn) << "scenario bad\nclient kernel\nserver peer\nclient connect => 0\nclient read many\n";
  const fs::path results = out_ / "results";
  const auto f = run({kBin, "run", "broken-pipe", scn.string(), "--out", results.string()});
  EXPECT_EQ(exit_code(f.status), 2);
  EXPECT_EQ(f.err, "rstlab: " + scn.string() + ":5:13: expected the number of bytes to read, found 'many'\n");
  EXPECT_FALSE(fs::exists(results)) << "a run started although a file was bad";
}

TEST_F(Cli, ShowPrintsTheStory) {
  const auto f = run({kBin, "show", "reset-by-peer"});
  EXPECT_EQ(exit_code(f.status), 0);
  EXPECT_EQ(f.out.rfind("# scenarios/reset-by-peer.scn\n", 0), 0u);
  EXPECT_NE(f.out.find("story"), std::string::npos);
  EXPECT_NE(f.out.find("client read 10           => ECONNRESET"), std::string::npos);
}

TEST_F(Cli, ListAsJsonLines) {
  const auto f = run({kBin, "list", "--json"});
  EXPECT_EQ(exit_code(f.status), 0);
  std::istringstream lines(f.out);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("name") && j.contains("title") && j.contains("actors"));
    ++n;
  }
  EXPECT_GE(n, 24u);
}

TEST_F(CliRoot, RunsAFileAndSummarisesAsJson) {
  fs::create_directories(out_);
  const fs::path scn = out_ / "mine.scn";
  std::ofstream(scn) << "scenario mine\ntitle \"my case\"\nclient kernel\nserver peer\n"
                        "client connect => 0\nserver rst\nclient read 5 => ECONNRESET\nclient read 5 => 1\n";
  const auto f = run({kBin, "run", scn.string(), "--link", "both", "--json", "--out", (out_ / "r").string()});
  EXPECT_EQ(exit_code(f.status), 1) << "the last expectation is wrong on purpose";
  std::istringstream lines(f.out);
  std::string line;
  size_t n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["scenario"], "mine");
    EXPECT_FALSE(j["passed"].get<bool>());
    EXPECT_EQ(j["expectations"]["met"], 2);
    EXPECT_EQ(j["expectations"]["failed"], 1);
    EXPECT_EQ(j["first_observer"]["call"], "read");
    EXPECT_EQ(j["first_observer"]["result"], "ECONNRESET");
    ASSERT_EQ(j["failures"].size(), 1u);
    EXPECT_EQ(j["failures"][0], scn.string() + ":8: client read 5: expected 1, got EOF");
    ++n;
  }
  EXPECT_EQ(n, 2u);
  EXPECT_TRUE(fs::exists(out_ / "r" / "mine" / "tun" / "trace.json"));
}

TEST_F(CliRoot, SummaryTableNamesTheFirstObserver) {
  const auto f = run({kBin, "run", "broken-pipe", "reset-by-peer", "--link", "tun", "--out", out_.string()});
  EXPECT_EQ(exit_code(f.status), 0) << f.err;
  EXPECT_NE(f.out.find("FIRST OBSERVER"), std::string::npos);
  EXPECT_NE(f.out.find("client write -> EPIPE +SIGPIPE (killed)"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("client read -> ECONNRESET"), std::string::npos);
  EXPECT_NE(f.out.find("2 runs, 0 failed"), std::string::npos);
}

TEST_F(Cli, DiagramRerendersASavedTrace) {
  fs::create_directories(out_);
  const std::string trace = std::string(RSTLAB_TEST_DATA) + "/golden/broken-pipe.trace.json";
  for (const char* format : {"svg", "mermaid", "plantuml", "html", "text"}) {
    const fs::path o = out_ / (std::string("d.") + format);
    const auto f = run({kBin, "diagram", trace, "--format", format, "-o", o.string()});
    EXPECT_EQ(exit_code(f.status), 0) << format << ": " << f.err;
    EXPECT_GT(fs::file_size(o), 200u) << format;
  }
  const auto f = run({kBin, "diagram", trace, "-f", "mermaid"});
  EXPECT_EQ(f.out.rfind("%% rstlab: broken-pipe", 0), 0u) << "stdout by default";
}

TEST_F(Cli, DiagramRefusesBadInputAndWritesNothing) {
  fs::create_directories(out_);
  const fs::path truncated = out_ / "truncated.json", foreign = out_ / "foreign.json", target = out_ / "d.svg";
  const std::string good = std::string(RSTLAB_TEST_DATA) + "/golden/broken-pipe.trace.json";
  std::ifstream in(good);
  std::stringstream ss;
  ss << in.rdbuf();
  std::ofstream(truncated) << ss.str().substr(0, ss.str().size() / 2);
  std::ofstream(foreign) << "{\"events\": [], \"name\": \"something else\"}\n";
  struct Case {
    fs::path file;
    std::string says;
  } cases[] = {{out_ / "missing.json", "missing.json: cannot open: No such file or directory"},
               {truncated, "not valid JSON ("},
               {foreign, "foreign.json: top level: not an rstlab trace"}};
  for (const auto& c : cases) {
    const auto f = run({kBin, "diagram", c.file.string(), "-o", target.string()});
    EXPECT_EQ(exit_code(f.status), 2) << c.file;
    EXPECT_EQ(f.err.rfind("rstlab: ", 0), 0u) << f.err;
    EXPECT_NE(f.err.find(c.says), std::string::npos) << f.err;
    EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << "one line: " << f.err;
    EXPECT_FALSE(fs::exists(target)) << "an output file was written for " << c.file;
  }
  for (const auto& e : fs::directory_iterator(out_))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  const auto t = run({kBin, "diagram", truncated.string()});
  EXPECT_TRUE(std::regex_match(t.err, std::regex("rstlab: .*truncated\\.json:[0-9]+:[0-9]+: not valid JSON \\([a-z :]+\\)\n")))
      << "the file, its line and column, the reason: " << t.err;
}

TEST_F(Cli, AnalyzeTableIsTheReviewedText) {
  // The summary table, byte for byte, on captures with every column filled: a refused
  // connect, an in-window RST with its challenge ACK, IPv6, close with unread data; two
  // of them with their reasons (--explain).
  // RSTLAB_UPDATE_GOLDEN=1 rewrites the file instead (review the diff).
  const std::string dir = std::string(RSTLAB_SOURCE_DIR) + "/";
  std::string text;
  const std::pair<const char*, bool> captures[] = {{"connect-refused-veth.pcap", false},
                                                   {"challenge-ack-veth.pcap", true},
                                                   {"reset-by-peer-kernel-ipv6-veth.pcap", false},
                                                   {"broken-pipe-ipv6-tun.pcap", true}};
  for (const auto& [cap, explain] : captures) {
    std::vector<std::string> args = {kBin, "analyze", "--all", dir + "captures/" + cap};
    if (explain) args.push_back("--explain");
    const auto f = run(args);
    EXPECT_EQ(exit_code(f.status), 0) << f.err;
    text += f.out;
  }
  for (size_t at; (at = text.find(dir)) != std::string::npos;) text.erase(at, dir.size());
  const fs::path golden = fs::path(RSTLAB_TEST_DATA) / "golden" / "analyze-table.txt";
  if (std::getenv("RSTLAB_UPDATE_GOLDEN")) {
    std::ofstream(golden, std::ios::binary) << text;
    return;
  }
  std::ifstream in(golden, std::ios::binary);
  ASSERT_TRUE(in) << golden;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << "the analyze table changed: review it, then RSTLAB_UPDATE_GOLDEN=1";
}

TEST_F(Cli, AnalyzeSummaryJsonAndFlow) {
  const std::string cap = std::string(RSTLAB_SOURCE_DIR) + "/captures/broken-pipe-veth.pcap";
  const auto table = run({kBin, "analyze", cap});
  EXPECT_EQ(exit_code(table.status), 0) << table.err;
  EXPECT_NE(table.out.find("data-after-close"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("1 connection(s), 1 RST(s), 1 FIN(s)"), std::string::npos) << table.out;
  // One row per connection, the causes it lists with their meaning; the reasons on demand.
  EXPECT_NE(table.out.find("  data-after-close             1  its sender had closed"), std::string::npos)
      << table.out;
  EXPECT_EQ(table.out.find("accepted in CLOSE_WAIT"), std::string::npos) << table.out;
  const auto explained = run({kBin, "analyze", cap, "--explain"});
  EXPECT_EQ(exit_code(explained.status), 0) << explained.err;
  EXPECT_NE(explained.out.find("\n       a: the RST #8 was accepted in CLOSE_WAIT"), std::string::npos)
      << explained.out;
  EXPECT_EQ(explained.out.substr(0, explained.out.find('\n')), table.out.substr(0, table.out.find('\n')));
  // Without its handshake the connection is taken as ESTABLISHED, and the table says so.
  fs::create_directories(out_);
  int dlt = 0;
  std::vector<CapturedPacket> packets = read_capture(cap, dlt);
  packets.erase(packets.begin(), packets.begin() + 3);
  write_pcap((out_ / "mid.pcap").string(), dlt, packets);
  const auto mid = run({kBin, "analyze", (out_ / "mid.pcap").string()});
  EXPECT_NE(mid.out.find("\n1 of the connections listed started before the capture"), std::string::npos) << mid.out;
  EXPECT_EQ(table.out.find("started before the capture"), std::string::npos) << table.out;
  const auto both = run({kBin, "analyze", cap, "--explain", "--json"});
  EXPECT_NE(exit_code(both.status), 0);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;

  const auto js = run({kBin, "analyze", cap, "--json"});
  EXPECT_EQ(exit_code(js.status), 0);
  const auto j = nlohmann::json::parse(js.out);
  for (const char* k : {"id", "a", "b", "ending", "resets", "predicted"}) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["a"], "192.0.2.1:40001");
  EXPECT_EQ(j["ending"], "rst");
  const auto& r = j["resets"][0];
  for (const char* k : {"frame", "from", "to", "reaction", "cause", "errno"}) EXPECT_TRUE(r.contains(k)) << k;
  EXPECT_EQ(r["frame"], 8);
  EXPECT_EQ(r["reaction"], "accepted");
  EXPECT_EQ(r["errno"], "EPIPE");
  EXPECT_EQ(j["predicted"]["192.0.2.1:40001"]["next_write"], "EPIPE");
  EXPECT_EQ(j["predicted"]["192.0.2.1:40001"]["next_read"], "EOF");

  fs::create_directories(out_);
  const auto flow = run({kBin, "analyze", cap, "--flow", "1", "--svg", (out_ / "f.svg").string(), "--mermaid",
                         (out_ / "f.mmd").string()});
  EXPECT_EQ(exit_code(flow.status), 0) << flow.err;
  EXPECT_GT(fs::file_size(out_ / "f.svg"), 1000u);
  EXPECT_GT(fs::file_size(out_ / "f.mmd"), 200u);
  const auto text = run({kBin, "analyze", cap, "--flow", "1"});
  EXPECT_NE(text.out.find("accepted in CLOSE_WAIT"), std::string::npos) << text.out;
  const auto none = run({kBin, "analyze", cap, "--flow", "9"});
  EXPECT_EQ(exit_code(none.status), 2);
  EXPECT_NE(none.err.find("no connection 9 (it has 1)"), std::string::npos) << none.err;
}

TEST_F(Cli, AnalyzeBadFilesSayWhatIsWrong) {
  fs::create_directories(out_);
  std::ofstream(out_ / "empty.pcap").close();
  const auto f = run({kBin, "analyze", (out_ / "empty.pcap").string()});
  EXPECT_EQ(exit_code(f.status), 2);
  EXPECT_EQ(f.err.rfind("rstlab: " + (out_ / "empty.pcap").string() + ": ", 0), 0u) << f.err;
  EXPECT_EQ(f.out, "") << "no table header before the error";
  const auto missing = run({kBin, "analyze", (out_ / "missing.pcap").string()});
  EXPECT_EQ(exit_code(missing.status), 2);
  EXPECT_EQ(missing.err, "rstlab: " + (out_ / "missing.pcap").string() + ": No such file or directory\n");
  EXPECT_EQ(missing.out, "");
  // A folder is read for the captures in it; this one has none (an empty file is not one).
  const auto dir = run({kBin, "analyze", out_.string()});
  EXPECT_EQ(exit_code(dir.status), 2);
  EXPECT_EQ(dir.err, "rstlab: " + out_.string() +
                         ": no pcap or pcapng file in this folder (files are recognised by their first bytes)\n");
  EXPECT_EQ(dir.out, "");
}

TEST_F(Cli, AnalyzeReadsStandardInput) {
  // "-" (libpcap's name for standard input) and a pipe: read through stdio, not mapped.
  const std::string cap = std::string(RSTLAB_SOURCE_DIR) + "/captures/broken-pipe-veth.pcap";
  const auto file = run({kBin, "analyze", cap});
  for (const char* name : {"-", "/dev/stdin"}) {
    const auto piped = run({"/bin/sh", "-c", std::string("cat '") + cap + "' | '" + kBin + "' analyze " + name});
    EXPECT_EQ(exit_code(piped.status), 0) << name << ": " << piped.err;
    const auto first_line = [](const std::string& t) { return t.substr(0, t.find("\n\n")); };
    EXPECT_EQ(first_line(piped.out), first_line(file.out)) << name;
  }
}

// Payload bytes that are not UTF-8 (written as \x escapes) run and leave a complete,
// parseable run folder; running again replaces it whole, with nothing left beside it.
// A file with raw bytes that are not UTF-8 is refused before anything runs.
TEST_F(CliRoot, RunFolderIsWholeWhateverThePayloadBytes) {
  fs::create_directories(out_);
  const fs::path scn = out_ / "bytes.scn";
  std::ofstream(scn) << "scenario bytes\nclient kernel\nserver peer\n"
                        "client connect => 0\nclient write \"a\\x81\\xff\" => 3\nserver recv 3\n";
  for (int i = 0; i < 2; ++i) {
    const auto f = run({kBin, "run", scn.string(), "--out", (out_ / "o").string()});
    ASSERT_EQ(exit_code(f.status), 0) << f.err;
  }
  std::set<std::string> beside;
  for (const auto& e : fs::directory_iterator(out_ / "o" / "bytes")) beside.insert(e.path().filename().string());
  EXPECT_EQ(beside, (std::set<std::string>{"veth"}));
  std::ifstream in(out_ / "o" / "bytes" / "veth" / "trace.json");
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str());
  bool replaced = false;
  for (const auto& e : j["events"])
    if (e.value("payload", "") == "a\xEF\xBF\xBD\xEF\xBF\xBD") replaced = true;
  EXPECT_TRUE(replaced) << ss.str();

  const fs::path raw = out_ / "raw.scn";
  std::ofstream(raw) << "scenario raw\nstory \"caf\xe9\"\nclient kernel\nserver peer\nclient connect => 0\n";
  const auto f = run({kBin, "run", raw.string(), "--out", (out_ / "r").string()});
  EXPECT_EQ(exit_code(f.status), 2);
  EXPECT_NE(f.err.find("raw.scn:2:11: this byte (0xe9) is not UTF-8"), std::string::npos) << f.err;
  EXPECT_FALSE(fs::exists(out_ / "r"));
}

namespace {

/// `packets` with their times moved by `shift_ns` and their frame numbers cleared.
std::vector<CapturedPacket> shifted(std::vector<CapturedPacket> packets, int64_t shift_ns) {
  for (auto& p : packets) {
    p.t_ns += shift_ns;
    p.frame = 0;
  }
  return packets;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

namespace {

/// One command's whole answer, as a golden file holds it: the command line, what it
/// printed on each stream and its exit status. Paths under the source tree and the
/// test's own folder are written as relative and OUT/ so the files do not depend on
/// where the tree is, and the catalogue's size as N.
std::string transcript(const std::vector<std::string>& args, const fs::path& out) {
  std::vector<std::string> argv = {kBin};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto f = run(argv);
  std::string text = "$ rstlab";
  for (const auto& a : args) text += " " + a;
  text += "\n";
  if (!f.out.empty()) text += "--- stdout\n" + f.out;
  text += "--- stderr\n" + f.err + "--- exit " + std::to_string(exit_code(f.status)) + "\n";
  for (const std::string& dir : {std::string(RSTLAB_SOURCE_DIR) + "/", out.string() + "/"}) {
    const std::string as = dir == out.string() + "/" ? "OUT/" : "";
    for (size_t at; (at = text.find(dir)) != std::string::npos;) text.replace(at, dir.size(), as);
  }
  // The catalogue grows; its size is checked by the unit tests, not by these words.
  const std::string all = "shows all " + std::to_string(catalogue().size()) + ")";
  for (size_t at; (at = text.find(all)) != std::string::npos;) text.replace(at, all.size(), "shows all N)");
  return text;
}

void expect_golden(const std::string& name, const std::string& text) {
  const fs::path golden = fs::path(RSTLAB_TEST_DATA) / "golden" / "cli" / (name + ".txt");
  if (std::getenv("RSTLAB_UPDATE_GOLDEN")) {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << text;
    return;
  }
  std::ifstream in(golden, std::ios::binary);
  ASSERT_TRUE(in) << golden << " is missing (RSTLAB_UPDATE_GOLDEN=1 writes it)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(text, want.str()) << name << ": the message changed: review it, then RSTLAB_UPDATE_GOLDEN=1";
}

}  // namespace

TEST_F(Cli, AnalyzeReadsSeveralFilesAsOneCapture) {
  const std::string caps = std::string(RSTLAB_SOURCE_DIR) + "/captures/";
  int dlt = 0, dlt2 = 0;
  const auto pipe = read_capture(caps + "broken-pipe-veth.pcap", dlt);             // 8 packets, EPIPE at #8
  const auto reset = read_capture(caps + "reset-by-peer-kernel-veth.pcap", dlt2);  // 6 packets, ECONNRESET at #6
  ASSERT_EQ(dlt, dlt2);
  ASSERT_EQ(pipe.size(), 8u);
  fs::create_directories(out_ / "rotated");
  const int64_t later = pipe.back().t_ns - reset.front().t_ns + 5'000'000'000;  // 5 s after the first connection
  // Split at a connection boundary; named so that the names' order is not the time order.
  write_pcap((out_ / "b-first.pcap").string(), dlt, pipe);
  write_pcap((out_ / "a-second.pcap").string(), dlt, shifted(reset, later));
  const auto two = run({kBin, "analyze", (out_ / "a-second.pcap").string(), (out_ / "b-first.pcap").string()});
  EXPECT_EQ(exit_code(two.status), 0) << two.err;
  EXPECT_EQ(two.err, "");
  EXPECT_NE(two.out.find("    1  192.0.2.1:40001          192.0.2.2:8080           rst      #8 b>a accepted EPIPE"),
            std::string::npos)
      << two.out;
  EXPECT_NE(two.out.find("    2  192.0.2.1:40001          192.0.2.2:8080           rst      #14 b>a accepted "
                         "ECONNRESET close-unread-data"),
            std::string::npos)
      << "frame numbers go on across files\n"
      << two.out;
  EXPECT_NE(two.out.find(": 14 packets (14 TCP, 0 other), 2 connection(s), 2 RST(s)"), std::string::npos) << two.out;
  EXPECT_NE(two.out.find("one capture, its files in time order: " + (out_ / "b-first.pcap").string() +
                         " (frames 1-8), " + (out_ / "a-second.pcap").string() + " (9-14)"),
            std::string::npos)
      << two.out;

  // Split in the middle of a connection: the second file alone starts mid-stream and its
  // RST finds no FIN before it; read together, the connection is the whole file's.
  const auto whole = run({kBin, "analyze", caps + "broken-pipe-veth.pcap"});
  write_pcap((out_ / "rotated" / "trace.pcap0").string(), dlt, {pipe.begin(), pipe.begin() + 4});
  write_pcap((out_ / "rotated" / "trace.pcap1").string(), dlt, {pipe.begin() + 4, pipe.end()});
  std::ofstream(out_ / "rotated" / "README.txt") << "not a capture\n";
  const auto alone = run({kBin, "analyze", (out_ / "rotated" / "trace.pcap1").string()});
  EXPECT_NE(alone.out.find("started before the capture"), std::string::npos) << alone.out;
  const auto halves = run({kBin, "analyze", (out_ / "rotated" / "trace.pcap0").string(),
                           (out_ / "rotated" / "trace.pcap1").string()});
  EXPECT_EQ(exit_code(halves.status), 0) << halves.err;
  const auto first_line = [](const std::string& t) { return t.substr(0, t.find("\n\n")); };
  EXPECT_EQ(first_line(halves.out), first_line(whole.out));
  EXPECT_EQ(halves.out.find("started before the capture"), std::string::npos) << halves.out;
  EXPECT_NE(halves.out.find("trace.pcap0 (frames 1-4), " + (out_ / "rotated" / "trace.pcap1").string() + " (5-8)"),
            std::string::npos)
      << halves.out;
  // The folder: the same, the file that is no capture left out and said so.
  const auto folder = run({kBin, "analyze", (out_ / "rotated").string()});
  EXPECT_EQ(exit_code(folder.status), 0) << folder.err;
  EXPECT_EQ(folder.out, halves.out);
  EXPECT_NE(folder.err.find("left out 1 file(s) that are not pcap or pcapng: " +
                            (out_ / "rotated" / "README.txt").string()),
            std::string::npos)
      << folder.err;
  // --json: each connection says which files hold its frames.
  const auto js = run({kBin, "analyze", "--json", (out_ / "rotated").string()});
  EXPECT_EQ(exit_code(js.status), 0) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["files"].size(), 2u) << js.out;
  EXPECT_EQ(j["resets"][0]["frame"], 8);
  // --flow: the frames' files in the footer, and per packet in JSON.
  const auto flow = run({kBin, "analyze", "--flow", "1", "--json", (out_ / "rotated").string()});
  EXPECT_EQ(exit_code(flow.status), 0) << flow.err;
  EXPECT_NE(flow.out.find("\"frame\":5,\"file\":\"" + (out_ / "rotated" / "trace.pcap1").string() + "\""),
            std::string::npos)
      << flow.out;

  // Overlapping files are two captures, each analysed on its own, and said so.
  const auto overlap = run({kBin, "analyze", caps + "broken-pipe-veth.pcap", (out_ / "rotated" / "trace.pcap1").string()});
  EXPECT_EQ(exit_code(overlap.status), 0) << overlap.err;
  EXPECT_NE(overlap.err.find("trace.pcap1 is analysed as a capture of its own: its packets (from "), std::string::npos)
      << overlap.err;
  EXPECT_NE(overlap.out.find("  analysed on its own: its packets (from "), std::string::npos) << overlap.out;
  EXPECT_EQ(count_of(overlap.out, " connection(s)"), 2u) << overlap.out;
  EXPECT_NE(overlap.out.find("\n    2  "), std::string::npos) << "ids go on from one capture to the next\n" << overlap.out;

  // Different link types: not one capture either.
  const auto mixed = run({kBin, "analyze", caps + "broken-pipe-veth.pcap", caps + "broken-pipe-tun.pcap"});
  EXPECT_EQ(exit_code(mixed.status), 0) << mixed.err;
  EXPECT_NE(mixed.err.find("broken-pipe-tun.pcap is analysed as a capture of its own: its link type is 12 (RAW), " +
                           caps + "broken-pipe-veth.pcap's 1 (EN10MB): not one capture"),
            std::string::npos)
      << mixed.err;
  EXPECT_EQ(count_of(mixed.out, " connection(s)"), 2u) << mixed.out;

  // An empty folder, standard input with other files.
  fs::create_directories(out_ / "nothing");
  const auto empty = run({kBin, "analyze", (out_ / "nothing").string()});
  EXPECT_EQ(exit_code(empty.status), 2);
  EXPECT_NE(empty.err.find("nothing: no pcap or pcapng file in this folder"), std::string::npos) << empty.err;
  EXPECT_EQ(empty.out, "");
  const auto stdin_too = run({kBin, "analyze", "-", caps + "broken-pipe-veth.pcap"});
  EXPECT_EQ(exit_code(stdin_too.status), 2);
  EXPECT_NE(stdin_too.err.find("standard input can only be read alone"), std::string::npos) << stdin_too.err;
}

TEST_F(Cli, AnalyzeFlowTellsTheTablesStory) {
  // --flow: the same cause and predictions as the table, in capture words.
  const std::string cap = std::string(RSTLAB_SOURCE_DIR) + "/captures/reset-by-peer-kernel-veth.pcap";
  const auto text = run({kBin, "analyze", cap, "--flow", "1"});
  EXPECT_EQ(exit_code(text.status), 0) << text.err;
  for (const char* part : {"prediction from the capture", "close-unread-data: b ACKed a's last bytes but its application never read them",
                           "client a 192.0.2.1:40001         next read ECONNRESET, next write ECONNRESET",
                           "server b 192.0.2.2:8080          next read closed, next write closed",
                           "capture: 6 packets of this connection in "})
    EXPECT_NE(text.out.find(part), std::string::npos) << part << "\n" << text.out;
  for (const char* part : {"PASSED", "expectation", "by the interface", "first observer", "kernel reset the connection"})
    EXPECT_EQ(text.out.find(part), std::string::npos) << part << "\n" << text.out;

  // --flow --json: JSON Lines; the first is the connection as --json prints it.
  const auto all = run({kBin, "analyze", cap, "--json"});
  const auto js = run({kBin, "analyze", cap, "--flow", "1", "--json"});
  EXPECT_EQ(exit_code(js.status), 0) << js.err;
  std::istringstream lines(js.out);
  std::string line;
  std::vector<nlohmann::json> objects;
  while (std::getline(lines, line)) objects.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objects.size(), 7u) << js.out;
  EXPECT_EQ(js.out.substr(0, js.out.find('\n') + 1), all.out);
  for (size_t i = 1; i < objects.size(); ++i) {
    EXPECT_EQ(objects[i]["type"], "packet");
    EXPECT_EQ(objects[i]["frame"], i);
  }
  EXPECT_EQ(objects[6]["flags"], "R.");
  EXPECT_EQ(objects[6]["notes"][0].get<std::string>().rfind("close-unread-data: ", 0), 0u) << objects[6];

  // --html links only the files this command wrote beside it.
  fs::create_directories(out_ / "page");
  const auto html = run({kBin, "analyze", cap, "--flow", "1", "--html", (out_ / "page" / "c1.html").string(), "--svg",
                         (out_ / "page" / "c1.svg").string(), "--plantuml", (out_ / "c1.puml").string()});
  EXPECT_EQ(exit_code(html.status), 0) << html.err;
  const std::string page = [&] {
    std::ifstream in(out_ / "page" / "c1.html");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }();
  std::vector<std::string> links;
  for (size_t at = page.find("href=\""); at != std::string::npos; at = page.find("href=\"", at + 1))
    links.push_back(page.substr(at + 6, page.find('"', at + 6) - at - 6));
  EXPECT_EQ(links, (std::vector<std::string>{"c1.svg", "../c1.puml"})) << page;
  for (const auto& l : links) EXPECT_TRUE(fs::exists(out_ / "page" / l)) << l;
  EXPECT_NE(page.find("Prediction from the capture"), std::string::npos);
  EXPECT_EQ(page.find("PASSED"), std::string::npos);
  const auto lone = run({kBin, "analyze", cap, "--flow", "1", "--html", (out_ / "lone.html").string()});
  EXPECT_EQ(exit_code(lone.status), 0) << lone.err;
  std::ifstream in(out_ / "lone.html");
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str().find("href="), std::string::npos) << "nothing else was written: nothing to link";
}

TEST_F(Cli, MistakesGetOneLineThatSaysWhatWasMeant) {
  // Each mistake: one line on stderr, "rstlab: " first, nothing on stdout, exit 2, and
  // the reviewed words (tests/data/golden/cli/NAME.txt, byte for byte).
  fs::create_directories(out_);
  std::ofstream(out_ / "typo.scn") << "scenario typo\nclient kernel\nserver peer\nclient connect => 0\n"
                                      "client read 10 => ECONNRESTE\n";
  std::ofstream(out_ / "notjson.json") << "{\n  \"format\": \"rstlab-trace/1\",\n  \"scenario\": tru\n}\n";
  const std::string cap = std::string(RSTLAB_SOURCE_DIR) + "/captures/";
  const std::pair<const char*, std::vector<std::string>> cases[] = {
      {"command-typo", {"analize", "x"}},
      {"command-unknown", {"frobnicate"}},
      {"command-missing", {}},
      {"option-before-command", {"--json", "list"}},
      {"scenario-typo", {"run", "brokn-pipe"}},
      {"scenario-unknown", {"run", "zzzzzzzzzz"}},
      {"show-unknown", {"show", "nope"}},
      {"show-missing", {"show"}},
      {"option-not-one-of", {"run", "broken-pipe", "--link", "foo"}},
      {"option-typo", {"run", "broken-pipe", "--link", "tnu"}},
      {"option-no-value", {"run", "--out"}},
      {"option-no-value-of-a-set", {"run", "--link"}},
      {"option-unknown", {"list", "--bogus"}},
      {"diagram-bad-format", {"diagram", "x.json", "-f", "pdf"}},
      {"diagram-on-pcap", {"diagram", cap + "broken-pipe-veth.pcap"}},
      {"diagram-on-pcapng", {"diagram", cap + "broken-pipe-veth.pcapng"}},
      {"diagram-not-json", {"diagram", (out_ / "notjson.json").string()}},
      {"errno-typo", {"show", (out_ / "typo.scn").string()}},
      {"out-not-a-folder", {"run", "broken-pipe", "--out", "/dev/null/x"}},
  };
  for (const auto& [name, args] : cases) {
    const std::string text = transcript(args, out_);
    expect_golden(name, text);
    EXPECT_NE(text.find("--- stderr\nrstlab: "), std::string::npos) << name << ":\n" << text;
    EXPECT_EQ(text.find("--- stdout"), std::string::npos) << name << ":\n" << text;
    EXPECT_NE(text.find("--- exit 2\n"), std::string::npos) << name << ":\n" << text;
    const size_t err = text.find("--- stderr\n") + 11;
    EXPECT_EQ(std::count(text.begin() + static_cast<long>(err), text.end(), '\n'), 2) << "one line: " << text;
  }
}

TEST_F(Cli, EachHelpGivesItsOwnExitStatuses) {
  // The end of every --help, from "Exit status", reviewed; run and analyze name theirs,
  // list and show do not claim statuses they never return.
  std::string text;
  for (const char* command : {"", "list", "show", "run", "diagram", "analyze"}) {
    std::vector<std::string> argv = {kBin};
    if (*command) argv.push_back(command);
    argv.push_back("--help");
    const auto f = run(argv);
    EXPECT_EQ(exit_code(f.status), 0) << command;
    const size_t at = f.out.find("Exit status:");
    ASSERT_NE(at, std::string::npos) << command << ":\n" << f.out;
    std::string tail = f.out.substr(at);
    text += std::string("$ rstlab ") + command + (*command ? " " : "") + "--help\n" + tail;
    std::replace(tail.begin(), tail.end(), '\n', ' ');
    const bool runs = std::string(command) == "run" || !*command;
    EXPECT_EQ(tail.find("1 an expectation failed") != std::string::npos, runs) << command << ":\n" << tail;
    EXPECT_EQ(tail.find("3 the lab") != std::string::npos, runs) << command << ":\n" << tail;
    EXPECT_NE(tail.find("4 an internal error"), std::string::npos) << command;
  }
  expect_golden("help-exit-status", text);
}

TEST_F(Cli, DiagramOnACaptureSaysToAnalyzeIt) {
  const std::string cap = std::string(RSTLAB_SOURCE_DIR) + "/captures/broken-pipe-veth.pcapng";
  const auto f = run({kBin, "diagram", cap});
  EXPECT_EQ(exit_code(f.status), 2);
  EXPECT_EQ(f.err, "rstlab: " + cap + ": this is a capture (pcapng), not a trace.json: use 'rstlab analyze " + cap +
                       "' (its --flow ID --svg F draws one connection)\n");
  EXPECT_EQ(f.out, "");
}

TEST_F(CliRoot, SummaryTableStaysAlignedWithALongName) {
  // Columns sized from their content: a 45-character scenario name beside a short one.
  fs::create_directories(out_);
  const fs::path scn = out_ / "long.scn";
  std::ofstream(scn) << "scenario an-idle-connection-reset-seen-by-a-later-write\nclient kernel sigpipe=ignore\n"
                        "server peer\nclient connect => 0\nserver rst\nclient write \"a\" => ECONNRESET\n";
  const auto f = run({kBin, "run", "broken-pipe", scn.string(), "--link", "tun", "--out", (out_ / "r").string()});
  EXPECT_EQ(exit_code(f.status), 0) << f.err;
  std::istringstream in(f.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l) && !l.empty();) lines.push_back(l);
  ASSERT_EQ(lines.size(), 3u) << f.out;
  for (const char* head : {"LINK", "FIRST OBSERVER", "RESULT", "EXPECT", "OUTPUT"}) {
    const size_t at = lines[0].find(head);
    ASSERT_NE(at, std::string::npos) << head;
    for (size_t k = 1; k < lines.size(); ++k) {
      ASSERT_GT(lines[k].size(), at) << f.out;
      EXPECT_EQ(lines[k].substr(at - 2, 2), "  ") << head << ":\n" << f.out;
      EXPECT_NE(lines[k][at], ' ') << head << ":\n" << f.out;
    }
  }
  EXPECT_NE(lines[2].find("client write -> ECONNRESET"), std::string::npos) << f.out;
}

TEST_F(Cli, VersionNamesWhatABugReportNeeds) {
  // Four short lines: rstlab's version, the libtins it was built against, the libpcap it
  // runs with (pcap_lib_version()) and the kernel (uname).
  const auto f = run({kBin, "--version"});
  EXPECT_EQ(exit_code(f.status), 0) << f.err;
  EXPECT_EQ(f.err, "");
  EXPECT_TRUE(std::regex_match(f.out, std::regex("rstlab [0-9]+\\.[0-9]+\\.[0-9]+\n"
                                                 "libtins [0-9][0-9.]* \\(built against\\)\n"
                                                 "libpcap version [0-9][^\n]*\n"
                                                 "kernel Linux [^ \n]+ [^ \n]+\n")))
      << f.out;
  EXPECT_NE(f.out.find(std::string("rstlab ") + RSTLAB_VERSION_EXPECTED + "\n"), std::string::npos) << f.out;
  const auto h = run({kBin, "--help"});
  EXPECT_NE(h.out.find("--version"), std::string::npos) << h.out;
  // Only before the command, like --help there.
  const auto late = run({kBin, "list", "--version"});
  EXPECT_EQ(exit_code(late.status), 2) << late.err;
}

namespace {

/// Runs rstlab with `input` on its standard input.
Finished run_with_input(const std::vector<std::string>& argv, const std::string& input) {
  Child c = spawn(argv);
  for (size_t at = 0; at < input.size();) {
    const ssize_t n = write(c.in, input.data() + at, input.size() - at);
    if (n <= 0) break;
    at += static_cast<size_t>(n);
  }
  close(c.in);
  Finished f;
  f.out = read_from(c.out);
  f.err = read_from(c.err);
  waitpid(c.pid, &f.status, 0);
  close(c.out);
  close(c.err);
  return f;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace

TEST_F(Cli, ExplainTheTwoClassicLines) {
  // The gallery's two lines, word for word (tests/data/golden/cli/explain-*.txt).
  expect_golden("explain-broken-pipe",
                transcript({"explain", "write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe"}, out_));
  expect_golden("explain-reset-by-peer",
                transcript({"explain", "read tcp 192.0.2.1:40001->192.0.2.2:8080: read: connection reset by peer"},
                           out_));
  // docs/gallery.md shows the same words.
  std::ifstream gallery(fs::path(RSTLAB_SOURCE_DIR) / "docs" / "gallery.md");
  std::stringstream doc;
  doc << gallery.rdbuf();
  for (const char* line : {"write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe",
                           "read tcp 192.0.2.1:40001->192.0.2.2:8080: read: connection reset by peer"}) {
    const auto f = run({kBin, "explain", line});
    EXPECT_EQ(exit_code(f.status), 0) << f.err;
    EXPECT_NE(doc.str().find("$ rstlab explain '" + std::string(line) + "'\n" + f.out + "```"), std::string::npos)
        << "docs/gallery.md no longer shows what rstlab explain prints for " << line;
  }
  // An unknown line: exit 1, one line on stderr with the closest wordings.
  const std::string unknown = transcript({"explain", "2026-11-29 WARN upstream: Conection refused"}, out_);
  expect_golden("explain-unknown", unknown);
  EXPECT_NE(unknown.find("--- exit 1\n"), std::string::npos) << unknown;
  // Its --help ends with its own exit statuses.
  const auto help = run({kBin, "explain", "--help"});
  EXPECT_EQ(exit_code(help.status), 0);
  const size_t at = help.out.find("Exit status:");
  ASSERT_NE(at, std::string::npos) << help.out;
  expect_golden("explain-help-exit-status", help.out.substr(at));
  EXPECT_NE(help.out.find("rstlab explain 'curl: (56) Recv failure: Connection reset by peer'"), std::string::npos);
  // Nothing to explain, two things at once: bad input.
  EXPECT_EQ(exit_code(run({kBin, "explain"}).status), 2);
  EXPECT_EQ(exit_code(run({kBin, "explain", "EOF", "--file", "/etc/hostname"}).status), 2);
  // Unquoted, the shell splits the line into words: they are put back together.
  const auto words = run({kBin, "explain", "--json", "curl:", "(56)", "Recv", "failure:", "Connection", "reset",
                          "by", "peer"});
  EXPECT_EQ(exit_code(words.status), 0) << words.err;
  EXPECT_EQ(nlohmann::json::parse(words.out)["errno"], "ECONNRESET");
}

TEST_F(Cli, ExplainAWholeLogWithLineNumbers) {
  fs::create_directories(out_);
  const fs::path log = out_ / "app.log";
  std::ofstream(log) << "2026-11-29 22:10:00 INFO starting\n"
                        "2026-11-29 22:10:01 ERROR write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe\r\n"
                        "\n"
                        "2026-11-29 22:10:02 INFO still here\n"
                        "2026-11-29 22:10:03 ERROR write tcp 192.0.2.1:40002->192.0.2.2:8080: write: broken pipe\n"
                        "2026-11-29 22:10:04 ERROR Error: socket hang up\n";
  const auto text = run({kBin, "explain", "--file", log.string()});
  EXPECT_EQ(exit_code(text.status), 0) << text.err;
  EXPECT_EQ(text.err, "");
  EXPECT_NE(text.out.find("line 2: 2026-11-29 22:10:01 ERROR write tcp"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("line 5: 2026-11-29 22:10:03 ERROR write tcp 192.0.2.1:40002->192.0.2.2:8080: write: "
                          "broken pipe\n  as line 2: Go (net.OpError), EPIPE\n"),
            std::string::npos)
      << "a wording met again is referred to\n"
      << text.out;
  EXPECT_NE(text.out.find("line 6: 2026-11-29 22:10:04 ERROR Error: socket hang up\n"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("INFO"), std::string::npos) << "lines with no known wording are not printed";
  EXPECT_NE(text.out.find(log.string() + ": 6 line(s): 3 explained (2 different), 2 with no known wording.\n"),
            std::string::npos)
      << text.out;

  const auto js = run({kBin, "explain", "--json", "--file", log.string()});
  EXPECT_EQ(exit_code(js.status), 0) << js.err;
  const auto objects = json_lines(js.out);
  ASSERT_EQ(objects.size(), 3u) << js.out;
  EXPECT_EQ(objects[0]["line_number"], 2);
  EXPECT_EQ(objects[0]["line"], "2026-11-29 22:10:01 ERROR write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe")
      << "the line without its CR";
  EXPECT_EQ(objects[1]["line_number"], 5);
  EXPECT_EQ(objects[2]["line_number"], 6);
  EXPECT_EQ(objects[2]["errno"], "EOF");

  // jq, as people use it, when it is installed.
  if (::access("/usr/bin/jq", X_OK) == 0) {
    const auto jq = run_with_input({"/usr/bin/jq", "-r", ".errno"}, js.out);
    EXPECT_EQ(exit_code(jq.status), 0) << jq.err;
    EXPECT_EQ(jq.out, "EPIPE\nEPIPE\nEOF\n");
  }

  // A log with no known wording at all: 1; a missing file, a folder: 2.
  std::ofstream(out_ / "quiet.log") << "all fine\nstill fine\n";
  const auto quiet = run({kBin, "explain", "--file", (out_ / "quiet.log").string()});
  EXPECT_EQ(exit_code(quiet.status), 1);
  EXPECT_NE(quiet.err.find("no known wording in any of its 2 line(s)"), std::string::npos) << quiet.err;
  const auto missing = run({kBin, "explain", "--file", (out_ / "nope.log").string()});
  EXPECT_EQ(exit_code(missing.status), 2);
  EXPECT_EQ(missing.err, "rstlab: " + (out_ / "nope.log").string() + ": cannot open: No such file or directory\n");
  EXPECT_EQ(exit_code(run({kBin, "explain", "--file", out_.string()}).status), 2);
}

TEST_F(Cli, ExplainReadsStandardInputALineAtATime) {
  const std::string input = "curl: (56) Recv failure: Connection reset by peer\n"
                            "nothing to see here\n"
                            "\n"
                            "psql: error: server closed the connection unexpectedly\n";
  const auto js = run_with_input({kBin, "explain", "--json", "-"}, input);
  EXPECT_EQ(exit_code(js.status), 1) << "one line had no known wording";
  const auto objects = json_lines(js.out);
  ASSERT_EQ(objects.size(), 2u) << js.out;
  EXPECT_EQ(objects[0]["ecosystem"], "curl");
  EXPECT_EQ(objects[1]["ecosystem"], "PostgreSQL");
  EXPECT_EQ(js.err, "rstlab: standard input, line 2: no known wording in this line (rstlab explain --list shows "
                    "them all)\n");

  // Each answer comes as its line is read: the first is out before standard input ends.
  Child c = spawn({kBin, "explain", "-"});
  const std::string first = "Error: write EPIPE\n";
  ASSERT_EQ(write(c.in, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  const std::string said = read_from(c.out, "  capture:");
  EXPECT_NE(said.find("Error: write EPIPE\n  wording:   Node.js"), std::string::npos) << said;
  close(c.in);
  read_from(c.out);
  read_from(c.err);
  int status = 0;
  waitpid(c.pid, &status, 0);
  EXPECT_EQ(exit_code(status), 0);
  close(c.out);
  close(c.err);
}
