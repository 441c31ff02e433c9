// actorswarm-gate: the start gate of a `process` task, spawned by the daemon
// with posix_spawn (no fork of the big daemon; see process_spawn.cpp).
//
//   actorswarm-gate <workdir> <credentials> <sandbox> <program> <argv0>
//                   [args...]
//
// <credentials> is os/credentials.hpp's text: the capability set, and the
// uid, gid and groups when the task has a --user. They are applied after
// the gate opens, just before exec (chdir runs first, as root, as runc
// tries it). <sandbox> is "" or "<hostname>\n<resolv.conf path>" (either
// part may be empty), followed by "\n<ro|rw>\n<source>\n<target>" per bind
// mount: the task's own UTS and mount namespaces (actors/task/sandbox.hpp),
// set up after it entered fd 5's namespace (if any).
//
// The daemon has already set the process group, an empty signal mask,
// default signal dispositions, stdin (/dev/null), stdout and stderr (the
// task's log) and the environment (the task's). It passes:
//   fd 3: the gate (one byte: exec; EOF: the daemon died, exit 127)
//   fd 4: the exec-error pipe; a failing stage writes {stage, errno}
//         (two int32, spawn_error_record in process_spawn.hpp).
//   fd 5, when open: the task's network namespace, entered before the gate
//         waits (the task's legs and VIP rules are ready by then).
// Plain libc only: this runs once per task start.

#include "actors/task/sandbox.hpp"
#include "os/credentials.hpp"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;

namespace {

constexpr int gate_fd = 3;
constexpr int err_fd = 4;
constexpr int netns_fd = 5;
// Must match actorswarm::task::spawn_stage.
constexpr int32_t stage_chdir = 2;
constexpr int32_t stage_exec = 3;
constexpr int32_t stage_bad_args = 6;
constexpr int32_t stage_netns = 7;
constexpr int32_t stage_sandbox = 8;
constexpr int32_t stage_mount = 1000; // + the failed mount's index

// The --user's groups: static, so the gate allocates nothing for them.
uint32_t groups[actorswarm::os::groups_max];

// The task's bind mounts, pointing into the <sandbox> argument.
actorswarm::task::sandbox_mount mounts[actorswarm::task::sandbox_mounts_max];

// Splits <sandbox> in place at its newlines into the hostname, the
// resolv.conf path and the mounts. False if it is malformed.
bool parse_sandbox(char* text, char*& hostname, char*& resolv,
                   size_t& mount_count) {
  constexpr size_t fields_max = 2 + 3 * actorswarm::task::sandbox_mounts_max;
  char* fields[fields_max];
  size_t n = 0;
  fields[n++] = text;
  for (char* p = text; *p != '\0'; ++p) {
    if (*p != '\n')
      continue;
    if (n == fields_max)
      return false;
    *p = '\0';
    fields[n++] = p + 1;
  }
  if (n < 2 || (n - 2) % 3 != 0)
    return false;
  hostname = fields[0];
  resolv = fields[1];
  mount_count = (n - 2) / 3;
  for (size_t i = 0; i < mount_count; ++i) {
    char** f = fields + 2 + 3 * i;
    bool ro = f[0][0] == 'r' && f[0][1] == 'o' && f[0][2] == '\0';
    bool rw = f[0][0] == 'r' && f[0][1] == 'w' && f[0][2] == '\0';
    if (!ro && !rw)
      return false;
    mounts[i] = {f[1], f[2], ro};
  }
  return true;
}

void report(int32_t stage, int err) {
  int32_t rec[2] = {stage, static_cast<int32_t>(err)};
  [[maybe_unused]] auto n = write(err_fd, rec, sizeof(rec));
}

// Blocks until the daemon releases (1 byte) or aborts (EOF). Bounded: EINTR
// is the only reason to read again.
bool wait_gate() {
  char c = 0;
  for (int i = 0; i < 1000; ++i) {
    auto n = read(gate_fd, &c, 1);
    if (n == 1)
      return true;
    if (n == 0 || errno != EINTR)
      return false;
  }
  return false;
}

// posix_spawn's SETSIGDEF cannot name glibc's internal signals (32, 33),
// which its child leaves ignored; an ignored signal survives exec. Sets every
// signal to its default through the raw system call (an all-zero kernel
// sigaction is SIG_DFL on every layout).
void default_all_signals() {
  for (long sig = 1; sig <= 64; ++sig) {
    unsigned long zero[8] = {};
    syscall(SYS_rt_sigaction, sig, zero, nullptr, 8ul);
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 6)
    _exit(127);
  default_all_signals();
  bool setup_ok = true;
  actorswarm::os::credentials creds;
  if (!actorswarm::os::parse_credentials(argv[2], creds, groups,
                                         actorswarm::os::groups_max)) {
    report(stage_bad_args, EINVAL);
    setup_ok = false;
  }
  if (fcntl(netns_fd, F_GETFD) >= 0) {
    if (setup_ok && setns(netns_fd, CLONE_NEWNET) != 0) {
      report(stage_netns, errno);
      setup_ok = false;
    }
    close(netns_fd);
  }
  if (setup_ok && argv[3][0] != '\0') {
    char* hostname = nullptr;
    char* resolv = nullptr;
    size_t count = 0;
    size_t failed = 0;
    if (!parse_sandbox(argv[3], hostname, resolv, count)) {
      report(stage_bad_args, EINVAL);
      setup_ok = false;
    } else if (int err = actorswarm::task::enter_sandbox(hostname, resolv,
                                                         mounts, count,
                                                         failed)) {
      report(failed < count ? stage_mount + static_cast<int32_t>(failed)
                            : stage_sandbox,
             err);
      setup_ok = false;
    }
  }
  if (setup_ok && chdir(argv[1]) != 0) {
    report(stage_chdir, errno);
    setup_ok = false;
  }
  // Wait at the gate even after a failed setup, so the daemon always holds
  // the process before it can exit (the watcher never reaps it unseen).
  if (!wait_gate() || !setup_ok)
    _exit(127);
  close(gate_fd);
  fcntl(err_fd, F_SETFD, FD_CLOEXEC);
  auto step = actorswarm::os::credentials_step::none;
  if (int err = actorswarm::os::apply_credentials(creds, step)) {
    report(static_cast<int32_t>(step), err);
    _exit(127);
  }
  execve(argv[4], argv + 5, environ);
  report(stage_exec, errno);
  _exit(127);
}
