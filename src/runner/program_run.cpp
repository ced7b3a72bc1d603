// SPDX-License-Identifier: MIT
// `rstlab exec`: the program runs under strace, as PID 1's child in a PID namespace of
// its own, inside the lab's network namespace. One poll() loop services the recorder,
// the program's stdout and stderr, strace's output file (inotify: strace writes each line
// as it ends) and the tracer's exit (a pidfd), with the run's deadline. When the program
// itself has ended, whatever it left running (daemons) is killed with the namespace.
#include "rstlab/program.h"

#include <fcntl.h>
#include <grp.h>
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
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "lab/netdev.h"
#include "rstlab/capture.h"
#include "rstlab/error.h"
#include "rstlab/far_end.h"
#include "rstlab/lab.h"
#include "rstlab/program_trace.h"
#include "rstlab/strace_parse.h"
#include "util/clock.h"

namespace rstlab {
namespace {

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

/// The identity `--user NAME` gives the program, as strace -u takes it (the user's uid,
/// primary group and supplementary groups).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

RunAs run_as(const std::string& user) {
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) throw InputError("exec: --user " + user + ": no such user");
  RunAs who{pw->pw_uid, pw->pw_gid, {}};
  int n = 32;
  who.groups.resize(static_cast<size_t>(n));
  while (::getgrouplist(pw->pw_name, pw->pw_gid, who.groups.data(), &n) < 0) who.groups.resize(static_cast<size_t>(n));
  who.groups.resize(static_cast<size_t>(n));
  return who;
}

/// access(path, X_OK) for root, or for `who`: a child takes that identity and asks the
/// kernel, so every folder on the way, the file's mode and its ACL count as they will when
/// strace runs the program.
bool may_execute(const std::string& path, const RunAs* who) {
  if (!who) return ::access(path.c_str(), X_OK) == 0;
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork (to check --user's permission)");
  if (pid == 0) {
    if (::setgroups(who->groups.size(), who->groups.data()) != 0 || ::setgid(who->gid) != 0 || ::setuid(who->uid) != 0)
      _exit(2);
    _exit(::access(path.c_str(), X_OK) == 0 ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw_errno("waitpid");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) throw_errno("taking --user's identity to check a permission");
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool executable_file(const std::string& path, const RunAs* who = nullptr) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && may_execute(path, who);
}

/// The search for `word` in PATH (rstlab's own, which the program inherits); empty when
/// absent. Sets `exists_not_exec` when a file of that name was found that cannot be
/// executed (by `who`, when given).
std::string search_path(const std::string& word, bool& exists_not_exec, const RunAs* who = nullptr) {
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  size_t at = 0;
  while (at <= path.size()) {
    size_t end = path.find(':', at);
    if (end == std::string::npos) end = path.size();
    const std::string dir = end == at ? "." : path.substr(at, end - at);
    const std::string candidate = dir + "/" + word;
    if (executable_file(candidate, who)) return candidate;
    if (::access(candidate.c_str(), F_OK) == 0) exists_not_exec = true;
    at = end + 1;
  }
  return "";
}

/// In the child: the PID namespace's init. Runs strace, whose tracee is the program.
/// Only async-signal-safe calls: this runs between clone() and exec.
[[noreturn]] void child_main(const std::vector<std::string>& argv, char* const* envp, int out_fd, int err_fd) {
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
  ::execve(args[0], args.data(), envp);
  const char msg[] = "rstlab: exec: cannot run strace\n";
  (void)!::write(2, msg, sizeof msg - 1);
  _exit(127);
}

/// Who plays what when the crafted peer is the far end: the program takes the role the
/// scenario gives a kernel socket, the peer keeps its own.
struct PeerPlan {
  Role program_role = Role::Client;
  Endpoint server, client;          ///< the scenario's two ends in the lab
  std::vector<std::string> argv;    ///< the command, {server}/{client} replaced
  std::vector<std::string> env;     ///< NAME=VALUE added to the program's environment
};

PeerPlan plan_peer(const Scenario& sc, const std::vector<std::string>& command) {
  const bool peer_server = sc.server.kind == ActorKind::Peer;
  if (sc.client.kind != ActorKind::Peer && !peer_server)
    throw InputError("exec: --peer " + sc.name + ": this scenario has no crafted peer (its ends are " +
                     (sc.client.kind == ActorKind::Kernel ? "kernel" : "none") + " and " +
                     (sc.server.kind == ActorKind::Kernel ? "kernel" : "none") +
                     "); choose one whose client or server is 'peer'");
  const ActorSpec& other = peer_server ? sc.client : sc.server;
  if (other.kind != ActorKind::Kernel)
    throw InputError("exec: --peer " + sc.name + ": the program would play an actor declared 'none'");
  PeerPlan p;
  p.program_role = peer_server ? Role::Client : Role::Server;
  const Address near = lab_address(sc.family, 1), far = lab_address(sc.family, 2);
  p.server = {peer_server ? far : near, sc.server_port};
  p.client = {peer_server ? near : far, peer_server ? uint16_t(0) : sc.client_port};
  for (std::string w : command) {
    for (size_t at; (at = w.find("{server}")) != std::string::npos;) w.replace(at, 8, p.server.str());
    if (w.find("{client}") != std::string::npos) {
      if (peer_server)
        throw InputError("exec: {client} names the peer when the program is the server; here the program is the "
                         "client (its port is its kernel's choice)");
      for (size_t at; (at = w.find("{client}")) != std::string::npos;) w.replace(at, 8, p.client.str());
    }
    p.argv.push_back(w);
  }
  p.env.push_back("RSTLAB_SERVER=" + p.server.str());
  if (!peer_server) p.env.push_back("RSTLAB_CLIENT=" + p.client.str());
  return p;
}

/// Whether a TCP socket of this network namespace listens on `port` (/proc/net/tcp and
/// tcp6 of the calling thread's namespace; state 0A is LISTEN).
bool listening_on(uint16_t port) {
  for (const char* file : {"/proc/thread-self/net/tcp", "/proc/thread-self/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string slot, local, remote, state;
      words >> slot >> local >> remote >> state;
      const size_t colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos &&
          std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port)
        return true;
    }
  }
  return false;
}

class ProgramRun final : public FarEndHost {
 public:
  explicit ProgramRun(const ExecOptions& o) : opt_(o) {}

  RunResult run() {
    if (opt_.command.empty()) throw InputError("exec: give the command to run after --");
    std::vector<std::string> command = opt_.command;
    std::vector<std::string> extra_env;
    std::optional<PeerPlan> plan;
    if (opt_.peer) {
      plan = plan_peer(*opt_.peer, opt_.command);
      command = plan->argv;
      extra_env = plan->env;
    }
    const std::string program = resolve_command(command[0], opt_.user);
    bool unused = false;
    const std::string strace =
        opt_.strace.find('/') != std::string::npos ? (executable_file(opt_.strace) ? opt_.strace : "")
                                                   : search_path(opt_.strace, unused);
    if (strace.empty())
      throw SetupError("exec: strace is not installed (" + opt_.strace +
                       " not found): rstlab exec traces the program with it; tools/setup installs it "
                       "(Debian: apt-get install strace)");

    // The lab. Alone, the program gets its near namespace with IPv6 enabled (for ::1 and
    // 2001:db8::1) and the IPv4 address beside it, so it may dial either family. Against
    // the crafted peer, the scenario's family: the peer at .2, the program at .1.
    LabConfig config;
    config.link = opt_.link.value_or(LinkKind::Veth);
    config.far_end = FarEndKind::Peer;
    config.family = opt_.peer ? opt_.peer->family : Family::V6;
    Lab lab(config);
    lab_ = &lab;
    if (!opt_.peer) {
      const uint8_t v4[4] = {192, 0, 2, 1};
      detail::add_address(kNearIface, Address::v4(v4), 24);
    }
    // Every interface of the namespace (lo carries a program talking to itself).
    Recorder recorder("any");
    recorder_ = &recorder;
    // A packet socket stamps a frame when it takes it, unless the kernel stamps every
    // packet as it enters the stack (netif_rx), which it does only while some socket asks
    // for receive timestamps. On lo the taking happens in a softirq that may run after the
    // sending call has returned (measured: up to 2 ms on a loaded machine), so the
    // packet would come after the call that sent it. This socket asks, for the whole run.
    OwnedFd stamps(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const int on = 1;
    if (stamps.fd < 0 || ::setsockopt(stamps.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
      throw_errno("a socket with SO_TIMESTAMPNS (kernel timestamps for the capture)");

    // The crafted peer as the far end: as the server it takes the first SYN to its port
    // (the program's port is its kernel's choice); as the client it dials the program.
    std::unique_ptr<FarEnd> peer;
    if (plan) {
      const Role peer_role = plan->program_role == Role::Client ? Role::Server : Role::Client;
      const Endpoint self = peer_role == Role::Server ? plan->server : plan->client;
      const Endpoint program_end = peer_role == Role::Server ? plan->client : plan->server;
      const ActorSpec& spec = peer_role == Role::Server ? opt_.peer->server : opt_.peer->client;
      peer = make_crafted_peer(peer_role, lab.peer_link(), self, program_end, spec.offer);
      peer->on_action = [this](const std::string& action, const std::string& detail) {
        add_peer_action(action, detail, detail::wall_clock_ns());
      };
      peer_ = peer.get();
      obs_.peer = self;
      obs_.peer_scenario = opt_.peer->name;
    }

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
    notify_ = OwnedFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (notify_.fd < 0) throw_errno("inotify_init1");
    if (::inotify_add_watch(notify_.fd, trace_file.c_str(), IN_MODIFY) < 0) throw_errno("inotify_add_watch");
    trace_in_ = OwnedFd(::open(trace_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (trace_in_.fd < 0) throw_errno("open " + trace_file);

    OwnedFd out_w, err_w;
    make_pipe(out_r_, out_w);
    make_pipe(err_r_, err_w);
    // rstlab's ends never block (the loop reads them whenever it wakes); the program's
    // ends stay as a program expects its stdout and stderr to be.
    for (int fd : {out_r_.fd, err_r_.fd})
      if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) throw_errno("fcntl O_NONBLOCK");
    obs_.stdout_inode = inode_of(out_r_.fd);
    obs_.stderr_inode = inode_of(err_r_.fd);

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
    for (size_t i = 1; i < command.size(); ++i) argv.push_back(command[i]);
    // The environment: rstlab's own, and where the peer is (replacing any such variable).
    std::vector<std::string> env_strings;
    for (char** e = environ; e && *e; ++e) {
      const std::string v = *e;
      bool replaced = false;
      for (const auto& x : extra_env) replaced |= v.compare(0, x.find('=') + 1, x, 0, x.find('=') + 1) == 0;
      if (!replaced) env_strings.push_back(v);
    }
    for (const auto& x : extra_env) env_strings.push_back(x);
    std::vector<char*> envp;
    for (auto& v : env_strings) envp.push_back(v.data());
    envp.push_back(nullptr);

    obs_.name = opt_.name;
    obs_.command = command;
    obs_.link = opt_.link ? link_name(*opt_.link) : "exec";
    recorder.drain();
    recorder.clear();

    // The child is the init of a new PID namespace (and mount namespace, for its /proc).
    std::fflush(nullptr);
    const long pid = ::syscall(SYS_clone, SIGCHLD | CLONE_NEWPID | CLONE_NEWNS, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) throw_errno("clone (a PID namespace for the program)");
    if (pid == 0) child_main(argv, envp.data(), out_w.fd, err_w.fd);
    child_ = static_cast<pid_t>(pid);
    out_w.reset();
    err_w.reset();
    pidfd_ = OwnedFd(static_cast<int>(::syscall(SYS_pidfd_open, child_, 0)));
    if (pidfd_.fd < 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
      throw_errno("pidfd_open");
    }

    deadline_ = Clock::now() + opt_.timeout;
    if (peer_) run_peer_steps(*plan);
    while (!tracer_done_ || out_r_.fd >= 0 || err_r_.fd >= 0) service(-1);
    settle();
    read_trace(trace_in_.fd);
    if (!partial_.empty()) {
      parser_.feed(partial_, obs_.records);
      partial_.clear();
    }
    parser_.finish(obs_.records);
    recorder.drain();

    if (timed_out_)
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
    recorder.stats(dropped, if_dropped);
    if (dropped || if_dropped) obs_.failures.push_back("the capture dropped packets: the trace is incomplete");
    obs_.link_type = recorder.link_type();
    obs_.packets = recorder.packets();

    ProgramTrace built = build_program_trace(obs_);
    RunResult out;
    out.trace = std::move(built.trace);
    out.trace.capture.dropped = dropped;
    out.trace.capture.if_dropped = if_dropped;
    out.link_type = obs_.link_type;
    out.packets = std::move(built.packets);
    return out;
  }

  // ---- what the crafted peer may use while it runs a step (FarEndHost) --------------

  /// Services everything until `done()`, `limit`, the run's deadline, or (once the program
  /// has ended) a short grace after its end: nothing more will come from it then.
  bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) override {
    const auto until = Clock::now() + limit;
    while (!done()) {
      auto end = std::min(until, deadline_);
      if (ended_at_) end = std::min(end, *ended_at_ + kPeerGrace);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) return done();
      service(static_cast<int>(left) + 1);
    }
    return true;
  }
  /// The program sets the pace: a step may wait as long as the run may last.
  std::chrono::milliseconds step_timeout() const override {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()));
  }
  void add_step_action(const Step& step, const std::string& action, const std::string& detail, int64_t t_ns,
                       std::optional<bool> met) override {
    add_peer_action(action, detail, t_ns, &step, met);
  }
  void fail(const Step& step, const std::string& what) override {
    const std::string where = step.where.empty() ? "" : step.where + ": ";
    obs_.failures.push_back(where + "peer " + step.text + ": " + what);
  }
  void settle() override {
    while (service(0)) {
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  /// Once the program has ended, what is still traced (daemons) gets this long to end too.
  static constexpr std::chrono::milliseconds kGrace{200};
  /// Once it has ended, how long the peer's steps may still wait (its last segments, the
  /// FIN or RST its exit sent, are in flight for microseconds).
  static constexpr std::chrono::milliseconds kPeerGrace{500};
  /// Without the crafted peer, strace's file is read at most this often while the program runs.
  static constexpr std::chrono::milliseconds kTraceBatch{20};

  void add_peer_action(const std::string& action, const std::string& detail, int64_t t, const Step* step = nullptr,
                       std::optional<bool> met = std::nullopt) {
    Event e;
    e.t_ns = t;
    e.body = ActionEvent{"peer", action, detail};
    if (step) {
      e.line = step->where;
      if (step->op == StepOp::PeerExpect) e.expected = "segment " + step->data;
    }
    e.met = met;
    obs_.peer_events.push_back(std::move(e));
  }

  /// The peer's steps of the scenario, in order, while the program runs; the program's
  /// own steps are not run (it decides its calls). As the client, the peer first waits
  /// for the program to listen: each line strace writes wakes the loop, which then reads
  /// the port's state.
  void run_peer_steps(const PeerPlan& plan) {
    const Role peer_role = plan.program_role == Role::Client ? Role::Server : Role::Client;
    if (peer_role == Role::Client) {
      const uint16_t port = plan.server.port;
      if (!wait_until([&] { return listening_on(port); }, step_timeout())) {
        obs_.failures.push_back("the program never listened on port " + std::to_string(port) +
                                " (RSTLAB_SERVER=" + plan.server.str() + "): the peer's steps were not run");
        return;
      }
      add_peer_action("note", "the program listens on " + plan.server.str(), detail::wall_clock_ns());
    }
    for (const Step& step : opt_.peer->steps) {
      if (step.actor != peer_role) continue;
      if (step.after_ms > 0) wait_until([] { return false; }, std::chrono::milliseconds(step.after_ms));
      if (step.op == StepOp::Note) {
        add_peer_action("note", step.data, detail::wall_clock_ns(), &step);
        continue;
      }
      if (!peer_->takes(step)) {
        fail(step, "not a step of the crafted peer");
        continue;
      }
      peer_->run_step(step, *this);
    }
  }

  /// One poll over everything: the recorder, the peer's link and timers, strace's file,
  /// the program's output, the tracer's end; then the run's deadlines. `max_wait_ms` -1:
  /// as long as the deadlines allow. Returns whether anything happened.
  bool service(int max_wait_ms) {
    bool did = peer_ && peer_->release_due();
    // strace's file is read as its lines come, but without the crafted peer (whose steps
    // wait on what the trace says) at most once per kTraceBatch: each line wakes inotify,
    // and a program making thousands of calls a second made this loop wake, read and
    // parse that often, on the cores the program and strace need. The trace is read
    // whole at the end; the batch only delays noticing the program's own end (for the
    // grace of what it leaves running) by that much.
    const auto trace_due = trace_read_at_ + kTraceBatch;
    const bool watch_trace = peer_ || Clock::now() >= trace_due;
    std::vector<pollfd> fds = {{recorder_->fd(), POLLIN, 0}, {watch_trace ? notify_.fd : -1, POLLIN, 0}};
    const size_t first_peer = fds.size();
    if (peer_)
      for (int fd : peer_->fds()) fds.push_back({fd, POLLIN, 0});
    const size_t first_pump = fds.size();
    for (int fd : lab_->pump_fds()) fds.push_back({fd, POLLIN, 0});
    const size_t first_out = fds.size();
    if (out_r_.fd >= 0) fds.push_back({out_r_.fd, POLLIN, 0});
    if (err_r_.fd >= 0) fds.push_back({err_r_.fd, POLLIN, 0});
    if (!tracer_done_) fds.push_back({pidfd_.fd, POLLIN, 0});

    auto until = deadline_;
    if (ended_at_ && others_alive()) until = std::min(until, *ended_at_ + kGrace);
    if (terminated_) until = Clock::now() + std::chrono::milliseconds(1000);  // the pidfd says when
    int64_t wait = tracer_done_ ? 1000
                                : std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                           until - Clock::now()).count());
    if (max_wait_ms >= 0) wait = std::min<int64_t>(wait, max_wait_ms);
    if (peer_) {
      const int due = peer_->next_due_ms();
      if (due >= 0) wait = std::min<int64_t>(wait, due);
    }
    if (!watch_trace)
      wait = std::min<int64_t>(
          wait, 1 + std::chrono::duration_cast<std::chrono::milliseconds>(trace_due - Clock::now()).count());
    if (did) wait = 0;
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait)));
    if (n < 0 && errno != EINTR) throw_errno("poll");
    did |= recorder_->drain() > 0;
    if (watch_trace || Clock::now() >= trace_due) {
      drain_notify(notify_.fd);  // before the read: a line written after it wakes the next poll
      // Lines came: the next ones wait for the batch. None: back to waking on the next.
      trace_read_at_ = read_trace(trace_in_.fd) ? Clock::now() : Clock::time_point{};
    }
    if (peer_) did |= peer_->release_due();
    for (size_t k = first_peer; n > 0 && k < first_out; ++k) {
      if (!fds[k].revents) continue;
      if (k < first_pump) did |= peer_->on_readable(fds[k].fd);
      else {
        lab_->pump(fds[k].fd);
        did = true;
      }
    }
    // What the poll found ready (a descriptor not ready now is read at the next wake).
    auto ready = [&](int fd) {
      for (size_t k = first_out; n > 0 && k < fds.size(); ++k)
        if (fds[k].fd == fd) return fds[k].revents != 0;
      return false;
    };
    for (OwnedFd* p : {&out_r_, &err_r_}) {
      if (p->fd < 0 || !ready(p->fd)) continue;
      const int stream = p == &out_r_ ? 1 : 2;
      char buf[8192];
      for (;;) {
        const ssize_t got = ::read(p->fd, buf, sizeof buf);
        if (got > 0) {
          obs_.output.push_back({stream, detail::wall_clock_ns(), std::string(buf, static_cast<size_t>(got))});
          if (opt_.on_output) opt_.on_output(stream, obs_.output.back().bytes);
          did = true;
          continue;
        }
        if (got == 0) p->reset();
        break;
      }
    }
    if (tracer_done_) {
      // A process that escaped the namespace's end while holding the pipes: never, but
      // the run must end anyway.
      if (n == 0 && max_wait_ms < 0) {
        out_r_.reset();
        err_r_.reset();
      }
      return did;
    }
    if (ready(pidfd_.fd)) {
      int status = 0;
      ::waitpid(child_, &status, 0);
      tracer_done_ = true;
      tracer_status_ = status;
      if (!ended_at_) ended_at_ = Clock::now();
      return true;
    }
    if (!ended_at_ && main_ended_) ended_at_ = Clock::now();
    const auto now = Clock::now();
    // Leftovers are processes the trace has not seen end. Only their grace is timed: a
    // tracer that is merely slow to write the last exits and leave (a loaded machine)
    // is waited for, up to the deadline.
    if (!terminated_ && ((ended_at_ && others_alive() && now >= *ended_at_ + kGrace) || now >= deadline_)) {
      if (!ended_at_ && now >= deadline_) timed_out_ = true;
      else leftovers_ = true;
      // strace is the PID namespace's init: when it dies the kernel kills every process
      // in the namespace. strace writes each line as it ends, so the trace up to here is
      // already in its file.
      ::kill(child_, SIGKILL);
      terminated_ = true;
      if (!ended_at_) ended_at_ = now;
    }
    return did;
  }

  /// Reads what strace has written since; returns whether there was anything.
  bool read_trace(int fd) {
    char buf[65536];
    bool any = false;
    for (;;) {
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got <= 0) break;
      partial_.append(buf, static_cast<size_t>(got));
      any = true;
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
    return any;
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
  Lab* lab_ = nullptr;
  Recorder* recorder_ = nullptr;
  FarEnd* peer_ = nullptr;  ///< the crafted peer (--peer), or none
  OwnedFd notify_, trace_in_, out_r_, err_r_, pidfd_;
  Clock::time_point deadline_;
  Clock::time_point trace_read_at_;  ///< when strace's file was last read
  std::optional<Clock::time_point> ended_at_;  ///< when the program itself ended
  bool tracer_done_ = false, timed_out_ = false, terminated_ = false;
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

std::string resolve_command(const std::string& word, const std::string& user) {
  if (word.empty()) throw InputError("exec: the command is empty");
  std::optional<RunAs> who;
  if (!user.empty()) who = run_as(user);
  const RunAs* as = who ? &*who : nullptr;
  const std::string denied =
      as ? ": user " + user + " may not execute it (no execute permission on it or on a folder on its path)"
         : ": not executable (no execute permission)";
  if (word.find('/') != std::string::npos) {
    if (::access(word.c_str(), F_OK) != 0) throw InputError("exec: " + word + ": no such file");
    struct stat st {};
    if (::stat(word.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw InputError("exec: " + word + ": is a directory");
    if (!executable_file(word, as)) throw InputError("exec: " + word + denied);
    return word;
  }
  bool exists_not_exec = false;
  const std::string found = search_path(word, exists_not_exec, as);
  if (!found.empty()) return found;
  if (exists_not_exec) throw InputError("exec: " + word + denied);
  throw InputError("exec: " + word + ": command not found (searched PATH)");
}

RunResult run_program(const ExecOptions& options) {
  ProgramRun run(options);
  return run.run();
}

}  // namespace rstlab
