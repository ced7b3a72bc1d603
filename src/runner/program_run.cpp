// SPDX-License-Identifier: MIT
// `rstlab exec`: the program runs under strace, as PID 1's child in a PID namespace of
// its own, inside the lab's network namespace. One poll() loop services the recorder,
// the program's stdout and stderr, strace's output file (inotify: strace writes each line
// as it ends) and the tracer's exit (a pidfd), with the run's deadline. When the program
// itself has ended, whatever it left running (daemons) is killed with the namespace.
#include "rstlab/program.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "lab/netdev.h"
#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "rstlab/lab.h"
#include "rstlab/program_trace.h"
#include "rstlab/strace_parse.h"
#include "util/clock.h"

namespace rstlab {
namespace {

using Clock = std::chrono::steady_clock;

/// The calls strace stops on. '?' lets a name this architecture lacks pass silently.
/// Processes and threads (clone, execve), SIGPIPE's disposition (rt_sigaction) and every
/// call that may touch a TCP socket or a pipe; calls on other descriptors are dropped
/// when the trace is built.
const char* kTraced =
    "trace=?socket,?connect,?accept,?accept4,?listen,?read,?readv,?recvfrom,?recvmsg,?recvmmsg,?write,?writev,"
    "?sendto,?sendmsg,?sendmmsg,?sendfile,?splice,?shutdown,?close,?poll,?ppoll,?select,?_newselect,?pselect6,"
    "?epoll_ctl,?epoll_wait,?epoll_pwait,?epoll_pwait2,?setsockopt,?getsockopt,?pipe,?pipe2,?clone,?clone3,?fork,"
    "?vfork,?execve,?execveat,?rt_sigaction";
/// Signals worth a line: not the ones runtimes use all the time (Go's preemption SIGURG).
const char* kSignals = "signal=!SIGCHLD,SIGURG,SIGWINCH";

/// A file descriptor closed when it goes out of scope.
struct OwnedFd {
  int fd = -1;
  OwnedFd() = default;
  explicit OwnedFd(int f) : fd(f) {}
  OwnedFd(OwnedFd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  OwnedFd& operator=(OwnedFd&& o) noexcept {
    reset();
    fd = o.fd;
    o.fd = -1;
    return *this;
  }
  ~OwnedFd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

void make_pipe(OwnedFd& r, OwnedFd& w) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw_errno("pipe2");
  r = OwnedFd(p[0]);
  w = OwnedFd(p[1]);
}

uint64_t inode_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("fstat");
  return st.st_ino;
}

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

/// The search for `word` in PATH; empty when absent. Sets `exists_not_exec` when a file
/// of that name was found that cannot be executed.
std::string search_path(const std::string& word, bool& exists_not_exec) {
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = path.find(':', at);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end == at ? "." : path.substr(at, end - at);
    const std::string candidate = dir + "/" + word;
    if (executable_file(candidate)) return candidate;
    if (::access(candidate.c_str(), F_OK) == 0) exists_not_exec = true;
    at = end + 1;
  }
  return "";
}

/// In the child: the PID namespace's init. Runs strace, whose tracee is the program.
/// Only async-signal-safe calls: this runs between clone() and exec.
[[noreturn]] void child_main(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // rstlab gone: the namespace and all in it go too
  // A /proc of this PID namespace, in a mount namespace of its own: strace reads the
  // tracees' /proc entries by the pids it sees. Nothing else of the filesystem changes.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    const char msg[] = "rstlab: exec: cannot mount /proc in the program's namespace\n";
    (void)!::write(err_fd, msg, sizeof msg - 1);
    _exit(125);
  }
  const int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  for (int fd = 3; fd < 1024; ++fd) ::close(fd);  // the lab's and recorder's descriptors stay with rstlab
  // Dispositions and the mask as a shell would leave them: an ignored SIGPIPE would
  // survive exec and change the very behaviour under study.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  const char msg[] = "rstlab: exec: cannot run strace\n";
  (void)!::write(2, msg, sizeof msg - 1);
  _exit(127);
}

class ProgramRun {
 public:
  explicit ProgramRun(const ExecOptions& o) : opt_(o) {}

  RunResult run() {
    if (opt_.command.empty()) throw InputError("exec: give the command to run after --");
    const std::string program = resolve_command(opt_.command[0]);
    bool unused = false;
    const std::string strace =
        opt_.strace.find('/') != std::string::npos ? (executable_file(opt_.strace) ? opt_.strace : "")
                                                   : search_path(opt_.strace, unused);
    if (strace.empty())
      throw SetupError("exec: strace is not installed (" + opt_.strace +
                       " not found): rstlab exec traces the program with it; tools/setup installs it "
                       "(Debian: apt-get install strace)");
    if (!opt_.user.empty() && !::getpwnam(opt_.user.c_str()))
      throw InputError("exec: --user " + opt_.user + ": no such user");

    // The lab: its near namespace, IPv6 enabled (for ::1 and 2001:db8::1), and the IPv4
    // address beside it, so a program may dial either family.
    LabConfig config;
    config.link = LinkKind::Veth;
    config.far_end = FarEndKind::Peer;  // (no peer is made: the lab opens no packet socket for it)
    config.family = Family::V6;
    Lab lab(config);
    const uint8_t v4[4] = {192, 0, 2, 1};
    detail::add_address(kNearIface, Address::v4(v4), 24);
    // Every interface of the namespace (lo carries a program talking to itself).
    auto recorder = std::make_unique<Recorder>("any");
    // A packet socket stamps a frame when it takes it, unless the kernel stamps every
    // packet as it enters the stack (netif_rx), which it does only while some socket asks
    // for receive timestamps. On lo the taking happens in a softirq that may run after the
    // sending call has returned (measured: up to 2 ms on a loaded machine), so the
    // packet would come after the call that sent it. This socket asks, for the whole run.
    OwnedFd stamps(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const int on = 1;
    if (stamps.fd < 0 || ::setsockopt(stamps.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
      throw_errno("a socket with SO_TIMESTAMPNS (kernel timestamps for the capture)");

    namespace fs = std::filesystem;
    char dir_template[] = "/tmp/rstlab-exec-XXXXXX";
    if (!::mkdtemp(dir_template)) throw_errno("mkdtemp");
    const std::string dir = dir_template;
    struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(dir, ec);
      }
    } cleanup{dir};
    const std::string trace_file = dir + "/strace.txt";
    {
      const int f = ::open(trace_file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (f < 0) throw_errno("create " + trace_file);
      ::close(f);
    }
    OwnedFd notify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (notify.fd < 0) throw_errno("inotify_init1");
    if (::inotify_add_watch(notify.fd, trace_file.c_str(), IN_MODIFY) < 0) throw_errno("inotify_add_watch");
    OwnedFd trace_in(::open(trace_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (trace_in.fd < 0) throw_errno("open " + trace_file);

    OwnedFd out_r, out_w, err_r, err_w;
    make_pipe(out_r, out_w);
    make_pipe(err_r, err_w);
    // rstlab's ends never block (the loop reads them whenever it wakes); the program's
    // ends stay as a program expects its stdout and stderr to be.
    for (int fd : {out_r.fd, err_r.fd})
      if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) throw_errno("fcntl O_NONBLOCK");
    obs_.stdout_inode = inode_of(out_r.fd);
    obs_.stderr_inode = inode_of(err_r.fd);

    // No --seccomp-bpf: it spares the calls not traced but makes each traced one dearer
    // (bench/exec_overhead.sh, two runs: 310 and 356 µs a call with it, 227 and 170
    // without), and a program under study spends its calls on sockets.
    std::vector<std::string> argv = {strace, "-f", "-ttt", "-T", "-yy", "-q", "-s", "96",
                                     "-e", kTraced, "-e", kSignals, "-o", trace_file};
    if (!opt_.user.empty()) {
      argv.push_back("-u");
      argv.push_back(opt_.user);
    }
    argv.push_back("--");
    argv.push_back(program);
    for (size_t i = 1; i < opt_.command.size(); ++i) argv.push_back(opt_.command[i]);

    obs_.name = opt_.name;
    obs_.command = opt_.command;
    obs_.link = "exec";
    recorder->drain();
    recorder->clear();

    // The child is the init of a new PID namespace (and mount namespace, for its /proc).
    std::fflush(nullptr);
    const long pid = ::syscall(SYS_clone, SIGCHLD | CLONE_NEWPID | CLONE_NEWNS, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) throw_errno("clone (a PID namespace for the program)");
    if (pid == 0) child_main(argv, out_w.fd, err_w.fd);
    child_ = static_cast<pid_t>(pid);
    out_w.reset();
    err_w.reset();
    OwnedFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child_, 0)));
    if (pidfd.fd < 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
      throw_errno("pidfd_open");
    }

    const auto start = Clock::now();
    const auto deadline = start + opt_.timeout;
    std::optional<Clock::time_point> ended_at;  // when the program itself ended
    bool tracer_done = false, timed_out = false, terminated = false;
    // Once the program has ended, what is still traced (daemons) gets this long to end too.
    constexpr std::chrono::milliseconds kGrace{200};
    while (!tracer_done || out_r.fd >= 0 || err_r.fd >= 0) {
      std::vector<pollfd> fds = {{recorder->fd(), POLLIN, 0}, {notify.fd, POLLIN, 0}, {pidfd.fd, POLLIN, 0}};
      if (out_r.fd >= 0) fds.push_back({out_r.fd, POLLIN, 0});
      if (err_r.fd >= 0) fds.push_back({err_r.fd, POLLIN, 0});
      auto until = deadline;
      if (ended_at && others_alive()) until = std::min(until, *ended_at + kGrace);
      if (terminated) until = Clock::now() + std::chrono::milliseconds(1000);  // the pidfd says when
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      const int n = tracer_done ? ::poll(fds.data() + 3, fds.size() - 3, 1000)
                                : ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, left)));
      if (n < 0 && errno != EINTR) throw_errno("poll");
      recorder->drain();
      read_trace(trace_in.fd);
      drain_notify(notify.fd);
      for (OwnedFd* p : {&out_r, &err_r}) {
        if (p->fd < 0) continue;
        const int stream = p == &out_r ? 1 : 2;
        char buf[8192];
        for (;;) {
          const ssize_t got = ::read(p->fd, buf, sizeof buf);
          if (got > 0) {
            obs_.output.push_back({stream, detail::wall_clock_ns(), std::string(buf, static_cast<size_t>(got))});
            if (opt_.on_output) opt_.on_output(stream, obs_.output.back().bytes);
            continue;
          }
          if (got == 0) p->reset();
          break;
        }
      }
      if (tracer_done) {
        if (n == 0) break;  // a process escaped the namespace's end while holding the pipes: never
        continue;
      }
      pollfd exited{pidfd.fd, POLLIN, 0};
      if (::poll(&exited, 1, 0) > 0) {
        int status = 0;
        ::waitpid(child_, &status, 0);
        tracer_done = true;
        tracer_status_ = status;
        continue;
      }
      if (!ended_at && main_ended_) ended_at = Clock::now();
      const auto now = Clock::now();
      // Leftovers are processes the trace has not seen end. Only their grace is timed: a
      // tracer that is merely slow to write the last exits and leave (a loaded machine)
      // is waited for, up to the deadline.
      if (!terminated && ((ended_at && others_alive() && now >= *ended_at + kGrace) || now >= deadline)) {
        if (!ended_at && now >= deadline) timed_out = true;
        else leftovers_ = true;
        // strace is the PID namespace's init: when it dies the kernel kills every process
        // in the namespace. strace writes each line as it ends, so the trace up to here is
        // already in its file.
        ::kill(child_, SIGKILL);
        terminated = true;
      }
    }
    read_trace(trace_in.fd);
    if (!partial_.empty()) {
      parser_.feed(partial_, obs_.records);
      partial_.clear();
    }
    parser_.finish(obs_.records);
    recorder->drain();

    if (timed_out)
      obs_.failures.push_back("the program did not end within " + std::to_string(opt_.timeout.count() / 1000.0).substr(0, 5) +
                              " s (--timeout): it was killed with everything it started; the trace ends there");
    if (leftovers_)
      obs_.failures.push_back("the program ended but left processes running: they were killed with the lab");
    if (obs_.records.empty())
      obs_.failures.push_back("strace recorded nothing (exit status " + std::to_string(WEXITSTATUS(tracer_status_)) +
                              "): see its messages above");
    if (parser_.skipped())
      obs_.failures.push_back(std::to_string(parser_.skipped()) + " lines of strace's output could not be read, e.g. " +
                              parser_.skipped_lines().front());
    uint64_t dropped = 0, if_dropped = 0;
    recorder->stats(dropped, if_dropped);
    if (dropped || if_dropped) obs_.failures.push_back("the capture dropped packets: the trace is incomplete");
    obs_.link_type = recorder->link_type();
    obs_.packets = recorder->packets();
    // Closing a packet socket with a ring waits for RCU grace periods (tens of ms on a
    // busy machine, the largest part of a run's fixed cost): it happens beside the
    // building of the trace instead of before it.
    std::thread closer([r = std::move(recorder)]() mutable { r.reset(); });
    struct Join {
      std::thread& t;
      ~Join() { t.join(); }
    } join{closer};

    ProgramTrace built = build_program_trace(obs_);
    RunResult out;
    out.trace = std::move(built.trace);
    out.trace.capture.dropped = dropped;
    out.trace.capture.if_dropped = if_dropped;
    out.link_type = obs_.link_type;
    out.packets = std::move(built.packets);
    return out;
  }

 private:
  void read_trace(int fd) {
    char buf[65536];
    for (;;) {
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got <= 0) break;
      partial_.append(buf, static_cast<size_t>(got));
    }
    size_t start = 0;
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
      const size_t before = obs_.records.size();
      parser_.feed(partial_.substr(start, nl - start), obs_.records);
      for (size_t i = before; i < obs_.records.size(); ++i) {
        const StraceRecord& r = obs_.records[i];
        if (!main_pid_) main_pid_ = r.pid;  // the program's execve is strace's first line
        if (r.pid == main_pid_ && (r.kind == StraceRecord::Kind::Exited || r.kind == StraceRecord::Kind::Killed))
          main_ended_ = true;
        // The processes alive: a child made without CLONE_THREAD, until its own end.
        if (r.kind == StraceRecord::Kind::Exited || r.kind == StraceRecord::Kind::Killed) {
          alive_.erase(r.pid);
        } else if ((r.name == "clone" || r.name == "clone3" || r.name == "fork" || r.name == "vfork") && r.ret &&
                   *r.ret > 0) {
          bool thread = false;
          for (const auto& a : r.args) thread |= a.find("CLONE_THREAD") != std::string::npos;
          if (!thread) alive_.insert(static_cast<int>(*r.ret));
        }
      }
    }
    partial_.erase(0, start);
  }

  /// Whether a process other than the program itself has not ended yet, as the trace says.
  bool others_alive() const {
    for (int pid : alive_)
      if (pid != main_pid_) return true;
    return false;
  }

  static void drain_notify(int fd) {
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
  }

  const ExecOptions& opt_;
  ProgramObservations obs_;
  StraceParser parser_;
  std::string partial_;
  pid_t child_ = -1;
  int tracer_status_ = 0;
  int main_pid_ = 0;
  bool main_ended_ = false;
  std::set<int> alive_;  ///< processes started and not yet ended (the trace's clone and exit lines)
  bool leftovers_ = false;
};

}  // namespace

std::string resolve_command(const std::string& word) {
  if (word.empty()) throw InputError("exec: the command is empty");
  if (word.find('/') != std::string::npos) {
    if (::access(word.c_str(), F_OK) != 0) throw InputError("exec: " + word + ": no such file");
    struct stat st {};
    if (::stat(word.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw InputError("exec: " + word + ": is a directory");
    if (!executable_file(word)) throw InputError("exec: " + word + ": not executable (no execute permission)");
    return word;
  }
  bool exists_not_exec = false;
  const std::string found = search_path(word, exists_not_exec);
  if (!found.empty()) return found;
  if (exists_not_exec) throw InputError("exec: " + word + ": not executable (no execute permission)");
  throw InputError("exec: " + word + ": command not found (searched PATH)");
}

RunResult run_program(const ExecOptions& options) {
  ProgramRun run(options);
  return run.run();
}

}  // namespace rstlab
