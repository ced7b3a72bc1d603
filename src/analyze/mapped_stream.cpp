// SPDX-License-Identifier: MIT
#include "analyze/mapped_stream.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "rstlab/error.h"

namespace rstlab::detail {
namespace {

constexpr size_t kReleaseEvery = 8u << 20;  // bytes read between two drops from the map
constexpr size_t kBuffer = 128u << 10;       // stdio's buffer: the bytes of one refill

/// The maps the SIGBUS handler may repair: a few slots, read without locks in the handler.
struct Region {
  std::atomic<uintptr_t> base{0};  // 0: free
  std::atomic<size_t> size{0};
  std::atomic<bool> shrank{false};
};
constexpr int kRegions = 8;
Region g_regions[kRegions];
std::mutex g_install;  // guards g_users and g_previous
int g_users = 0;
struct sigaction g_previous;
std::atomic<size_t> g_page{4096};

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Region& r : g_regions) {
    const uintptr_t base = r.base.load(std::memory_order_acquire);
    const size_t size = r.size.load(std::memory_order_acquire);
    if (!base || at < base || at >= base + size) continue;
    // The file ended before this page: zero pages from here to the end of the map, so
    // the copy in progress finishes, and the stream ends at its next read.
    const uintptr_t page = at & ~(g_page.load() - 1);
    if (::mmap(reinterpret_cast<void*>(page), base + size - page, PROT_READ,
               MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
      r.shrank.store(true, std::memory_order_release);
      return;
    }
    break;
  }
  // Not one of ours: what would have happened without this handler.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);
  ::raise(SIGBUS);
}

/// Takes a slot and, for the first map in use, installs the handler. -1: no slot free.
int claim_region(const char* base, size_t size) {
  std::lock_guard<std::mutex> lock(g_install);
  for (int i = 0; i < kRegions; ++i) {
    Region& r = g_regions[i];
    if (r.base.load()) continue;
    if (g_users++ == 0) {
      g_page.store(static_cast<size_t>(::sysconf(_SC_PAGESIZE)));
      struct sigaction sa = {};
      sa.sa_sigaction = on_sigbus;
      sa.sa_flags = SA_SIGINFO;
      sigemptyset(&sa.sa_mask);
      ::sigaction(SIGBUS, &sa, &g_previous);
    }
    r.shrank.store(false);
    r.size.store(size);
    r.base.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    return i;
  }
  return -1;
}

void release_region(int i) {
  std::lock_guard<std::mutex> lock(g_install);
  g_regions[i].base.store(0, std::memory_order_release);
  if (--g_users == 0) ::sigaction(SIGBUS, &g_previous, nullptr);
}

}  // namespace

MappedStream::MappedStream(const std::string& path, size_t limit) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(path + ": " + std::strerror(errno));
  struct stat st = {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && limit > 0) {
    const size_t size = std::min(static_cast<size_t>(st.st_size), limit);
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      map_ = static_cast<const char*>(m);
      size_ = end_ = size;
      region_ = claim_region(map_, size_);
      if (region_ < 0) {  // too many maps at once: stdio
        ::munmap(m, size_);
        map_ = nullptr;
      }
    }
  }
  int err = 0;
  if (map_) {
    fd_ = fd;  // kept to see the file's size after each refill
    ::madvise(const_cast<char*>(map_), size_, MADV_SEQUENTIAL);
    file_ = ::fopencookie(this, "rb", {read_cookie, nullptr, seek_cookie, close_cookie});
    if (file_) std::setvbuf(file_, nullptr, _IOFBF, kBuffer);
    else err = errno;
  } else {
    file_ = ::fdopen(fd, "rb");
    if (!file_) {
      err = errno;
      ::close(fd);
    }
  }
  if (!file_) {
    close();
    throw InputError(path + ": " + std::strerror(err));
  }
}

MappedStream::~MappedStream() { close(); }

void MappedStream::close() {
  if (file_ && !taken_) std::fclose(file_);
  file_ = nullptr;
  if (map_) {
    ::munmap(const_cast<char*>(map_), size_);
    release_region(region_);
    map_ = nullptr;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool MappedStream::shrank() const {
  return shrunk_ || (map_ && g_regions[region_].shrank.load(std::memory_order_acquire));
}

ssize_t MappedStream::read_cookie(void* self, char* buf, size_t n) {
  MappedStream& s = *static_cast<MappedStream*>(self);
  if (s.pos_ >= s.end_) return 0;
  n = std::min(n, s.end_ - s.pos_);
  std::memcpy(buf, s.map_ + s.pos_, n);  // past a new end: zeros (the handler's, or the last page's)
  // Only what the file still holds after the copy is its bytes. (It shrinks from the end:
  // what lies before its size now was there during the copy.)
  struct stat st = {};
  if (::fstat(s.fd_, &st) == 0 && static_cast<size_t>(st.st_size) < s.pos_ + n) {
    s.shrunk_ = true;
    s.end_ = std::min(s.end_, static_cast<size_t>(st.st_size));
    n = s.pos_ < s.end_ ? s.end_ - s.pos_ : 0;
  }
  s.pos_ += n;
  if (s.pos_ - s.released_ >= kReleaseEvery) {
    const size_t page = g_page.load();
    const size_t upto = s.pos_ / page * page;
    ::madvise(const_cast<char*>(s.map_) + s.released_, upto - s.released_, MADV_DONTNEED);
    s.released_ = upto;
  }
  return static_cast<ssize_t>(n);
}

int MappedStream::seek_cookie(void* self, off64_t* offset, int whence) {
  MappedStream& s = *static_cast<MappedStream*>(self);
  const off64_t from = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? static_cast<off64_t>(s.pos_)
                                                                    : static_cast<off64_t>(s.end_);
  const off64_t to = from + *offset;
  if (to < 0) {
    errno = EINVAL;
    return -1;
  }
  s.pos_ = static_cast<size_t>(to);
  if (s.pos_ < s.released_) s.released_ = s.pos_ / g_page.load() * g_page.load();  // read again: fine, refaulted
  *offset = to;
  return 0;
}

int MappedStream::close_cookie(void* self) {
  static_cast<MappedStream*>(self)->file_ = nullptr;
  return 0;
}

}  // namespace rstlab::detail
