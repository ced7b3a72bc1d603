// SPDX-License-Identifier: MIT
#pragma once
// Helpers for checking that the host's network is untouched by rstlab.

#include <dirent.h>
#include <net/if.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <poll.h>
#include <set>
#include <string>

namespace rstlab::test {

/// Interface names in the calling thread's namespace.
inline std::set<std::string> host_links() {
  std::set<std::string> out;
  if (auto* list = if_nameindex()) {
    for (auto* i = list; i->if_index; ++i) out.insert(i->if_name);
    if_freenameindex(list);
  }
  return out;
}

/// Named namespaces (ip netns add) on the host.
inline std::set<std::string> named_netns() {
  std::set<std::string> out;
  if (DIR* d = opendir("/run/netns")) {
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.') out.insert(e->d_name);
    closedir(d);
  }
  return out;
}

/// Inode of a process's network namespace (0 if gone).
inline ino_t netns_inode(pid_t pid) {
  struct stat st {};
  const std::string p = "/proc/" + std::to_string(pid) + "/ns/net";
  return stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

/// True while any process still holds the namespace with this inode.
inline bool netns_in_use(ino_t inode) {
  DIR* d = opendir("/proc");
  if (!d) return false;
  bool found = false;
  while (auto* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    struct stat st {};
    const std::string p = std::string("/proc/") + e->d_name + "/ns/net";
    if (stat(p.c_str(), &st) == 0 && st.st_ino == inode) {
      found = true;
      break;
    }
  }
  closedir(d);
  return found;
}

/// Waits (bounded) for the kernel to finish tearing a namespace down.
inline bool netns_released(ino_t inode, std::chrono::milliseconds limit = std::chrono::seconds(3)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (netns_in_use(inode)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    ::poll(nullptr, 0, 10);  // test-side polling of /proc: there is no fd to wait on
  }
  return true;
}

}  // namespace rstlab::test
