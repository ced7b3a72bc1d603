// SPDX-License-Identifier: MIT
#pragma once
// Internal: small text helpers shared by the renderers.

#include <string>
#include <vector>

namespace rstlab::detail {

/// Escapes & < > " for XML and HTML text and attributes.
std::string xml_escape(const std::string& s);
/// Breaks text into lines of at most about `width` characters, at spaces.
std::vector<std::string> wrap_words(const std::string& text, size_t width);

}  // namespace rstlab::detail
