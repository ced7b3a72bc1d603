// SPDX-License-Identifier: MIT
// The scenario language: one line per header or step; see docs/scenario-language.md.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <csignal>
#include <map>
#include <optional>
#include <set>

#include "rstlab/error.h"
#include "rstlab/printable.h"
#include "rstlab/scenario.h"
#include "rstlab/trace.h"
#include "util/files.h"
#include "util/utf8.h"
#include "util/suggest.h"

namespace rstlab {
namespace {

struct Token {
  enum class Kind { Word, String, Arrow, Amp } kind;
  std::string text;
  int col;  // 1-based
};

class Parser {
 public:
  Parser(std::string source) : source_(std::move(source)) {}

  Scenario parse(const std::string& text) {
    size_t pos = 0;
    int line_no = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      ++line_no;
      line_ = line_no;
      const std::string line = text.substr(pos, end - pos);
      if (const size_t bad = detail::first_invalid_utf8(line); bad != std::string::npos) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(line[bad]));
        fail(static_cast<int>(bad) + 1, std::string("this byte (0x") + hex +
                                            ") is not UTF-8: a scenario file is text; write other bytes in a string as \\x" +
                                            hex);
      }
      parse_line(line);
      pos = end + 1;
    }
    finish();
    return std::move(sc_);
  }

 private:
  // ---- errors -------------------------------------------------------------
  [[noreturn]] void fail(int col, const std::string& what) const {
    throw InputError(source_ + ":" + std::to_string(line_) + ":" + std::to_string(col) + ": " + what);
  }
  [[noreturn]] void fail_at(const Token& t, const std::string& what) const { fail(t.col, what); }
  std::string found(const Token& t) const {
    switch (t.kind) {
      case Token::Kind::String: return "a string";
      case Token::Kind::Arrow: return "'=>'";
      case Token::Kind::Amp: return "'&'";
      default: return "'" + t.text + "'";
    }
  }

  // ---- tokens -------------------------------------------------------------
  std::vector<Token> tokenize(const std::string& line) {
    std::vector<Token> out;
    size_t i = 0;
    while (i < line.size()) {
      const char c = line[i];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i;
      } else if (c == '#') {
        break;
      } else if (c == '"') {
        const int col = static_cast<int>(i) + 1;
        std::string s;
        ++i;
        for (;;) {
          if (i >= line.size()) fail(col, "unterminated string (missing closing '\"')");
          const char d = line[i++];
          if (d == '"') break;
          if (d != '\\') {
            s += d;
            continue;
          }
          if (i >= line.size()) fail(col, "unterminated string (missing closing '\"')");
          const char e = line[i++];
          switch (e) {
            case 'n': s += '\n'; break;
            case 'r': s += '\r'; break;
            case 't': s += '\t'; break;
            case '0': s += '\0'; break;
            case '"': s += '"'; break;
            case '\\': s += '\\'; break;
            case 'x': {
              auto hex = [&](char h) -> int {
                if (h >= '0' && h <= '9') return h - '0';
                if (h >= 'a' && h <= 'f') return h - 'a' + 10;
                if (h >= 'A' && h <= 'F') return h - 'A' + 10;
                return -1;
              };
              if (i + 1 >= line.size() || hex(line[i]) < 0 || hex(line[i + 1]) < 0)
                fail(static_cast<int>(i), "expected two hex digits after \\x");
              s += static_cast<char>(hex(line[i]) * 16 + hex(line[i + 1]));
              i += 2;
              break;
            }
            default:
              fail(static_cast<int>(i) - 1, std::string("unknown escape '\\") + e + "' in string");
          }
        }
        out.push_back({Token::Kind::String, s, col});
      } else if (c == '=' && i + 1 < line.size() && line[i + 1] == '>') {
        out.push_back({Token::Kind::Arrow, "=>", static_cast<int>(i) + 1});
        i += 2;
      } else if (c == '&') {
        out.push_back({Token::Kind::Amp, "&", static_cast<int>(i) + 1});
        ++i;
      } else {
        const size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
               line[i] != '#' && line[i] != '"' && !(line[i] == '=' && i + 1 < line.size() && line[i + 1] == '>'))
          ++i;
        out.push_back({Token::Kind::Word, line.substr(start, i - start), static_cast<int>(start) + 1});
      }
    }
    return out;
  }

  // ---- helpers over a token list -------------------------------------------
  struct Cursor {
    const std::vector<Token>& t;
    size_t i = 0;
    int end_col;
    bool done() const { return i >= t.size(); }
    const Token* peek() const { return done() ? nullptr : &t[i]; }
  };

  const Token& next(Cursor& c, const std::string& expected) {
    if (c.done()) fail(c.end_col, "expected " + expected + ", found the end of the line");
    return c.t[c.i++];
  }
  std::string word(Cursor& c, const std::string& expected) {
    const Token& t = next(c, expected);
    if (t.kind != Token::Kind::Word) fail_at(t, "expected " + expected + ", found " + found(t));
    return t.text;
  }
  std::string string_arg(Cursor& c, const std::string& expected) {
    const Token& t = next(c, expected);
    if (t.kind != Token::Kind::String) fail_at(t, "expected " + expected + " in double quotes, found " + found(t));
    return t.text;
  }
  int64_t number(const Token& t, const std::string& expected, const std::string& suffix = {}) {
    std::string s = t.text;
    if (t.kind != Token::Kind::Word) fail_at(t, "expected " + expected + ", found " + found(t));
    if (!suffix.empty() && s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
      s.resize(s.size() - suffix.size());
    if (s.empty() || s.size() > 12 || s.find_first_not_of("0123456789") != std::string::npos)
      fail_at(t, "expected " + expected + ", found " + found(t));
    return std::stoll(s);
  }
  int64_t number(Cursor& c, const std::string& expected, const std::string& suffix = {}) {
    return number(next(c, expected), expected, suffix);
  }
  void no_more(Cursor& c, const std::string& after) {
    if (!c.done()) fail_at(*c.peek(), "unexpected " + found(*c.peek()) + " after " + after);
  }
  bool on_off(Cursor& c) {
    const Token& t = next(c, "'on' or 'off'");
    if (t.kind == Token::Kind::Word && t.text == "on") return true;
    if (t.kind == Token::Kind::Word && t.text == "off") return false;
    fail_at(t, "expected 'on' or 'off', found " + found(t));
  }

  // ---- lines ----------------------------------------------------------------
  void parse_line(const std::string& line) {
    const auto tokens = tokenize(line);
    if (tokens.empty()) return;
    Cursor c{tokens, 0, static_cast<int>(line.size()) + 1};
    const Token& first = tokens[0];
    if (first.kind != Token::Kind::Word)
      fail_at(first, "expected a keyword (scenario, title, story, client, server, middle, link, family, rto_min, "
                     "after, repeat), found " +
                         found(first));
    const std::string& kw = first.text;
    const bool declaration = (kw == "client" || kw == "server") && tokens.size() >= 2 &&
                             tokens[1].kind == Token::Kind::Word &&
                             (tokens[1].text == "kernel" || tokens[1].text == "peer" || tokens[1].text == "none" ||
                              tokens[1].text == "exec");
    if (block_ && (declaration || kw == "scenario" || kw == "title" || kw == "story" || kw == "rto_min" ||
                   kw == "link" || kw == "family"))
      fail_at(first, "only steps can be repeated: '" + kw + "' belongs above the steps, outside the repeat block");
    if (kw == "scenario") {
      c.i = 1;
      sc_.name = word(c, "a scenario name");
      for (char ch : sc_.name)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_'))
          fail_at(tokens[1], "scenario names use letters, digits, '-' and '_', found '" + sc_.name + "'");
      no_more(c, "the scenario name");
      return;
    }
    if (kw == "title") {
      c.i = 1;
      sc_.title = string_arg(c, "the title");
      no_more(c, "the title");
      return;
    }
    if (kw == "story") {
      c.i = 1;
      const std::string s = string_arg(c, "a line of the story");
      sc_.story += (sc_.story.empty() ? "" : " ") + s;
      no_more(c, "the story line");
      return;
    }
    if (kw == "rto_min") {
      c.i = 1;
      const Token& t = next(c, "a time in milliseconds (e.g. 10ms)");
      const int64_t v = number(t, "a time in milliseconds (e.g. 10ms)", "ms");
      if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "ms") ++c.i;
      if (v < 1 || v > 200) fail_at(t, "rto_min must be between 1 and 200 ms (the kernel's default is 200)");
      sc_.rto_min_ms = static_cast<int>(v);
      no_more(c, "rto_min");
      return;
    }
    if (kw == "link") {
      c.i = 1;
      const Token& t = next(c, "veth, tun or both");
      if (t.text == "veth") sc_.links = {LinkKind::Veth};
      else if (t.text == "tun") sc_.links = {LinkKind::Tun};
      else if (t.text == "both") sc_.links = {LinkKind::Veth, LinkKind::Tun};
      else fail_at(t, "expected veth, tun or both, found " + found(t));
      no_more(c, "the link");
      return;
    }
    if (kw == "family") {
      c.i = 1;
      const Token& t = next(c, "ipv4 or ipv6");
      if (t.text == "ipv4") sc_.family = Family::V4;
      else if (t.text == "ipv6") sc_.family = Family::V6;
      else fail_at(t, "expected ipv4 or ipv6, found " + found(t));
      no_more(c, "the family");
      return;
    }
    if (kw == "repeat" || kw == "}") {
      repeat(c, line);
      return;
    }
    if (kw == "middle" && tokens.size() >= 2 && tokens[1].kind == Token::Kind::Word && tokens[1].text == "box") {
      declare_middle(c);
      return;
    }
    if (declaration) {
      declare(c);
      return;
    }
    int64_t after = 0;
    if (kw == "after") {
      c.i = 1;
      after = number(c, "a delay in milliseconds (e.g. 300ms)", "ms");
      if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "ms") ++c.i;
    }
    const Token& actor = next(c, "an actor (client or server)");
    if (actor.kind == Token::Kind::Word && actor.text == "middle") return middle_step(c, actor, after);
    if (actor.kind != Token::Kind::Word || (actor.text != "client" && actor.text != "server")) {
      if (after) fail_at(actor, "expected an actor (client, server or middle), found " + found(actor));
      fail_at(first, "unknown keyword '" + kw +
                         "' (expected scenario, title, story, client, server, middle, link, family, rto_min, after "
                         "or repeat)");
    }
    step(c, actor, after);
  }

  // ---- repeat ---------------------------------------------------------------
  // `repeat N STEP` repeats one step; `repeat N {` ... `}` repeats the steps between.
  // The copies keep their line numbers, so a failing copy points at the line written.
  struct Background {
    CallRequest call;
    int line, col;
  };
  struct Block {
    int64_t count;
    size_t first;  // index of its first step in sc_.steps
    int line, col;
    std::map<Role, Background> background;  // background calls open when it began
  };
  static constexpr int64_t kMaxRepeat = 10000;
  static constexpr size_t kMaxSteps = 100000;

  void repeat(Cursor& c, const std::string& line) {
    const Token& kw = c.t[0];
    if (kw.text == "}") {
      if (!block_) fail_at(kw, "'}' without an open 'repeat N {'");
      c.i = 1;
      no_more(c, "'}'");
      const Block b = *block_;
      block_.reset();
      close_repeat(b, kw);
      return;
    }
    if (block_) fail_at(kw, "a repeat inside a repeat block is not supported (the block opened on line " +
                                std::to_string(block_->line) + ")");
    c.i = 1;
    const Token& n = next(c, "a repeat count (1 to " + std::to_string(kMaxRepeat) + ")");
    const int64_t count = number(n, "a repeat count (1 to " + std::to_string(kMaxRepeat) + ")");
    if (count < 1 || count > kMaxRepeat)
      fail_at(n, "a repeat count goes from 1 to " + std::to_string(kMaxRepeat) + ", found " + n.text);
    const Token* what = c.peek();
    if (!what) fail(c.end_col, "expected '{' or a step after 'repeat " + n.text + "', found the end of the line");
    Block b{count, sc_.steps.size(), line_, kw.col, background_};
    if (what->kind == Token::Kind::Word && what->text == "{") {
      ++c.i;
      no_more(c, "'{' (the repeated steps go on the lines below, up to a line holding '}')");
      block_ = b;
      return;
    }
    if (what->kind == Token::Kind::Word && (what->text == "repeat" || what->text == "}"))
      fail_at(*what, "a repeat inside a repeat is not supported");
    // One step: the rest of the line, parsed in place (blanks keep its columns).
    std::string rest = line.substr(static_cast<size_t>(what->col - 1));
    parse_line(std::string(static_cast<size_t>(what->col - 1), ' ') + rest);
    if (sc_.steps.size() != b.first + 1) fail_at(*what, "expected a step after 'repeat " + n.text + "'");
    close_repeat(b, kw);
  }

  /// Copies the steps parsed since `b` opened until there are `b.count` rounds of them.
  void close_repeat(const Block& b, const Token& at) {
    const size_t len = sc_.steps.size() - b.first;
    if (len == 0) {
      line_ = b.line;
      fail(b.col, "this repeat block holds no step");
    }
    // A background call must start and be collected within one round, or the copies
    // would start a second one before the first is collected.
    if (background_.size() != b.background.size() ||
        !std::equal(background_.begin(), background_.end(), b.background.begin(),
                    [](const auto& x, const auto& y) { return x.first == y.first && x.second.line == y.second.line; })) {
      if (b.count > 1)
        fail_at(at, "a repeated background call must be collected ('wait') inside the repeat, and a 'wait' "
                    "inside it must collect a call started inside it");
    }
    if (len * static_cast<size_t>(b.count) > kMaxSteps)
      fail_at(at, "this repeat makes " + std::to_string(len * static_cast<size_t>(b.count)) +
                      " steps; a scenario holds at most " + std::to_string(kMaxSteps));
    sc_.steps.reserve(sc_.steps.size() + len * static_cast<size_t>(b.count - 1));  // one allocation (scenario_fuzz)
    for (int64_t round = 1; round < b.count; ++round)
      for (size_t k = 0; k < len; ++k) sc_.steps.push_back(sc_.steps[b.first + k]);
  }

  void declare(Cursor& c) {
    const Token& who = c.t[0];
    c.i = 1;
    ActorSpec& a = who.text == "client" ? sc_.client : sc_.server;
    bool& seen = who.text == "client" ? client_declared_ : server_declared_;
    if (seen) fail_at(who, "the " + who.text + " is declared twice");
    seen = true;
    const std::string kind = word(c, "kernel, peer, none or exec");
    a.kind = kind == "kernel" || kind == "exec" ? ActorKind::Kernel : kind == "peer" ? ActorKind::Peer : ActorKind::None;
    if (kind == "exec") return declare_program(c, who, a);
    while (!c.done()) {
      const Token& opt = next(c, "an option");
      if (opt.kind == Token::Kind::Word && opt.text.rfind("sigpipe=", 0) == 0 && a.kind == ActorKind::Kernel) {
        const std::string v = opt.text.substr(8);
        if (v == "default") a.sigpipe = SigpipeMode::Default;
        else if (v == "ignore") a.sigpipe = SigpipeMode::Ignore;
        else if (v == "handler") a.sigpipe = SigpipeMode::Handler;
        else fail(opt.col + 8, "expected sigpipe=default, ignore or handler, found '" + v + "'");
      } else if (opt.kind == Token::Kind::Word && a.kind == ActorKind::Peer) {
        peer_option(opt, a.offer);
      } else {
        fail_at(opt, "unexpected " + found(opt) +
                         (a.kind == ActorKind::Kernel ? " (a kernel actor takes sigpipe=default|ignore|handler)"
                                                      : " (only kernel actors and the peer take options)"));
      }
    }
  }

  /// `client exec "CMD ARGS..."`: the words of a program's command line. Blanks separate
  /// words, single quotes keep blanks inside one (`sh -c 'a | b'`); there is no shell.
  void declare_program(Cursor& c, const Token& who, ActorSpec& a) {
    const Token& cmd = next(c, "the program's command line in double quotes (e.g. \"python3 client.py {server}\")");
    if (cmd.kind != Token::Kind::String)
      fail_at(cmd, "expected the program's command line in double quotes (e.g. \"python3 client.py {server}\"), "
                   "found " + found(cmd));
    if (!c.done())
      fail_at(*c.peek(), "unexpected " + found(*c.peek()) +
                             " after the command (a program takes no options: its calls are its own)");
    ProgramSpec p;
    p.text = cmd.text;
    p.where = source_ + ":" + std::to_string(line_);
    std::string w;
    bool in_word = false;
    for (size_t i = 0; i < cmd.text.size(); ++i) {
      const char ch = cmd.text[i];
      if (ch == '\'') {
        const size_t close = cmd.text.find('\'', i + 1);
        if (close == std::string::npos)
          fail_at(cmd, "unterminated single quote in the command (a quoted word ends with another ')");
        w += cmd.text.substr(i + 1, close - i - 1);
        in_word = true;
        i = close;
      } else if (ch == ' ' || ch == '\t' || ch == '\n') {
        if (in_word) p.argv.push_back(w);
        w.clear();
        in_word = false;
      } else {
        w += ch;
        in_word = true;
      }
    }
    if (in_word) p.argv.push_back(w);
    if (p.argv.empty() || p.argv[0].empty()) fail_at(cmd, "the command is empty: name the program to run");
    // The placeholders: the peer's address (and the program's own, as a server).
    for (const auto& arg : p.argv)
      for (size_t at = arg.find('{'); at != std::string::npos; at = arg.find('{', at + 1)) {
        const size_t end = arg.find('}', at);
        const std::string name = arg.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
        if (name == "{server}") continue;
        if (name == "{client}") {
          if (who.text == "client")
            fail_at(cmd, "{client} is the peer's address when the program is the server; this program is the "
                         "client (its own address is chosen by its kernel)");
          continue;
        }
        fail_at(cmd, "unknown placeholder '" + name + "' in the command (expected {server} or {client})");
      }
    a.program = std::move(p);
  }

  /// One option the crafted peer offers in its SYN or SYN-ACK: mss=N, wscale=N, sackok, ts.
  void peer_option(const Token& opt, PeerOffer& offer) {
    const std::string& w = opt.text;
    auto value = [&](size_t at, int64_t lo, int64_t hi, const char* what) {
      const std::string v = w.substr(at);
      int64_t n = -1;
      if (!v.empty() && v.size() <= 6 && v.find_first_not_of("0123456789") == std::string::npos) n = std::stoll(v);
      if (n < lo || n > hi)
        fail(opt.col + static_cast<int>(at), std::string("expected ") + what + " from " + std::to_string(lo) +
                                                 " to " + std::to_string(hi) + ", found '" + v + "'");
      return n;
    };
    if (w.rfind("mss=", 0) == 0) offer.mss = static_cast<uint16_t>(value(4, 64, 65535, "an MSS"));
    else if (w.rfind("wscale=", 0) == 0) offer.wscale = static_cast<uint8_t>(value(7, 0, 14, "a window scale"));
    else if (w == "sackok") offer.sack_permitted = true;
    else if (w == "ts") offer.timestamps = true;
    else if (w.rfind("isn=", 0) == 0) {
      const std::string v = w.substr(4);
      if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoull(v) > 0xffffffffULL)
        fail(opt.col + 4, "expected an initial sequence number from 0 to 4294967295, found '" + v + "'");
      offer.isn = static_cast<uint32_t>(std::stoull(v));
    } else
      fail_at(opt, "unexpected " + found(opt) + " (the peer takes the options of its SYN: mss=N, wscale=N, sackok, ts)");
  }

  // ---- the middle actor ------------------------------------------------------
  void declare_middle(Cursor& c) {
    if (middle_line_) fail_at(c.t[0], "the middle is declared twice");
    middle_line_ = line_;
    middle_col_ = c.t[0].col;
    sc_.middle = true;
    c.i = 2;
    no_more(c, "'middle box'");
  }

  void middle_step(Cursor& c, const Token& actor, int64_t after) {
    if (!middle_line_) fail_at(actor, "the middle is not declared yet (add 'middle box' above its steps)");
    Step s;
    s.actor = Role::Middle;
    s.after_ms = after;
    s.where = source_ + ":" + std::to_string(line_);
    const Token& verb = next(c, "a middle step (rst or fin)");
    const size_t text_from = c.i - 1;
    if (verb.kind == Token::Kind::Word && verb.text == "rst") {
      s.op = StepOp::MiddleRst;
      s.with_ack = true;
    } else if (verb.kind == Token::Kind::Word && verb.text == "fin") {
      s.op = StepOp::MiddleFin;
      s.with_ack = true;
    } else {
      fail_at(verb, "unknown step " + found(verb) + " for the middle (expected rst or fin)");
    }
    const Token& target = next(c, "the side to inject toward (client, server or both)");
    if (target.kind == Token::Kind::Word && target.text == "client") s.target = MiddleTarget::Client;
    else if (target.kind == Token::Kind::Word && target.text == "server") s.target = MiddleTarget::Server;
    else if (target.kind == Token::Kind::Word && target.text == "both") s.target = MiddleTarget::Both;
    else fail_at(target, "expected the side to inject toward (client, server or both), found " + found(target));
    while (c.peek() && c.peek()->kind == Token::Kind::Word) {
      const Token& f = *c.peek();
      if (f.text == "noack" && s.op == StepOp::MiddleRst) s.with_ack = false;
      else if (f.text.rfind("seq=", 0) == 0) s.seq = seq_policy(f);
      else
        fail_at(f, "unknown middle " + verb.text + " argument " + found(f) +
                       (s.op == StepOp::MiddleRst ? " (expected seq=..., noack)" : " (expected seq=...)"));
      ++c.i;
    }
    if (c.peek() && c.peek()->kind == Token::Kind::Amp)
      fail_at(*c.peek(), "only system calls can run in the background ('&')");
    if (c.peek() && c.peek()->kind == Token::Kind::Arrow)
      fail_at(*c.peek(), "a middle step has no result to expect (remove '=> ...'; expect the kernel "
                         "actors' following calls instead)");
    no_more(c, "the step");
    for (size_t k = text_from; k < c.i; ++k) s.text += (s.text.empty() ? "" : " ") + c.t[k].text;
    sc_.steps.push_back(std::move(s));
  }

  const ActorSpec& actor_spec(const Token& actor) {
    const bool client = actor.text == "client";
    if (!(client ? client_declared_ : server_declared_))
      fail_at(actor, "the " + actor.text + " is not declared yet (add '" + actor.text +
                         " kernel' or '" + actor.text + " peer' above the steps)");
    const ActorSpec& a = client ? sc_.client : sc_.server;
    if (a.kind == ActorKind::None) fail_at(actor, "the " + actor.text + " was declared 'none': it takes no steps");
    if (a.program)
      fail_at(actor, "the " + actor.text + " is a program (exec): it makes its own calls; the scenario gives only "
                     "the peer's steps");
    return a;
  }

  void step(Cursor& c, const Token& actor, int64_t after) {
    const ActorSpec& spec = actor_spec(actor);
    Step s;
    s.actor = actor.text == "client" ? Role::Client : Role::Server;
    s.after_ms = after;
    s.where = source_ + ":" + std::to_string(line_);
    const Token& verb_tok = next(c, "a step");
    if (verb_tok.kind != Token::Kind::Word) fail_at(verb_tok, "expected a step, found " + found(verb_tok));
    const std::string verb = verb_tok.text;
    const size_t text_from = c.i - 1;
    if (verb == "note") {
      // Words for the trace, no action: what a replay inferred, and why.
      s.op = StepOp::Note;
      s.data = string_arg(c, "the note's text");
      if (c.peek() && (c.peek()->kind == Token::Kind::Amp || c.peek()->kind == Token::Kind::Arrow))
        fail_at(*c.peek(), "a note takes no '&' and no '=>': it only adds its text to the trace");
    } else if (verb == "wait") {
      s.op = StepOp::Wait;
      auto it = background_.find(s.actor);
      if (it == background_.end())
        fail_at(verb_tok, "'wait' needs an earlier background call of the " + actor.text + " (a step ending in '&')");
      s.call = it->second.call;
      background_.erase(it);
    } else if (spec.kind == ActorKind::Kernel) {
      kernel_step(c, verb_tok, s);
    } else {
      peer_step(c, verb_tok, s);
    }
    // Optional '&' then optional '=> expectation'.
    if (c.peek() && c.peek()->kind == Token::Kind::Amp) {
      const Token& amp = next(c, "'&'");
      if (s.op != StepOp::Call) fail_at(amp, "only system calls can run in the background ('&')");
      if (background_.count(s.actor))
        fail_at(amp, "the " + actor.text + " already has a background call: 'wait' for it first");
      s.background = true;
      background_[s.actor] = {s.call, line_, amp.col};
    }
    std::vector<std::string> words;
    for (size_t k = text_from; k < c.i; ++k)
      words.push_back(c.t[k].kind == Token::Kind::String ? "\"" + printable(c.t[k].text) + "\"" : c.t[k].text);
    for (const auto& w : words) s.text += (s.text.empty() ? "" : " ") + w;
    if (c.peek() && c.peek()->kind == Token::Kind::Arrow) {
      const Token& arrow = next(c, "'=>'");
      if (s.op != StepOp::Call && s.op != StepOp::Wait)
        fail_at(arrow, "a peer step has no result to expect (remove '=> ...'; use 'expect FLAGS' to wait for a segment)");
      if (s.background) fail_at(arrow, "a background call's result is expected on its 'wait' step");
      s.expect = s.call.call == KernelCall::Query ? query_expectation(c, arrow) : expectation(c, arrow, s.call.call);
    } else if (s.op == StepOp::Call && s.call.call == KernelCall::Query) {
      fail(c.end_col, "expected '=>' and the value '" + query_verb_ + "' must have (e.g. '" + actor.text + " " +
                          query_verb_ + (query_verb_ == "state" ? " => CLOSE_WAIT'" : " => 0'") + ")");
    }
    no_more(c, "the step");
    sc_.steps.push_back(std::move(s));
  }

  /// `client state => CLOSE_WAIT`, `client inq => 1`, `client outq => 0`.
  Expectation query_expectation(Cursor& c, const Token& arrow) {
    Expectation e;
    e.query = true;
    const Token& t = next(c, query_verb_ == "state" ? "a TCP state (e.g. CLOSE_WAIT)" : "a number of bytes");
    if (t.kind == Token::Kind::Arrow || t.kind == Token::Kind::Amp) fail_at(t, "expected a value, found " + found(t));
    if (query_verb_ == "state") e.state = tcp_state_word(t);
    else if (query_verb_ == "inq") e.inq = number(t, "a number of bytes");
    else e.outq = number(t, "a number of bytes");
    e.text = query_verb_ + "=" + t.text;
    (void)arrow;
    return e;
  }

  /// A TCP state as TCP_INFO names it.
  std::string tcp_state_word(const Token& t) {
    static const std::vector<std::string> names = {"ESTABLISHED", "SYN_SENT",  "SYN_RECV", "FIN_WAIT1",
                                                   "FIN_WAIT2",   "TIME_WAIT", "CLOSE",    "CLOSE_WAIT",
                                                   "LAST_ACK",    "LISTEN",    "CLOSING",  "NEW_SYN_RECV"};
    if (t.kind == Token::Kind::Word && std::find(names.begin(), names.end(), t.text) != names.end()) return t.text;
    const auto near = detail::closest_names(t.text, names, 3, std::max<size_t>(2, t.text.size() / 2));
    fail_at(t, "unknown TCP state " + found(t) + (near.empty() ? "" : "; did you mean " + detail::alternatives(near, 0) + "?") +
                   " (the names TCP_INFO uses: ESTABLISHED, CLOSE_WAIT, CLOSE, FIN_WAIT1...)");
  }

  /// After a call's result: `state=CLOSE`, `inq=N`, `outq=N`, each at most once.
  void socket_clauses(Cursor& c, Expectation& e, KernelCall call) {
    while (c.peek() && c.peek()->kind == Token::Kind::Word) {
      const Token& t = *c.peek();
      const size_t eq = t.text.find('=');
      const std::string key = eq == std::string::npos ? t.text : t.text.substr(0, eq);
      if (key != "state" && key != "inq" && key != "outq") return;  // no_more() reports it
      if (call == KernelCall::Close || call == KernelCall::Pipe || call == KernelCall::CloseReadEnd)
        fail_at(t, "'" + key + "=' measures the connection after the call, and after " +
                       (call == KernelCall::Pipe ? "pipe" : "close") + " there is no socket to measure");
      if (eq == std::string::npos || eq + 1 == t.text.size())
        fail_at(t, "expected " + key + "=" + (key == "state" ? "STATE (e.g. state=CLOSE)" : "N (e.g. " + key + "=0)") +
                       ", found " + found(t));
      if ((key == "state" && e.state) || (key == "inq" && e.inq) || (key == "outq" && e.outq))
        fail_at(t, "'" + key + "=' is given twice");
      Token v = t;
      v.text = t.text.substr(eq + 1);
      v.col += static_cast<int>(eq) + 1;
      if (key == "state") e.state = tcp_state_word(v);
      else if (key == "inq") e.inq = number(v, "a number of bytes after inq=");
      else e.outq = number(v, "a number of bytes after outq=");
      ++c.i;
    }
  }

  void kernel_step(Cursor& c, const Token& verb_tok, Step& s) {
    const std::string& v = verb_tok.text;
    CallRequest& q = s.call;
    s.op = StepOp::Call;
    auto flags = [&](std::initializer_list<std::pair<const char*, int>> allowed) {
      while (c.peek() && c.peek()->kind == Token::Kind::Word) {
        const Token& f = *c.peek();
        bool ok = false;
        for (const auto& [name, bit] : allowed)
          if (f.text == name) {
            q.msg_flags |= bit;
            ok = true;
          }
        if (!ok) {
          std::string names;
          for (const auto& [name, bit] : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
          fail_at(f, "unknown flag " + found(f) + " (expected " + names + ")");
        }
        ++c.i;
      }
    };
    if (v == "connect" || v == "listen") {
      q.call = v == "connect" ? KernelCall::Connect : KernelCall::Listen;
      if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "nonblock") {
        q.nonblocking = true;
        ++c.i;
      }
    } else if (v == "accept") {
      q.call = KernelCall::Accept;
    } else if (v == "write" || v == "send") {
      q.call = KernelCall::Write;
      q.use_send_recv = v == "send";
      const Token& d = next(c, "the data to write: \"text\" or N bytes");
      if (d.kind == Token::Kind::String) {
        if (d.text.empty()) fail_at(d, "a write needs at least one byte");
        if (d.text.size() > 8192) fail_at(d, "write data over 8192 bytes: give a count instead (N bytes)");
        q.data = d.text;
      } else {
        q.count = number(d, "the data to write: \"text\" or N bytes");
        if (q.count == 0) fail_at(d, "a write needs at least one byte");
        const Token& unit = next(c, "'bytes'");
        if (unit.text != "bytes") fail_at(unit, "expected 'bytes' after the count, found " + found(unit));
      }
      if (q.use_send_recv) flags({{"nosignal", MSG_NOSIGNAL}, {"dontwait", MSG_DONTWAIT}});
    } else if (v == "read" || v == "recv") {
      q.call = KernelCall::Read;
      q.use_send_recv = v == "recv";
      q.count = number(c, "the number of bytes to read");
      if (q.count == 0 || q.count > (1 << 20)) fail(c.t[c.i - 1].col, "read between 1 and 1048576 bytes");
      if (q.use_send_recv) flags({{"peek", MSG_PEEK}, {"dontwait", MSG_DONTWAIT}, {"waitall", MSG_WAITALL}});
    } else if (v == "shutdown") {
      q.call = KernelCall::Shutdown;
      const Token& h = next(c, "rd, wr or rdwr");
      if (h.text == "rd") q.value = SHUT_RD;
      else if (h.text == "wr") q.value = SHUT_WR;
      else if (h.text == "rdwr") q.value = SHUT_RDWR;
      else fail_at(h, "expected rd, wr or rdwr, found " + found(h));
    } else if (v == "close") {
      q.call = KernelCall::Close;
    } else if (v == "linger") {
      q.call = KernelCall::SetLinger;
      const Token& t = next(c, "'off' or a number of seconds");
      if (t.kind == Token::Kind::Word && t.text == "off") q.enable = false;
      else q.value = static_cast<int>(number(t, "'off' or a number of seconds"));
    } else if (v == "user_timeout") {
      q.call = KernelCall::SetUserTimeout;
      q.value = static_cast<int>(number(c, "a timeout in milliseconds", "ms"));
    } else if (v == "so_error") {
      q.call = KernelCall::GetSoError;
    } else if (v == "poll") {
      q.call = KernelCall::Poll;
      q.value = 0;
      while (c.peek() && c.peek()->kind == Token::Kind::Word) {
        const Token& f = *c.peek();
        if (f.text == "in") q.events |= POLLIN;
        else if (f.text == "out") q.events |= POLLOUT;
        else if (f.text == "rdhup") q.events |= POLLRDHUP;
        else if (f.text == "pri") q.events |= POLLPRI;
        else if (f.text.rfind("timeout=", 0) == 0) {
          Token n = f;
          n.text = f.text.substr(8);
          n.col += 8;
          q.value = static_cast<int>(number(n, "a timeout in milliseconds", "ms"));
        } else {
          fail_at(f, "unknown poll argument " + found(f) + " (expected in, out, rdhup, pri, timeout=MS)");
        }
        ++c.i;
      }
    } else if (v == "state" || v == "inq" || v == "outq") {
      // A query step: no system call of its own, the socket as it is now (its result
      // is the `=> VALUE` that must follow, see expectation()).
      q.call = KernelCall::Query;
      query_verb_ = v;
    } else if (v == "pipe") {
      q.call = KernelCall::Pipe;
    } else if (v == "close-read-end") {
      q.call = KernelCall::CloseReadEnd;
    } else {
      fail_at(verb_tok, "unknown step '" + v + "' for a kernel actor (expected connect, listen, accept, "
                        "write, send, read, recv, shutdown, close, linger, user_timeout, so_error, poll, "
                        "pipe, close-read-end, state, inq, outq or wait)");
    }
  }

  void peer_step(Cursor& c, const Token& verb_tok, Step& s) {
    const std::string& v = verb_tok.text;
    if (v == "connect") {
      s.op = StepOp::PeerConnect;
      // `connect refused`: the SYN is to be answered with an RST (nothing listens).
      if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "refused") {
        s.flag = false;
        ++c.i;
      }
    } else if (v == "recv") {
      s.op = StepOp::PeerRecv;
      s.count = number(c, "the number of bytes to receive");
    } else if (v == "send") {
      s.op = StepOp::PeerSend;
      const Token& d = next(c, "the data to send: \"text\" or N bytes");
      if (d.kind == Token::Kind::String) {
        s.data = d.text;
      } else {
        // `send N bytes`: N filler bytes (what a replay sends where the snap length cut them).
        s.count = number(d, "the data to send: \"text\" or N bytes");
        const Token& unit = next(c, "'bytes'");
        if (unit.kind != Token::Kind::Word || unit.text != "bytes")
          fail_at(unit, "expected 'bytes' after the count, found " + found(unit));
      }
      const size_t n = d.kind == Token::Kind::String ? s.data.size() : static_cast<size_t>(s.count);
      if (n == 0 || n > 1400) fail(d.col, "the peer sends 1 to 1400 bytes per segment");
    } else if (v == "fin") {
      s.op = StepOp::PeerFin;
    } else if (v == "close") {
      s.op = StepOp::PeerClose;
    } else if (v == "rst") {
      s.op = StepOp::PeerRst;
      while (c.peek() && c.peek()->kind == Token::Kind::Word) {
        const Token& f = *c.peek();
        if (f.text == "ack") s.with_ack = true;
        else if (f.text == "badsum") s.bad_checksum = true;
        else if (f.text.rfind("seq=", 0) == 0) s.seq = seq_policy(f);
        else fail_at(f, "unknown rst argument " + found(f) + " (expected seq=..., ack, badsum)");
        ++c.i;
      }
    } else if (v == "ack") {
      s.op = StepOp::PeerAck;
    } else if (v == "expect") {
      s.op = StepOp::PeerExpect;
      const Token& f = next(c, "TCP flags as tcpdump writes them (., R, F., S., P.), 'none' or 'no FLAGS'");
      if (f.kind == Token::Kind::Word && (f.text == "none" || f.text == "no")) {
        // `expect none 200ms`, `expect no R 50ms`: nothing (with those flags) may arrive.
        s.op = StepOp::PeerExpectNone;
        if (f.text == "no") {
          const Token& g = next(c, "the TCP flags that must not arrive (R, F, S, P, .)");
          if (g.kind != Token::Kind::Word || g.text.find_first_not_of("FSRPUEW.") != std::string::npos)
            fail_at(g, "expected the TCP flags that must not arrive (R, F, S, P, .), found " + found(g));
          s.data = g.text;
        }
        const Token& d = next(c, "how long to wait, in milliseconds (e.g. 200ms)");
        s.count = number(d, "how long to wait, in milliseconds (e.g. 200ms)", "ms");
        if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "ms") ++c.i;
        if (s.count < 1 || s.count > 10000) fail_at(d, "wait between 1 and 10000 ms for nothing to arrive");
        return;
      }
      if (f.kind != Token::Kind::Word || f.text.find_first_not_of("FSRPUEW.") != std::string::npos)
        fail_at(f, "expected TCP flags as tcpdump writes them (., R, F., S., P.), 'none' or 'no FLAGS', found " +
                       found(f));
      s.data = f.text;
      if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text.rfind("seq=", 0) == 0) {
        const Token& q = *c.peek();
        const SeqPolicy p = seq_policy(q);
        if (p.kind != SeqPolicy::Kind::Absolute && p.kind != SeqPolicy::Kind::Explicit)
          fail_at(q, "an expected segment's seq is seq=abs:N (the raw number) or seq=N (from the sender's ISN), "
                     "found " + found(q));
        s.match_seq = p;
        ++c.i;
      }
    } else if (v == "autoack") {
      s.op = StepOp::PeerAutoAck;
      s.flag = on_off(c);
    } else if (v == "closed-rst") {
      s.op = StepOp::PeerClosedSocket;
      s.flag = on_off(c);
    } else if (v == "synack") {
      s.op = StepOp::PeerAnswerSyn;
      s.flag = on_off(c);
    } else if (v == "delay") {
      s.op = StepOp::PeerDelay;
      s.count = number(c, "a delay in milliseconds (e.g. 30ms)", "ms");
      if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "ms") ++c.i;
    } else {
      fail_at(verb_tok, "unknown step '" + v + "' for the crafted peer (expected connect, recv, send, "
                        "fin, close, rst, ack, expect, autoack, closed-rst, synack, delay)");
    }
  }

  SeqPolicy seq_policy(const Token& f) {
    const std::string v = f.text.substr(4);
    Token n = f;
    n.col += 4;
    SeqPolicy p;
    if (v == "exact" || v == "rcv_nxt") return p;
    if (v.rfind("abs:", 0) == 0) {
      n.text = v.substr(4);
      n.col += 4;
      p.kind = SeqPolicy::Kind::Absolute;
      p.value = number(n, "an absolute sequence number after seq=abs: (0 to 4294967295)");
      if (p.value > 0xffffffffLL) fail_at(n, "a sequence number is 32 bits: 0 to 4294967295");
      return p;
    }
    if (v == "oow" || v == "out-of-window") {
      p.kind = SeqPolicy::Kind::OutOfWindow;
      return p;
    }
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
      n.text = v.substr(1);
      n.col += 1;
      p.kind = SeqPolicy::Kind::Offset;
      p.value = number(n, "an offset after seq=+ or seq=-") * (v[0] == '-' ? -1 : 1);
      return p;
    }
    n.text = v;
    p.kind = SeqPolicy::Kind::Explicit;
    p.value = number(n, "seq=exact, seq=+N, seq=-N, seq=oow, seq=N or seq=abs:N");
    return p;
  }

  Expectation expectation(Cursor& c, const Token& arrow, KernelCall call) {
    Expectation e;
    const Token& t = next(c, "an expected result after '=>'");
    const size_t first = c.i - 1;
    const bool value_call = call == KernelCall::GetSoError || call == KernelCall::Poll;
    if (t.kind == Token::Kind::String) {
      if (call != KernelCall::Read) fail_at(t, "only reads can expect data (\"...\")");
      e.kind = Expectation::Kind::Value;
      e.value = t.text;
      e.ret = static_cast<int64_t>(t.text.size());
    } else if (t.kind == Token::Kind::Word && t.text == "killed") {
      const Token& by = next(c, "'by SIGPIPE'");
      const Token& sig = next(c, "'SIGPIPE'");
      if (by.text != "by" || sig.text != "SIGPIPE") fail_at(by, "expected 'killed by SIGPIPE'");
      e.kind = Expectation::Kind::Killed;
    } else if (t.kind == Token::Kind::Word && t.text == "EOF") {
      if (call != KernelCall::Read) fail_at(t, "only reads return EOF");
      e.kind = Expectation::Kind::Return;
      e.ret = 0;
    } else if (t.kind == Token::Kind::Word && t.text.rfind("POLL", 0) == 0) {
      if (call != KernelCall::Poll) fail_at(t, "poll events are expected only from poll");
      static const std::set<std::string> names = {"POLLIN", "POLLPRI", "POLLOUT", "POLLERR",
                                                  "POLLHUP", "POLLNVAL", "POLLRDHUP"};
      size_t at = 0;
      while (at <= t.text.size()) {
        size_t bar = t.text.find('|', at);
        if (bar == std::string::npos) bar = t.text.size();
        if (!names.count(t.text.substr(at, bar - at)))
          fail(t.col + static_cast<int>(at), "unknown poll event '" + t.text.substr(at, bar - at) + "'");
        at = bar + 1;
      }
      e.kind = Expectation::Kind::Value;
      e.value = t.text;
    } else if (t.kind == Token::Kind::Word && t.text.size() > 1 && t.text[0] == 'E') {
      const auto err = errno_from_name(t.text);
      if (!err) {
        // Errno names share their first letters (ECONN...): allow half the word in edits.
        const auto near = detail::closest_names(t.text, all_errno_names(), 3, std::max<size_t>(2, t.text.size() / 2));
        fail_at(t, "unknown errno " + found(t) +
                       (near.empty() ? "" : "; did you mean " + detail::alternatives(near, 0) + "?") +
                       " (docs/scenario-language.md lists every Linux errno name)");
      }
      if (call == KernelCall::GetSoError) {
        e.kind = Expectation::Kind::Value;
        e.value = errno_name(*err);  // as the actor reports it: an alias (EWOULDBLOCK) by its first name
      } else {
        e.kind = Expectation::Kind::Errno;
        e.err = *err;
        if (c.peek() && c.peek()->kind == Token::Kind::Word && c.peek()->text == "+SIGPIPE") {
          e.sigpipe = true;
          ++c.i;
        }
      }
    } else if (t.kind == Token::Kind::Word && t.text.find_first_not_of("0123456789-") == std::string::npos &&
               !t.text.empty() && t.text != "-") {
      const bool neg = t.text[0] == '-';
      Token n = t;
      if (neg) n.text = t.text.substr(1);
      const int64_t v = number(n, "a number") * (neg ? -1 : 1);
      if (value_call && call == KernelCall::GetSoError) {
        if (v != 0) fail_at(t, "so_error gives 0 or an errno name");
        e.kind = Expectation::Kind::Value;
        e.value = "0";
      } else {
        e.kind = Expectation::Kind::Return;
        e.ret = v;
      }
    } else {
      fail_at(t, "expected a result after '=>' (a number, EOF, an errno like EPIPE [+SIGPIPE], "
                 "\"data\", POLL... events or 'killed by SIGPIPE'), found " + found(t));
    }
    socket_clauses(c, e, call);
    for (size_t k = first; k < c.i; ++k)
      e.text += (e.text.empty() ? "" : " ") +
                (c.t[k].kind == Token::Kind::String ? "\"" + printable(c.t[k].text) + "\"" : c.t[k].text);
    (void)arrow;
    return e;
  }

  void finish() {
    if (block_) {
      line_ = block_->line;
      fail(block_->col, "this 'repeat " + std::to_string(block_->count) +
                            " {' is never closed: add a line holding '}' after the repeated steps");
    }
    line_ = 1;
    if (sc_.name.empty()) fail(1, "missing 'scenario NAME' line");
    if (!client_declared_) fail(1, "missing 'client kernel|peer|none' line");
    if (!server_declared_) fail(1, "missing 'server kernel|peer|none' line");
    if (sc_.client.kind == ActorKind::Peer && sc_.server.kind == ActorKind::Peer)
      fail(1, "at most one actor can be the crafted peer: the other must be a kernel socket");
    if (sc_.client.kind != ActorKind::Kernel && sc_.server.kind != ActorKind::Kernel)
      fail(1, "at least one actor must be a kernel socket");
    if (const ActorSpec* prog = sc_.program_actor()) {
      const ActorSpec& other = prog == &sc_.client ? sc_.server : sc_.client;
      const char* other_name = prog == &sc_.client ? "server" : "client";
      line_ = std::stoi(prog->program->where.substr(prog->program->where.rfind(':') + 1));
      if (other.program) fail(1, "only one actor can be a program (exec): the other is the crafted peer");
      if (other.kind != ActorKind::Peer)
        fail(1, std::string("a program (exec) plays against the crafted peer: declare '") + other_name + " peer'");
      if (middle_line_) fail(1, "a program (exec) plays against the crafted peer: no middle box");
    }
    if (middle_line_ && !sc_.kernel_vs_kernel()) {
      line_ = middle_line_;
      fail(middle_col_, "the middle actor stands between two kernel sockets: declare 'client kernel' and "
                        "'server kernel' (a crafted peer sends its own RSTs with 'rst')");
    }
    if (!background_.empty()) {
      const auto& [role, b] = *background_.begin();
      line_ = b.line;
      fail(b.col, "this background call is never collected: add a later '" + std::string(role_name(role)) +
                      " wait'");
    }
  }

  std::string source_;
  int line_ = 0;
  Scenario sc_;
  bool client_declared_ = false, server_declared_ = false;
  int middle_line_ = 0, middle_col_ = 0;  // where 'middle box' was declared (0: not)
  std::map<Role, Background> background_;
  std::optional<Block> block_;
  std::string query_verb_;  // the query step being parsed: "state", "inq" or "outq"
};

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& source) {
  return Parser(source).parse(text);
}

Scenario load_scenario_file(const std::string& path) {
  return parse_scenario(detail::read_file(path), path);
}

}  // namespace rstlab
