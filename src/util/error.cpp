// SPDX-License-Identifier: MIT
#include "rstlab/error.h"

#include <cerrno>
#include <cstring>

namespace rstlab {

SystemError::SystemError(const std::string& what_failed, int err)
    : Error(what_failed + ": " + std::strerror(err)), code_(err) {}

void throw_errno(const std::string& what_failed) { throw SystemError(what_failed, errno); }

}  // namespace rstlab
