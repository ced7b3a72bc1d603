// SPDX-License-Identifier: MIT
#pragma once
// Internal: the wordings `rstlab explain` knows (src/explain/log_lines.cpp) and how one is
// found in a line.

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "rstlab/explain.h"
#include "rstlab/vocabulary.h"

namespace rstlab::detail {

/// A fixed reading of a wording (see LineReading).
struct WordingReading {
  std::string result;
  CallOp call = CallOp::Other;
  std::string what;
};

/// One way an ecosystem words a socket error.
struct Wording {
  std::string ecosystem;
  std::vector<std::string> anchors;  ///< lower case; a line holds one of them or cannot match
  std::string pattern;               ///< ECMAScript, searched near an anchor
  bool icase = true;
  std::regex re;
  std::string example;  ///< a line it matches (tested), for --list and suggestions
  std::string meaning;
  LineSide side = LineSide::Unknown;
  std::string who;  ///< the side in words, when more than "the client"/"the server"
  /// Fixed readings. Without them the errno comes from `errno_group` (a number, a name or a
  /// strerror text), or, for a wrapper, from the words it wraps (the rest of the line).
  std::vector<WordingReading> readings;
  int errno_group = 0;
  int call_group = 0;            ///< a call or operation named in this group gives the call
  CallOp call = CallOp::Other;   ///< the call, when the wording tells it and no reading says otherwise
  bool wrapper = false;          ///< it wraps another wording (curl's "Recv failure: ...")
  bool may_be_pipe = false;      ///< EPIPE here may be a pipe's, not a socket's
  struct Note {
    std::string text;
    std::string only_for;  ///< shown only when a reading has this result ("" always)
  };
  std::vector<Note> notes;
};

/// Where a wording was found in a line, and what its groups said.
struct WordingMatch {
  const Wording* wording = nullptr;
  size_t begin = 0, end = 0;  ///< the matched bytes of the line
  std::string result;         ///< from errno_group ("" without one)
  CallOp call = CallOp::Other;
  std::string call_token;     ///< the word that gave `call`
};

/// Every wording, most specific first: wrappers, then each ecosystem's own words, then
/// the C library's and Windows' texts, numbers and names.
const std::vector<Wording>& wordings();

/// The first wording (in table order) found in `line`; `lower` is `line` in lower case.
/// `wrappers`: whether wrappers may match (false: looking for what a wrapper wraps).
std::optional<WordingMatch> find_wording(std::string_view line, std::string_view lower, bool wrappers);

/// "EPIPE" for "32", "EPIPE", "Broken pipe", "BrokenPipe", "WSAECONNRESET" (Linux and
/// Windows numbers); "" for anything else.
std::string result_from_token(std::string_view token);
/// Read for "recv", "SSL_read", "read0"...; Write, Connect, Accept likewise; Other else.
CallOp call_from_token(std::string_view token);

}  // namespace rstlab::detail
