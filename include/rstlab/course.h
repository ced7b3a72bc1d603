// SPDX-License-Identifier: MIT
#pragma once
/// @file The course: lessons that ask before they show. Each lesson is one run's trace,
/// stepped through one ladder row at a time; before each call whose result the reset or
/// FIN decided it asks what the call returns, with choices built from the run's own
/// trace. The site is static (inline CSS, script and SVG): it opens from the files.

#include <string>
#include <vector>

#include "rstlab/trace.h"

namespace rstlab {

/// A chapter of the course and its scenarios, in teaching order.
struct CourseChapter {
  std::string title;
  std::vector<std::string> scenarios;
};
/// Handshake and a clean close; FIN and EOF; broken pipe; reset by peer; SIGPIPE's modes;
/// RST in every state; challenge ACKs and out-of-window RSTs; timeouts; middleboxes; pipes.
const std::vector<CourseChapter>& course_chapters();

/// One stop of a lesson: "what does this call return?".
struct CourseQuestion {
  size_t event = 0;                  ///< the call, an index into Trace::events
  std::string asked;                 ///< the call without its result: "client write(\"c\")"
  std::string answer;                ///< the right choice: "EPIPE +SIGPIPE"
  std::vector<std::string> choices;  ///< the right one among plausible wrong ones
  std::string result;                ///< what the call returned, in full
  std::string rule;                  ///< the kernel rule behind it, from the annotations
};
/// The questions of a trace: every call from the moment the reset, FIN, local shutdown
/// or timeout that ended the connection could decide it (its first observer's cause,
/// the first RST or FIN on the wire) that reads, writes, connects, polls or asks
/// SO_ERROR. The right answer is what the call returned.
std::vector<CourseQuestion> course_questions(const Trace& trace);

struct Lesson {
  std::string chapter;  ///< the chapter's title ("More scenarios" for runs not in the plan)
  Trace trace;
};
/// Orders traces as the course teaches them: by course_chapters(), then the scenarios the
/// plan does not name, by name. A scenario found twice (two links) is taught once.
std::vector<Lesson> course_lessons(const std::vector<Trace>& traces);

/// The file name of lesson `index` (0-based): "lesson-03-broken-pipe.html".
std::string lesson_file(const std::vector<Lesson>& lessons, size_t index);
/// The index page: chapters and their lessons.
std::string render_course_index(const std::vector<Lesson>& lessons);
/// One lesson's page, linking to the index and its neighbours.
std::string render_lesson_page(const std::vector<Lesson>& lessons, size_t index);

/// Writes the whole course into `out`: index.html, one page per lesson and course.json
/// (the lessons and their questions, for programs). Everything is written into a sibling
/// folder that replaces `out` only when complete. Refuses to replace a folder that is
/// not empty and holds no course.json (it is not a course rstlab wrote).
void write_course(const std::string& out, const std::vector<Lesson>& lessons);

}  // namespace rstlab
