// SPDX-License-Identifier: MIT
#include "rstlab/error.h"

#include <cerrno>
#include <cstring>
#include <new>

#include "rstlab/exit_status.h"

namespace rstlab {

SystemError::SystemError(const std::string& what_failed, int err)
    : Error(what_failed + ": " + std::strerror(err)), code_(err) {}

void throw_errno(const std::string& what_failed) { throw SystemError(what_failed, errno); }

Failure failure_for(const std::exception& e) {
  if (dynamic_cast<const InputError*>(&e)) return {kExitInput, e.what()};
  if (dynamic_cast<const Error*>(&e)) return {kExitSetup, e.what()};  // SetupError, SystemError, the lab's own
  if (dynamic_cast<const std::bad_alloc*>(&e)) return {kExitInternal, "out of memory"};
  // Not one of ours: nothing checked the condition that led here, so it is a bug.
  return {kExitInternal, std::string("internal error: ") + e.what() + "; please report it"};
}

}  // namespace rstlab
