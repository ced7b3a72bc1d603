// SPDX-License-Identifier: MIT
// `rstlab explain`: one log line, standard input a line at a time, or a whole log file.
#include "cli/explain_command.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/explain.h"
#include "rstlab/table.h"
#include "util/suggest.h"

namespace rstlab {
namespace {

std::string without_cr(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

/// "no known wording in this line; the closest known: 'a' or 'b' (see ...)".
std::string unknown_message(const std::string& line) {
  const auto near = closest_wordings(line);
  std::string m = "no known wording in this line";
  if (!near.empty()) m += "; the closest known: " + detail::alternatives(near);
  return m + " (rstlab explain --list shows them all)";
}

int print_list() {
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : known_wordings()) rows.push_back({k.ecosystem, k.result, k.call, k.example});
  std::fputs(render_table({"ECOSYSTEM", "ERRNO OR EOF", "CALL", "EXAMPLE"}, rows).c_str(), stdout);
  std::printf("\n%zu wordings, tried in this order: the first found in a line explains it. A wrapper "
              "(curl's \"Recv failure: ...\")\ntakes its errno from the words it wraps; \"(named)\": the "
              "line names the call or the errno itself.\n",
              rows.size());
  return kExitOk;
}

/// One line of standard input or of the command line; false when it holds no known wording.
bool explain_one(const std::string& line, bool json, bool& first) {
  const auto e = explain_line(line);
  if (!e) return false;
  if (json) {
    std::cout << explanation_json(*e) << '\n';
  } else {
    if (!first) std::cout << '\n';
    std::cout << render_explanation(*e);
  }
  first = false;
  std::cout.flush();
  return true;
}

int explain_stdin(bool json) {
  bool first = true, all_known = true;
  uint64_t number = 0;
  for (std::string raw; std::getline(std::cin, raw);) {
    ++number;
    const std::string line = without_cr(raw);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (!explain_one(line, json, first)) {
      all_known = false;
      std::fprintf(stderr, "rstlab: standard input, line %llu: %s\n", static_cast<unsigned long long>(number),
                   unknown_message(line).c_str());
      std::fflush(stderr);
    }
  }
  return all_known ? kExitOk : kExitFailed;
}

/// What makes two lines of a log "the same" for the text report: the same wording, the same
/// readings and the same side.
std::string same_key(const LineExplanation& e) {
  std::string k = e.ecosystem + "|" + e.meaning + "|" + e.who + "|" + line_side_name(e.side);
  for (const auto& r : e.readings) k += "|" + r.result + "/" + call_op_name(r.call) + "/" + r.what;
  return k;
}

int explain_file(const std::string& path, bool json) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": is a directory, not a log file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open: " + std::strerror(errno));
  uint64_t number = 0, explained = 0, unknown = 0;
  std::map<std::string, uint64_t> told;  // same_key -> the line that was told in full
  bool first = true;
  for (std::string raw; std::getline(in, raw);) {
    ++number;
    const std::string line = without_cr(raw);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const auto e = explain_line(line);
    if (!e) {
      ++unknown;
      continue;
    }
    ++explained;
    if (json) {
      std::cout << explanation_json(*e, number) << '\n';
      continue;
    }
    if (!first) std::cout << '\n';
    first = false;
    const auto [at, fresh] = told.emplace(same_key(*e), number);
    if (fresh) {
      std::cout << render_explanation(*e, number);
    } else {
      const LineReading& r = e->readings.front();
      std::string shown = line.substr(0, 200);
      for (char& c : shown)  // as render_explanation shows a line: no control characters on a terminal
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
      std::cout << "line " << number << ": " << shown << (line.size() > 200 ? "..." : "") << "\n"
                << "  as line " << at->second << ": " << e->ecosystem << ", "
                << (r.errno_name() ? *r.errno_name() : r.result.empty() ? "errno not told" : r.result)
                << (e->readings.size() > 1 ? " (or another reading)" : "") << "\n";
    }
  }
  if (in.bad()) throw InputError(path + ": read error after line " + std::to_string(number));
  if (!json)
    std::printf("%s%s: %llu line(s): %llu explained (%zu different), %llu with no known wording.\n",
                explained ? "\n" : "", path.c_str(), static_cast<unsigned long long>(number),
                static_cast<unsigned long long>(explained), told.size(), static_cast<unsigned long long>(unknown));
  if (explained) return kExitOk;
  std::fprintf(stderr, "rstlab: %s: no known wording in any of its %llu line(s) (rstlab explain --list shows them)\n",
               path.c_str(), static_cast<unsigned long long>(number));
  return kExitFailed;
}

}  // namespace

CLI::App* add_explain_command(CLI::App& app, ExplainArgs& a) {
  auto* cmd = app.add_subcommand("explain", "From a log line to the packets: the errno, the call, the TCP events");
  cmd->add_option("line", a.line,
                  "The log line, quoted, as it was logged (timestamps and all); - reads standard input, "
                  "one line at a time");
  cmd->add_option("--file", a.file, "A whole log: every line with a known wording, with its line number");
  cmd->add_flag("--json", a.json, "JSON Lines: one object per line explained");
  cmd->add_flag("--list", a.list, "List the known wordings, one example each, in the order they are tried");
  cmd->footer(
      "Finds how Go, Java, Python, Node.js, Rust, .NET/Windows, Ruby, curl, nginx, HAProxy,\n"
      "Envoy, gRPC, PostgreSQL, MySQL, OpenSSL and the C library word EPIPE, ECONNRESET,\n"
      "ECONNREFUSED, ETIMEDOUT or an orderly close (EOF) in the line, and says: the errno (or\n"
      "EOF) behind it; which side saw it, in which call; the TCP events that produce it, as\n"
      "Linux's rules say; the built-in scenarios that reproduce it (rstlab run NAME); and what\n"
      "to look for in a capture (rstlab analyze's columns). Where a wording has two readings\n"
      "(Node's \"socket hang up\", Java's \"Connection reset\"), it gives both. A program's own\n"
      "timer (Go's \"i/o timeout\", nginx's \"upstream timed out\") is told apart from the\n"
      "kernel's ETIMEDOUT. See docs/training.md.\n"
      "--json: one object per line: line, ecosystem, errno (a name, \"EOF\", or null when no\n"
      "errno is behind it), call (null when the line does not tell), side (client, server,\n"
      "unknown), events, scenarios, explanation; with --file also line_number.\n"
      "--file: lines with no known wording are counted, not printed; a wording met again is\n"
      "told once, then referred to.\n"
      "Examples:\n"
      "  rstlab explain 'curl: (56) Recv failure: Connection reset by peer'\n"
      "  rstlab explain 'write tcp 192.0.2.1:40001->192.0.2.2:8080: write: broken pipe'\n"
      "  rstlab explain --json 'Error: socket hang up' | jq .scenarios\n"
      "  journalctl -u app -o cat | rstlab explain -\n"
      "  rstlab explain --file /var/log/nginx/error.log\n"
      "  rstlab explain -- '-- 2026-11-29 BrokenPipeError: [Errno 32] Broken pipe'   (a line starting with -)\n"
      "Exit status: 0 explained (every line given, or at least one line of --file), 1 no known\n"
      "wording in a line (or in the whole --file), 2 bad input (no line given, a file that\n"
      "cannot be read, a bad option), 4 an internal error (a bug: please report it).");
  return cmd;
}

int run_explain(const ExplainArgs& a) {
  const int given = (a.line.empty() ? 0 : 1) + (a.file.empty() ? 0 : 1) + (a.list ? 1 : 0);
  if (given == 0) throw InputError("explain: give a log line (in quotes), - for standard input, or --file LOG");
  if (given > 1) throw InputError("explain: give one of a log line, - (standard input), --file LOG or --list");
  if (a.list) return print_list();
  if (!a.file.empty()) return explain_file(a.file, a.json);
  if (a.line.size() == 1 && a.line[0] == "-") return explain_stdin(a.json);
  std::string line;  // unquoted, the shell split it into words: put them back together
  for (const auto& w : a.line) line += (line.empty() ? "" : " ") + w;
  bool first = true;
  if (explain_one(without_cr(line), a.json, first)) return kExitOk;
  std::fprintf(stderr, "rstlab: %s\n", unknown_message(line).c_str());
  return kExitFailed;
}

}  // namespace rstlab
