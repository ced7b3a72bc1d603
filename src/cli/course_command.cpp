// SPDX-License-Identifier: MIT
// `rstlab course`: runs the course's scenarios live (or reads a folder of runs) and
// writes the lessons as a static site.
#include "cli/course_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "rstlab/course.h"
#include "rstlab/error.h"
#include "rstlab/exit_status.h"
#include "rstlab/runner.h"
#include "rstlab/scenario.h"
#include "rstlab/trace_json.h"
#include "util/files.h"

namespace rstlab {
namespace {

/// Every DIR/<scenario>/<link>/trace.json, in path order.
std::vector<Trace> traces_from(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError("--from " + dir + ": not a folder");
  std::vector<fs::path> paths;
  for (const auto& scenario : fs::directory_iterator(dir, ec)) {
    if (!scenario.is_directory()) continue;
    for (const auto& link : fs::directory_iterator(scenario.path(), ec))
      if (fs::exists(link.path() / "trace.json")) paths.push_back(link.path() / "trace.json");
  }
  if (paths.empty())
    throw InputError("--from " + dir + ": no run folders (" + dir + "/<scenario>/<link>/trace.json) in it; write "
                     "them with 'sudo rstlab run --all --out " + dir + "'");
  std::sort(paths.begin(), paths.end());
  std::vector<Trace> out;
  for (const auto& p : paths) {
    Trace t = trace_from_json(detail::read_file(p.string()), p.string());
    if (t.from_capture()) continue;  // a capture's flow has no calls to ask about
    out.push_back(std::move(t));
  }
  return out;
}

/// Runs every scenario the course teaches, each on its own (first) link.
std::vector<Trace> run_course_scenarios() {
  std::vector<const Scenario*> todo;
  for (const CourseChapter& c : course_chapters())
    for (const std::string& name : c.scenarios) todo.push_back(&find_scenario(name));
  LabCache labs;
  std::vector<Trace> out;
  const bool tty = ::isatty(STDERR_FILENO);
  for (const Scenario* s : todo) {
    if (tty) std::fprintf(stderr, "\r\033[K[%zu/%zu] %s", out.size() + 1, todo.size(), s->name.c_str());
    RunOptions opt;
    opt.link = s->links.empty() ? LinkKind::Veth : s->links.front();
    RunResult r = run_scenario(*s, opt, labs);
    if (!r.trace.passed())
      std::fprintf(stderr, "%srstlab: course: %s: an expectation failed (%s); the lesson shows what the kernel did\n",
                   tty ? "\r\033[K" : "", s->name.c_str(), r.trace.failures.front().c_str());
    out.push_back(std::move(r.trace));
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  return out;
}

}  // namespace

void add_course_command(CLI::App& app, CourseArgs& args) {
  auto* course = app.add_subcommand("course", "Write a course of interactive lessons: predict each call's result");
  course->add_option("--out", args.out, "The course's folder (replaced whole when it holds a course already)")
      ->required();
  course->add_option("--from", args.from,
                     "Reuse the runs in this folder (written by 'rstlab run --out DIR') instead of running "
                     "the scenarios live");
  course->footer(
      "A lesson is one scenario's run: its story, then its ladder diagram one event at a time\n"
      "(buttons or the arrow keys). Before each call whose result the reset or FIN decided it\n"
      "stops and asks: what does this call return? The choices come from the run's own trace\n"
      "(success, EOF, EPIPE, EPIPE +SIGPIPE, ECONNRESET, ECONNREFUSED, ETIMEDOUT, blocks...);\n"
      "the answer shows the result and the kernel rule behind it, and the page keeps a score.\n"
      "Lessons go from the handshake and a clean close to FIN and EOF, broken pipe, reset by\n"
      "peer, SIGPIPE's modes, RST in every state, challenge ACKs, timeouts, middleboxes and\n"
      "pipes. Runs in --from that the course does not name come last, as 'More scenarios'.\n"
      "The site is static: OUT/index.html opens from the files, offline, in any browser\n"
      "(no server, no network); it prints every step and every answer. OUT/course.json lists\n"
      "the lessons and their questions. See docs/training.md.\n"
      "Examples:\n"
      "  sudo rstlab course --out course              run the scenarios live (a few seconds)\n"
      "  rstlab course --from out --out course         reuse the runs of 'rstlab run --all --out out'\n"
      "  xdg-open course/index.html\n"
      "Exit status: 0 written, 2 bad input (an --out that is a file or a folder that is not\n"
      "a course, a --from without runs or with a damaged trace.json, a bad option), 3 the lab\n"
      "could not be built (running live needs root), 4 an internal error (a bug: please\n"
      "report it).");
}

int run_course(const CourseArgs& args) {
  // Refuse a bad --out before spending time on runs.
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(args.out, ec) && !fs::is_directory(args.out, ec))
    throw InputError("--out " + args.out + ": not a directory");
  const std::vector<Trace> traces = args.from.empty() ? run_course_scenarios() : traces_from(args.from);
  const std::vector<Lesson> lessons = course_lessons(traces);
  if (lessons.empty()) throw InputError("--from " + args.from + ": no run of a scenario with calls in it");
  write_course(args.out, lessons);
  size_t questions = 0;
  for (const Lesson& l : lessons) questions += course_questions(l.trace).size();
  std::printf("wrote %s/index.html: %zu lessons, %zu questions\n", args.out.c_str(), lessons.size(), questions);
  return kExitOk;
}

}  // namespace rstlab
