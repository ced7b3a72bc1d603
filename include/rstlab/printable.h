// SPDX-License-Identifier: MIT
#pragma once
/// @file Bytes made printable, for traces, step texts and messages: a small helper every
/// layer may use (it used to live in the renderers, which the runner must not need).

#include <string>

namespace rstlab {

/// Bytes made printable: "ab\n" -> "ab\\n", quotes and backslashes escaped, other
/// non-printable and non-ASCII bytes as \xNN.
std::string printable(const std::string& bytes);

}  // namespace rstlab
