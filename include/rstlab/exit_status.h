// SPDX-License-Identifier: MIT
#pragma once
/// @file rstlab's exit statuses, and which one an exception that reached the command
/// line gets. Every --help and docs/user-guide.md give the same list.

#include <exception>
#include <string>

namespace rstlab {

enum ExitStatus : int {
  kExitOk = 0,        ///< every expectation met (or: the command did its job)
  kExitFailed = 1,    ///< an expectation failed
  kExitInput = 2,     ///< bad input: a command line, a scenario, a file, an output path
  kExitSetup = 3,     ///< the lab could not be built or run (not root, no tun, an actor died)
  kExitInternal = 4,  ///< a bug in rstlab (or out of memory)
};

/// What the command line says about an exception, and its exit status.
struct Failure {
  int status;
  std::string message;  ///< one line, without the "rstlab: " prefix
};

/// InputError -> 2; SetupError and every other rstlab Error -> 3; anything else (a
/// library's exception, a logic error) is a bug -> 4, "internal error: ...; please report it".
Failure failure_for(const std::exception& e);

}  // namespace rstlab
