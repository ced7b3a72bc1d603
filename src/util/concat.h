// SPDX-License-Identifier: MIT
#pragma once
// Internal: joining text without the temporaries of `a + b + c`. Each `+` of a chain can
// allocate; concat() sizes the result once. The words of `rstlab analyze` are built
// for tens of thousands of connections, where those allocations were a third of the cost.

#include <string>
#include <string_view>

namespace rstlab::detail {

/// Appends every piece to `out`, growing it at most once.
template <class... Pieces>
std::string& append_all(std::string& out, const Pieces&... pieces) {
  const std::string_view views[] = {std::string_view(pieces)...};
  size_t n = out.size();
  for (std::string_view v : views) n += v.size();
  out.reserve(n);
  for (std::string_view v : views) out.append(v);
  return out;
}

/// The pieces joined, in one allocation.
template <class... Pieces>
std::string concat(const Pieces&... pieces) {
  std::string out;
  append_all(out, pieces...);
  return out;
}

}  // namespace rstlab::detail
