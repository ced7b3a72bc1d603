// SPDX-License-Identifier: MIT
#include "util/files.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rstlab/error.h"

namespace rstlab::detail {

std::string temp_name_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void commit_temp(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    throw InputError("cannot write " + path + ": " + std::strerror(e));
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = temp_name_for(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError("cannot write " + path + ": " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError("cannot write " + path + ": write failed");
    }
  }
  commit_temp(tmp, path);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open: " + std::strerror(errno));
  std::error_code ec;  // a directory opens, then reads as nothing at all
  if (std::filesystem::is_directory(path, ec)) throw InputError(path + ": cannot open: " + std::strerror(EISDIR));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path + ": read error");
  return ss.str();
}

void make_dirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw InputError("cannot create directory " + path + ": " + ec.message());
}

void replace_folder(const std::string& dir, const std::function<void(const std::string& tmp)>& fill) {
  namespace fs = std::filesystem;
  const std::string tmp = temp_name_for(dir);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    make_dirs(tmp);
    fill(tmp);
    const std::string old = dir + ".old." + std::to_string(::getpid());
    fs::remove_all(old, ec);
    if (fs::exists(dir)) fs::rename(dir, old);
    fs::rename(tmp, dir);
    fs::remove_all(old, ec);
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace rstlab::detail
