// SPDX-License-Identifier: MIT
#pragma once
// Internal: output files appear whole or not at all (write a temporary, then rename).

#include <functional>
#include <string>

namespace rstlab::detail {

/// A temporary name beside `path` (same directory, so rename is atomic).
std::string temp_name_for(const std::string& path);
/// Renames `tmp` to `path`; removes `tmp` and throws on failure.
void commit_temp(const std::string& tmp, const std::string& path);
/// Writes `content` to `path` atomically. Throws InputError naming the file (a bad output path).
void write_file_atomic(const std::string& path, const std::string& content);
/// Reads a whole file. Throws InputError naming the file.
std::string read_file(const std::string& path);
/// Creates a directory and its parents. Throws Error naming it.
void make_dirs(const std::string& path);
/// Makes folder `dir` whole or not at all: `fill(tmp)` writes the files into a sibling
/// temporary folder, which then takes the place of `dir` (the old one, if any, moved aside
/// and removed). On any exception the temporary folder is removed and the exception goes
/// on (std::filesystem::filesystem_error from the swap: callers say what they were writing).
void replace_folder(const std::string& dir, const std::function<void(const std::string& tmp)>& fill);

}  // namespace rstlab::detail
