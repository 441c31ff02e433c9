#pragma once

// "Hosts" for cluster tests: network namespaces the test creates, joined by a
// Linux bridge in a "switch" namespace of their own, so several daemons can
// run on one machine with a real network between them (their own addresses,
// routes and firewalls) while the machine's own network namespace is never
// touched. Everything is made through the kernel API (unshare/setns,
// rtnetlink through os/netlink.hpp, nftables through os/nftables.hpp), no
// `ip` subprocesses.
//
// Layout, for a harness of n hosts with subnet number k (from the pid, so
// that harnesses of tests running in parallel differ; they could not clash
// anyway, as every address lives in namespaces of one harness only):
//
//   <dir>/ns/switch   bridge "as<pid>br" 192.168.k.254/24, lo up
//   <dir>/ns/host<i>  "eth0" 192.168.k.<i+1>/24 (veth peer of "as<pid>h<i>"
//                     on the bridge), lo up
//
// <dir> is a fresh temp dir (mkdtemp), also the place for the daemons' data
// dirs and logs. The pins are bind mounts under <dir>/ns (a shared mount
// point, as `ip netns` has /run/netns), never /run/netns.
//
// Processes are started inside a host by fork + setns + exec (spawn()); the
// child inherits nothing else of the namespace. close() (and the destructor,
// so also when a test fails) kills every process still inside one of the
// harness's namespaces (the daemons' tasks included: they inherit the
// namespace), deletes the veth pairs and the bridge, unpins the namespaces,
// unmounts anything left mounted under <dir> and removes <dir>. leftovers()
// then says what, if anything, survived.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "os/netns.hpp"

namespace actorswarm::test {

/// Why network-namespace tests cannot run here ("" when they can): not root,
/// or no CAP_SYS_ADMIN / network namespaces in this environment.
std::string netns_unsupported();

/// What an HTTP GET returned.
struct http_reply {
  /// 0 when no answer came (connect refused, timeout, garbage).
  int status = 0;
  std::string body;
  /// Why there was no answer ("" otherwise).
  std::string error;
};

/// `GET <path>` to `ip:port` with a socket made inside `ns`: connect, send
/// and read bounded by `timeout` in all (poll with a deadline, no sleeps).
http_reply http_get(const os::netns& ns, const std::string& ip, int port,
                    const std::string& path = "/",
                    std::chrono::milliseconds timeout = std::chrono::seconds{
                      2});

/// N host namespaces on a bridge. Throws std::runtime_error when any step of
/// the set-up fails (what was made by then is removed).
class netns_hosts {
public:
  explicit netns_hosts(size_t n);
  ~netns_hosts();

  netns_hosts(const netns_hosts&) = delete;
  netns_hosts& operator=(const netns_hosts&) = delete;

  size_t size() const noexcept {
    return hosts_.size();
  }

  /// The harness's temp dir (data dirs, logs, and the pins under ns/).
  const std::string& dir() const noexcept {
    return dir_;
  }

  /// Where the namespaces are pinned: dir() + "/ns".
  std::string pin_dir() const {
    return dir_ + "/ns";
  }

  /// The third byte of every address: 192.168.<subnet()>.x.
  int subnet() const noexcept {
    return k_;
  }

  /// Host i's address, 192.168.k.<i+1> (host 0 is .1).
  std::string addr(size_t i) const;

  /// The switch namespace's address on the bridge, 192.168.k.254.
  std::string switch_addr() const;

  /// Host i's namespace.
  const os::netns& host(size_t i) const {
    return hosts_.at(i);
  }

  /// The switch namespace (a client there sees every host).
  const os::netns& switch_ns() const noexcept {
    return switch_;
  }

  /// Name of the bridge (in the switch namespace) and of host i's veth end
  /// on it.
  std::string bridge_name() const;
  std::string port_name(size_t i) const;

  /// Starts `args` (argv[0] an absolute path) inside host i with stdout and
  /// stderr appended to `log_path` ("" : /dev/null). Returns the child's pid
  /// (the caller reaps it), or -1.
  pid_t spawn(size_t i, const std::vector<std::string>& args,
              const std::string& log_path) const;

  /// Sets the FORWARD policy of host i to drop as a distribution firewall
  /// does through iptables-nft: table `ip filter`, chain `FORWARD` (base
  /// chain, hook forward, priority 0, policy drop). Throws on failure.
  void set_forward_drop(size_t i) const;

  /// `nft list ruleset` of host i (through libnftables).
  std::string ruleset(size_t i) const;

  /// Names of the devices of host i (lo, eth0, and whatever a daemon added).
  std::vector<std::string> devices(size_t i) const;

  /// PIDs of the processes whose network namespace is one of this harness's
  /// (before close()).
  std::vector<pid_t> processes() const;

  /// Kills (SIGKILL) every process in the harness's namespaces, removes the
  /// devices, pins, mounts and the temp dir. Idempotent; the destructor
  /// calls it.
  void close();

  /// After close(): what survived it, one line each (empty: nothing): a
  /// process that outlived SIGKILL in one of the namespaces, a device or pin
  /// that could not be removed, the temp dir, a mount under it in
  /// /proc/self/mountinfo, a device of ours (bridge or veth name) in the
  /// test's own namespace. (Once unpinned and empty, a namespace is freed
  /// with its devices; its inode number may then be reused by another
  /// test's, so processes are not matched by inode after close().)
  std::vector<std::string> leftovers() const;

private:
  void setup(size_t n);

  std::string dir_;
  int k_ = 0;
  std::string tag_;
  os::netns switch_;
  std::vector<os::netns> hosts_;
  // Inodes of the namespaces (kept after close() for leftovers()).
  std::vector<ino_t> inodes_;
  // What close() could not remove.
  std::vector<std::string> problems_;
  bool closed_ = false;
};

} // namespace actorswarm::test
