// SPDX-License-Identifier: MIT
#pragma once
/// @file Error types. Every failure that crosses a module edge is one of these;
/// the CLI catches them once, prints one line and exits non-zero.

#include <stdexcept>
#include <string>

namespace rstlab {

/// Base of every rstlab error. `what()` is a complete, user-facing sentence.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The lab could not be built: missing privileges, no tun device, no veth support...
class SetupError : public Error {
 public:
  using Error::Error;
};

/// Bad input from the user: a file, a scenario, a command-line value.
class InputError : public Error {
 public:
  using Error::Error;
};

/// An operating-system call failed; the message names the call and strerror(errno).
class SystemError : public Error {
 public:
  SystemError(const std::string& what_failed, int err);
  int code() const { return code_; }

 private:
  int code_;
};

/// Throws SystemError for `what_failed` with the current errno.
[[noreturn]] void throw_errno(const std::string& what_failed);

}  // namespace rstlab
