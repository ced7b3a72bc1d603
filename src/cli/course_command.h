// SPDX-License-Identifier: MIT
#pragma once
// Internal: the `course` subcommand.

#include <string>

namespace CLI {
class App;
}

namespace rstlab {

struct CourseArgs {
  std::string out;   ///< the course's folder
  std::string from;  ///< a folder of runs to reuse instead of running the catalogue
};

/// Declares `rstlab course` and its options on `app`.
void add_course_command(CLI::App& app, CourseArgs& args);
int run_course(const CourseArgs& args);

}  // namespace rstlab
