// SPDX-License-Identifier: MIT
// The course: lessons built from run traces, as a static site. A lesson page carries
// its ladder (each row a group the page shows or hides), its steps and its questions as
// JSON, and a small script that steps through them; no network, no server, no library.
#include "rstlab/course.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "render/text_util.h"
#include "rstlab/diagram.h"
#include "rstlab/error.h"
#include "rstlab/render.h"
#include "rstlab/wire.h"
#include "util/files.h"

namespace rstlab {
namespace {

std::string esc(const std::string& s) { return detail::xml_escape(detail::visible(s)); }

/// What a call did, from its typed facts (trace.json carries them; an older /1 file gets
/// them from the trace reader's compatibility step).
CallOp op_of(const SyscallEvent& s) { return s.facts.op; }

bool asks_so_error(const SyscallEvent& s) { return s.facts.option == SockOpt::Error; }

/// The answers a learner picks from, per kind of call, in the order they are offered.
const std::vector<std::string>& pool(CallOp op, bool so_error) {
  static const std::vector<std::string> read = {"success (data)", "EOF (returns 0)", "blocks (never returns)",
                                                "ECONNRESET", "EPIPE", "ETIMEDOUT"};
  static const std::vector<std::string> write = {"success", "EPIPE", "EPIPE +SIGPIPE", "ECONNRESET",
                                                 "blocks (never returns)", "ETIMEDOUT"};
  static const std::vector<std::string> connect = {"success", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT",
                                                   "blocks (never returns)"};
  static const std::vector<std::string> error = {"0 (no error)", "ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"};
  static const std::vector<std::string> poll = {"POLLOUT",
                                                "POLLIN|POLLOUT",
                                                "POLLIN|POLLOUT|POLLRDHUP",
                                                "POLLIN|POLLOUT|POLLHUP|POLLRDHUP",
                                                "POLLERR|POLLHUP",
                                                "POLLIN|POLLOUT|POLLERR|POLLHUP|POLLRDHUP",
                                                "0 (nothing ready)"};
  if (so_error) return error;
  if (op == CallOp::Read) return read;
  if (op == CallOp::Connect || op == CallOp::Accept) return connect;
  if (op == CallOp::Poll) return poll;
  return write;
}

/// The right answer in the words of the pool.
std::string answer_of(const SyscallEvent& s, CallOp op, bool so_error) {
  if (!s.ret) return "blocks (never returns)";
  if (s.err) {
    std::string name = errno_name(*s.err);
    if (s.signal) name += " +" + signal_name(*s.signal);
    return name;
  }
  if (so_error) return s.value.empty() || s.value == "0" ? "0 (no error)" : s.value;
  if (op == CallOp::Poll) return *s.ret == 0 ? "0 (nothing ready)" : s.value;
  if (op == CallOp::Read) return *s.ret == 0 ? "EOF (returns 0)" : "success (data)";
  return "success";
}

/// Wrong answers people give: the pool's others, at most four, the right one among them
/// at its place in the pool's order (not always first).
std::vector<std::string> choices_for(const std::string& right, const std::vector<std::string>& all) {
  std::vector<std::string> out;
  size_t wrong = 0;
  for (const auto& c : all) {
    if (c == right) out.push_back(c);
    else if (wrong < 4) {
      out.push_back(c);
      ++wrong;
    }
  }
  if (std::find(out.begin(), out.end(), right) == out.end()) out.push_back(right);  // e.g. EAGAIN
  return out;
}

/// The index of the event from which the ending could decide calls, if any.
std::optional<size_t> ending(const Trace& t) {
  std::optional<size_t> at;
  auto take = [&at](size_t i) { at = at ? std::min(*at, i) : i; };
  if (t.first_observer) {
    take(t.first_observer->event);
    if (t.first_observer->cause) take(*t.first_observer->cause);
  }
  for (size_t i = 0; i < t.events.size(); ++i)
    if (const auto* p = t.events[i].packet(); p && (p->flags & (tcpflag::RST | tcpflag::FIN))) {
      take(i);
      break;
    }
  return at;
}

std::string step_time(const Trace& t, int64_t ns) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f ms", static_cast<double>(ns - (t.events.empty() ? 0 : t.events.front().t_ns)) / 1e6);
  return b;
}

const char* kStyle = R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:1160px;color:#1d2530;padding:0 1em;line-height:1.45}
h1{margin-bottom:.2em}h2{margin-top:1.4em;border-bottom:1px solid #d0d4da;padding-bottom:.2em}
a{color:#1f4f9f}.title{font-size:1.1em;color:#44546a}.story{max-width:70em}
nav.lessons{display:flex;justify-content:space-between;gap:1em;margin:.5em 0}
.controls{display:flex;flex-wrap:wrap;gap:.6em;align-items:center;margin:.8em 0}
button{font:inherit;padding:.35em .9em;border-radius:6px;border:1px solid #44546a;background:#eef2f8;color:#1d2530;cursor:pointer}
button:focus-visible{outline:3px solid #e08a00;outline-offset:2px}
button:disabled{opacity:.45;cursor:default}
#score{margin-left:auto;font-weight:bold}
#now{min-height:3.2em;background:#f3f5f7;border-radius:6px;padding:.5em .8em;font-family:monospace}
#question{background:#fff8dd;border:2px solid #e08a00;border-radius:8px;padding:.6em 1em;margin:.8em 0}
#question legend{font-weight:bold;padding:0 .3em}
#question .call{font-family:monospace;font-size:1.05em}
.choices{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}
.choices button{font-family:monospace}
.choices button.right{background:#e3f4e4;border-color:#2e7d32}
.choices button.wrong{background:#fde8e8;border-color:#c62828}
#feedback.right .verdict{color:#2e7d32}#feedback.wrong .verdict{color:#c62828}
.verdict{font-weight:bold}.result{font-family:monospace}
.diagram{border:1px solid #e3e6ea;border-radius:6px;margin-top:.8em}
.diagram svg{display:block;width:100%;height:auto}
.step.hidden{visibility:hidden}
.keys{color:#5f6b7a;font-size:.9em}
ol.chapter li{margin:.25em 0}.count{color:#5f6b7a}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border-bottom:1px solid #e3e6ea;padding:.3em .5em;text-align:left;vertical-align:top}
td.ev{font-family:monospace}
.print-only{display:none}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media print{
  body{max-width:none;margin:0}
  .controls,#question,#now,nav.lessons,.keys{display:none}
  .step.hidden{visibility:visible}
  .print-only{display:block}
  .diagram{border:none;break-inside:avoid}
  h2{break-after:avoid}tr{break-inside:avoid}
}
</style>
)";

/// The lesson page's script: steps through the ladder, stops at each question, keeps
/// the score. Everything it needs is in the page's JSON.
const char* kScript = R"(<script>
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('lesson-data').textContent);
  var steps = data.steps, questions = data.questions;
  var groups = Array.prototype.slice.call(document.querySelectorAll('#diagram g.step'));
  var shown = 0, pending = -1, answered = {}, right = 0;
  var $ = function (id) { return document.getElementById(id); };
  var now = $('now'), log = $('log'), next = $('next'), back = $('back'), box = $('question');

  function describe(k) {
    var s = steps[k];
    var text = s.time + '  ' + s.who + '  ' + s.text;
    return s.notes.length ? text + ' - ' + s.notes.join(' ') : text;
  }
  function render() {
    groups.forEach(function (g, k) { g.classList.toggle('hidden', k >= shown); });
    while (log.children.length > shown) log.removeChild(log.lastChild);
    for (var k = log.children.length; k < shown; ++k) {
      var li = document.createElement('li');
      li.textContent = describe(k);
      log.appendChild(li);
    }
    next.disabled = pending >= 0 || shown >= steps.length;
    back.disabled = shown === 0 && pending < 0;
    document.body.dataset.shown = String(shown);
    document.body.dataset.pending = String(pending);
    $('progress').textContent = 'step ' + shown + ' of ' + steps.length;
    $('score').textContent = 'Score: ' + right + ' of ' + Object.keys(answered).length;
    if (shown > 0 && groups[shown - 1] && groups[shown - 1].scrollIntoView)
      groups[shown - 1].scrollIntoView({block: 'nearest'});
  }
  function ask(q) {
    pending = q;
    var item = questions[q];
    box.hidden = false;
    $('asked').textContent = item.asked;
    $('feedback').className = '';
    $('feedback').hidden = true;
    var list = $('choices');
    list.textContent = '';
    item.choices.forEach(function (c) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = c;
      b.dataset.choice = c;
      b.addEventListener('click', function () { answer(q, c); });
      list.appendChild(b);
    });
    now.textContent = 'Stop: ' + item.asked + ' - what does this call return?';
    render();
    list.firstChild.focus();
  }
  function answer(q, choice) {
    if (pending !== q) return;
    var item = questions[q], ok = choice === item.answer;
    answered[q] = choice;
    if (ok) ++right;
    Array.prototype.forEach.call($('choices').children, function (b) {
      b.disabled = true;
      if (b.dataset.choice === item.answer) b.classList.add('right');
      else if (b.dataset.choice === choice) b.classList.add('wrong');
    });
    var f = $('feedback');
    f.className = ok ? 'right' : 'wrong';
    f.hidden = false;
    $('verdict').textContent = ok ? 'Right: ' + item.answer + '.' : 'Not this time: you said ' + choice + '; it returned ' + item.answer + '.';
    $('result').textContent = item.result;
    $('rule').textContent = item.rule;
    pending = -1;
    shown += 1;
    now.textContent = describe(shown - 1);
    render();
    next.disabled ? back.focus() : next.focus();
  }
  function forward() {
    if (pending >= 0 || shown >= steps.length) return;
    var q = steps[shown].question;
    if (q >= 0 && !(q in answered)) { ask(q); return; }
    box.hidden = true;
    shown += 1;
    now.textContent = describe(shown - 1) + (shown === steps.length ? '  (end of the lesson)' : '');
    render();
  }
  function backward() {
    box.hidden = true;
    if (pending >= 0) pending = -1;
    else if (shown > 0) shown -= 1;
    now.textContent = shown ? describe(shown - 1) : 'The connection has not started yet: press Next.';
    render();
  }
  next.addEventListener('click', forward);
  back.addEventListener('click', backward);
  $('all').addEventListener('click', function () {
    while (shown < steps.length && pending < 0) forward();
  });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') { forward(); e.preventDefault(); }
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') { backward(); e.preventDefault(); }
    else if (pending >= 0 && /^[1-9]$/.test(e.key)) {
      var c = questions[pending].choices[Number(e.key) - 1];
      if (c !== undefined) { answer(pending, c); e.preventDefault(); }
    }
  });
  box.hidden = true;
  render();
})();
</script>
)";

std::string json_for_script(const nlohmann::json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // Inside <script>, "</" could end the element: write it as "<\/", which JSON reads back.
  for (size_t at = s.find("</"); at != std::string::npos; at = s.find("</", at + 3)) s.replace(at, 2, "<\\/");
  return s;
}

std::string slug(const std::string& name) {
  std::string out;
  for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return out;
}

std::string event_who(const Event& e) {
  if (const auto* p = e.packet()) return p->injected_by.empty() ? "wire" : p->injected_by;
  if (const auto* s = e.syscall()) return s->actor;
  if (const auto* a = e.action()) return a->actor;
  if (const auto* o = e.output()) return o->actor;
  return "";
}

std::string event_text(const Event& e) {
  if (const auto* p = e.packet()) return packet_line(*p) + "  #" + std::to_string(p->frame);
  if (const auto* s = e.syscall()) return syscall_line(*s);
  if (const auto* a = e.action()) return (a->actor == "middle" ? "" : "peer ") + a->action + ": " + a->detail;
  if (const auto* o = e.output()) return detail::output_label(*o);
  return "";
}

}  // namespace

const std::vector<CourseChapter>& course_chapters() {
  static const std::vector<CourseChapter> chapters = {
      {"The handshake and a clean close", {"blocked-read-fin"}},
      {"FIN and EOF", {"poll-after-fin", "fin-then-rst", "shutdown-write"}},
      {"Broken pipe", {"broken-pipe", "broken-pipe-kernel", "rst-after-fin-write", "unread-data-write"}},
      {"Reset by peer", {"reset-by-peer", "reset-by-peer-kernel", "linger-zero", "queued-data-first",
                         "blocked-read-rst"}},
      {"SIGPIPE's modes", {"sigpipe-ignored", "sigpipe-nosignal", "sigpipe-handler"}},
      {"RST in every state", {"connect-refused", "syn-bare-rst-ignored", "rst-idle-write", "rst-idle-read",
                              "rst-unacked-data", "half-close-then-rst", "rst-after-fin-so-error", "poll-after-rst",
                              "so-error-consumes"}},
      {"Challenge ACKs and out-of-window RSTs", {"challenge-ack", "out-of-window-rst", "bad-checksum-rst"}},
      {"Timeouts and slow paths", {"user-timeout", "slow-path-late-rst"}},
      {"Middleboxes", {"middlebox-idle-reset", "middlebox-rst-client", "middlebox-bulk-reset"}},
      {"Pipes", {"pipe-reader-gone"}},
      {"Your own programs", {"exec-python-broken-pipe"}},
  };
  return chapters;
}

std::vector<CourseQuestion> course_questions(const Trace& t) {
  std::vector<CourseQuestion> out;
  const std::optional<size_t> from = ending(t);
  if (!from) return out;
  for (size_t i = *from; i < t.events.size(); ++i) {
    const auto* s = t.events[i].syscall();
    if (!s) continue;
    const CallOp op = op_of(*s);
    const bool so_error = op == CallOp::GetSockOpt && asks_so_error(*s);
    if (!(so_error || op == CallOp::Read || op == CallOp::Write || op == CallOp::Connect || op == CallOp::Accept ||
          op == CallOp::Poll))
      continue;
    CourseQuestion q;
    q.event = i;
    q.asked = s->actor + " " + s->call + "(" + s->args + ")";
    q.answer = answer_of(*s, op, so_error);
    q.choices = choices_for(q.answer, pool(op, so_error));
    q.result = syscall_line(*s);
    std::vector<std::string> why;
    auto add = [&why](const std::string& text) {
      if (!text.empty() && std::find(why.begin(), why.end(), text) == why.end()) why.push_back(text);
    };
    for (const Annotation& a : t.annotations)
      if (a.event == i && a.kind != "mismatch") add(a.text);
    if (t.first_observer && t.first_observer->event == i) add(t.first_observer->reason);
    for (size_t k = 0; k < why.size(); ++k) q.rule += (k ? " " : "") + why[k] + (why[k].back() == '.' ? "" : ".");
    if (q.rule.empty()) q.rule = "Nothing the reset or FIN changed decides this call: it does what it would do anyway.";
    out.push_back(std::move(q));
  }
  return out;
}

std::vector<Lesson> course_lessons(const std::vector<Trace>& traces) {
  // One trace per scenario: veth's when there are both links (the default link).
  std::map<std::string, const Trace*> by_name;
  for (const Trace& t : traces) {
    auto [it, fresh] = by_name.emplace(t.scenario, &t);
    if (!fresh && it->second->link != "veth" && t.link == "veth") it->second = &t;
  }
  std::vector<Lesson> out;
  std::set<std::string> taught;
  for (const CourseChapter& c : course_chapters())
    for (const std::string& name : c.scenarios)
      if (auto it = by_name.find(name); it != by_name.end()) {
        out.push_back({c.title, *it->second});
        taught.insert(name);
      }
  for (const auto& [name, t] : by_name)
    if (!taught.count(name)) out.push_back({"More scenarios", *t});
  return out;
}

std::string lesson_file(const std::vector<Lesson>& lessons, size_t index) {
  char n[16];
  std::snprintf(n, sizeof n, "%02zu", index + 1);
  return std::string("lesson-") + n + "-" + slug(lessons[index].trace.scenario) + ".html";
}

std::string render_course_index(const std::vector<Lesson>& lessons) {
  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>rstlab course: TCP resets, FINs and what your calls return</title>\n"
    << kStyle << "</head>\n<body>\n<main>\n<h1>What does this call return?</h1>\n"
    << "<p class=\"story\">A course of " << lessons.size() << " lesson" << (lessons.size() == 1 ? "" : "s")
    << " about TCP resets and FINs on real Linux kernel sockets. Each lesson is one run of an rstlab scenario: "
    << "step through its ladder diagram one event at a time, and before each call whose result the reset or the "
    << "FIN decided, say what you think it returns. The answer shows what the kernel returned and the rule "
    << "behind it. Use the buttons or the arrow keys (&larr; &rarr;); the digits pick an answer.</p>\n";
  std::string chapter;
  int open = 0;
  for (size_t i = 0; i < lessons.size(); ++i) {
    const Lesson& l = lessons[i];
    if (l.chapter != chapter || i == 0) {
      if (open) o << "</ol>\n";
      chapter = l.chapter;
      o << "<h2>" << esc(chapter) << "</h2>\n<ol class=\"chapter\" start=\"" << i + 1 << "\">\n";
      open = 1;
    }
    const size_t q = course_questions(l.trace).size();
    o << "<li><a href=\"" << esc(lesson_file(lessons, i)) << "\">" << esc(l.trace.scenario) << "</a> - "
      << esc(l.trace.title) << " <span class=\"count\">(" << q << " question" << (q == 1 ? "" : "s") << ")</span></li>\n";
  }
  if (open) o << "</ol>\n";
  o << "</main>\n<footer class=\"keys\">made by rstlab from live runs on real kernel sockets</footer>\n"
    << "</body>\n</html>\n";
  return o.str();
}

std::string render_lesson_page(const std::vector<Lesson>& lessons, size_t index) {
  const Lesson& l = lessons[index];
  const Trace& t = l.trace;
  const std::vector<CourseQuestion> questions = course_questions(t);
  const std::vector<LadderRow> rows = ladder_rows(t);
  std::map<size_t, size_t> question_at;
  for (size_t q = 0; q < questions.size(); ++q) question_at[questions[q].event] = q;

  // The steps: one per ladder row, in its order.
  nlohmann::json steps = nlohmann::json::array(), qs = nlohmann::json::array();
  for (const LadderRow& r : rows) {
    const Event& e = t.events[r.event];
    nlohmann::json s;
    s["who"] = detail::visible(event_who(e));
    nlohmann::json notes = nlohmann::json::array();
    if (r.entry) {
      const SyscallEvent& c = *e.syscall();
      s["time"] = step_time(t, c.t_start_ns);
      s["text"] = detail::visible(c.call + "(" + c.args + ") is entered and blocks: it returns later");
    } else {
      s["time"] = step_time(t, e.t_ns);
      s["text"] = detail::visible(event_text(e));
      for (const Annotation& a : t.annotations)
        if (a.event == r.event) notes.push_back(detail::visible(a.text));
    }
    s["notes"] = notes;
    const auto q = question_at.find(r.event);
    s["question"] = !r.entry && q != question_at.end() ? static_cast<int>(q->second) : -1;
    steps.push_back(s);
  }
  for (const CourseQuestion& q : questions) {
    nlohmann::json choices = nlohmann::json::array();
    for (const auto& c : q.choices) choices.push_back(detail::visible(c));
    qs.push_back({{"asked", detail::visible(q.asked)},
                  {"answer", detail::visible(q.answer)},
                  {"choices", choices},
                  {"result", detail::visible(q.result)},
                  {"rule", detail::visible(q.rule)}});
  }
  const nlohmann::json data = {{"scenario", detail::visible(t.scenario)}, {"steps", steps}, {"questions", qs}};

  std::ostringstream o;
  o << "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    << "<title>Lesson " << index + 1 << ": " << esc(t.scenario) << " - rstlab course</title>\n"
    << kStyle << "</head>\n<body data-shown=\"0\" data-pending=\"-1\">\n";
  auto nav = [&]() {
    o << "<nav class=\"lessons\" aria-label=\"lessons\">";
    if (index > 0)
      o << "<a href=\"" << esc(lesson_file(lessons, index - 1)) << "\" rel=\"prev\">&larr; "
        << esc(lessons[index - 1].trace.scenario) << "</a>";
    else o << "<span></span>";
    o << "<a href=\"index.html\">all lessons</a>";
    if (index + 1 < lessons.size())
      o << "<a href=\"" << esc(lesson_file(lessons, index + 1)) << "\" rel=\"next\">"
        << esc(lessons[index + 1].trace.scenario) << " &rarr;</a>";
    else o << "<span></span>";
    o << "</nav>\n";
  };
  nav();
  o << "<main>\n<header>\n<p class=\"count\">Lesson " << index + 1 << " of " << lessons.size() << " &middot; "
    << esc(l.chapter) << "</p>\n<h1>" << esc(t.scenario) << "</h1>\n<p class=\"title\">" << esc(t.title)
    << "</p>\n";
  if (!t.story.empty()) o << "<p class=\"story\">" << esc(t.story) << "</p>\n";
  o << "<p>client: " << esc(t.client.kind == "kernel" ? "a kernel socket" : t.client.kind == "peer" ? "the crafted peer" : t.client.kind)
    << " (" << esc(t.client.endpoint.str()) << ") &middot; server: "
    << esc(t.server.kind == "kernel" ? "a kernel socket" : t.server.kind == "peer" ? "the crafted peer" : t.server.kind)
    << " (" << esc(t.server.endpoint.str()) << ") &middot; " << questions.size() << " question"
    << (questions.size() == 1 ? "" : "s") << "</p>\n</header>\n"
    << "<div class=\"controls\" role=\"group\" aria-label=\"step through the lesson\">\n"
    << "<button type=\"button\" id=\"back\">&larr; Back</button>\n"
    << "<button type=\"button\" id=\"next\">Next &rarr;</button>\n"
    << "<button type=\"button\" id=\"all\">Play to the next question</button>\n"
    << "<span id=\"progress\"></span>\n"
    << "<span id=\"score\" role=\"status\" aria-live=\"polite\">Score: 0 of 0</span>\n</div>\n"
    << "<p class=\"keys\">Keys: &rarr; or &darr; next, &larr; or &uarr; back, 1-9 answer.</p>\n"
    << "<div id=\"now\" aria-live=\"polite\">The connection has not started yet: press Next.</div>\n"
    << "<fieldset id=\"question\" hidden>\n<legend>What does this call return?</legend>\n"
    << "<p class=\"call\" id=\"asked\"></p>\n<div class=\"choices\" id=\"choices\"></div>\n"
    << "<div id=\"feedback\" hidden aria-live=\"assertive\"><p class=\"verdict\" id=\"verdict\"></p>"
    << "<p class=\"result\" id=\"result\"></p><p id=\"rule\"></p></div>\n</fieldset>\n";
  std::string svg = render_svg_steps(t);
  svg.erase(0, svg.find("<svg"));
  // Rows not reached yet start hidden; the script keeps them in step.
  for (size_t at = svg.find("<g class=\"step\""); at != std::string::npos; at = svg.find("<g class=\"step\"", at + 1))
    svg.replace(at, 15, "<g class=\"step hidden\"");
  o << "<div class=\"diagram\" id=\"diagram\" role=\"img\" aria-label=\"ladder diagram of " << esc(t.scenario)
    << ", shown up to the current step\">\n" << svg << "</div>\n"
    << "<h2>So far</h2>\n<ol id=\"log\" class=\"ev\"></ol>\n";
  // For print: every step, and every question with its answer.
  o << "<section class=\"print-only\">\n<h2>Every step</h2>\n<table>\n<tr><th>t</th><th>who</th><th>event</th></tr>\n";
  for (const LadderRow& r : rows) {
    const Event& e = t.events[r.event];
    const auto* c = e.syscall();
    o << "<tr><td>" << step_time(t, r.entry ? c->t_start_ns : e.t_ns) << "</td><td>" << esc(event_who(e))
      << "</td><td class=\"ev\">"
      << esc(r.entry ? c->call + "(" + c->args + ") is entered and blocks" : event_text(e)) << "</td></tr>\n";
  }
  o << "</table>\n<h2>Questions</h2>\n<ol>\n";
  for (const CourseQuestion& q : questions)
    o << "<li><span class=\"result\">" << esc(q.asked) << "</span>: " << esc(q.answer) << ". " << esc(q.rule)
      << "</li>\n";
  o << "</ol>\n</section>\n</main>\n";
  nav();
  o << "<script type=\"application/json\" id=\"lesson-data\">" << json_for_script(data) << "</script>\n"
    << kScript << "</body>\n</html>\n";
  return o.str();
}

void write_course(const std::string& out_arg, const std::vector<Lesson>& lessons) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // "course/", "." and "a/../course" name the folder itself: its siblings are made
  // beside it, never inside it.
  std::string out = fs::absolute(out_arg, ec).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  if (out.empty() || out == "/") throw InputError("--out " + out_arg + ": choose a folder for the course");
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) throw InputError("--out " + out_arg + ": not a directory");
    if (!fs::is_empty(out, ec) && !fs::exists(fs::path(out) / "course.json", ec))
      throw InputError("--out " + out_arg + ": the folder is not empty and holds no course.json (not a course rstlab "
                       "wrote): choose a new or empty folder");
  }
  // Everything is rendered first, then written into a sibling folder that replaces the
  // old course only when complete: the course is whole or absent, never half-written.
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("index.html", render_course_index(lessons));
  nlohmann::ordered_json manifest = {{"lessons", nlohmann::ordered_json::array()}};
  for (size_t i = 0; i < lessons.size(); ++i) {
    files.emplace_back(lesson_file(lessons, i), render_lesson_page(lessons, i));
    nlohmann::ordered_json qs = nlohmann::ordered_json::array();
    for (const CourseQuestion& q : course_questions(lessons[i].trace))
      qs.push_back({{"event", q.event}, {"asked", q.asked}, {"answer", q.answer}, {"choices", q.choices}});
    manifest["lessons"].push_back({{"file", lesson_file(lessons, i)},
                                   {"chapter", lessons[i].chapter},
                                   {"scenario", lessons[i].trace.scenario},
                                   {"link", lessons[i].trace.link},
                                   {"title", lessons[i].trace.title},
                                   {"questions", qs}});
  }
  files.emplace_back("course.json", manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");

  try {
    detail::replace_folder(out, [&](const std::string& tmp) {
      for (const auto& [name, text] : files) detail::write_file_atomic(tmp + "/" + name, text);
    });
  } catch (const fs::filesystem_error& e) {
    throw InputError("cannot write the course in " + out_arg + ": " + e.code().message());
  }
}

}  // namespace rstlab
