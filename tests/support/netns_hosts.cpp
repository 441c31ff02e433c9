#include "support/netns_hosts.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "os/netlink.hpp"
#include "os/nftables.hpp"

namespace fs = std::filesystem;

namespace actorswarm::test {

namespace {

using clock_type = std::chrono::steady_clock;

template <class T>
T must(result<T> r, const std::string& what) {
  if (!r)
    throw std::runtime_error(what + ": " + r.error().message);
  return std::move(*r);
}

void must_ok(const status& s, const std::string& what) {
  if (!s)
    throw std::runtime_error(what + ": " + s.error().message);
}

// Inode of /proc/<pid>/ns/net, 0 when unreadable (gone, kernel thread).
ino_t netns_inode_of(const std::string& pid) {
  struct stat st {};
  if (::stat(("/proc/" + pid + "/ns/net").c_str(), &st) != 0)
    return 0;
  return st.st_ino;
}

// Mount points (field 5 of mountinfo) at or under `dir`, deepest first.
std::vector<std::string> mounts_under(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in{"/proc/self/mountinfo"};
  std::string line;
  for (int i = 0; i < 100000 && std::getline(in, line); ++i) {
    std::istringstream ss{line};
    std::string id, parent, devno, root, point;
    ss >> id >> parent >> devno >> root >> point;
    if (point == dir || point.rfind(dir + "/", 0) == 0)
      out.push_back(point);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& x, const auto& y) { return x.size() > y.size(); });
  return out;
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Milliseconds left until `deadline` (at least 0).
int left_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - clock_type::now());
  return int(std::max<long long>(0, left.count()));
}

} // namespace

std::string netns_unsupported() {
  if (::geteuid() != 0)
    return "not root";
  // Can this process make network namespaces and mount? Try on a thread of
  // its own, which then ends (its namespace with it).
  std::string why;
  std::thread probe{[&why] {
    if (::unshare(CLONE_NEWNET) != 0)
      why = errno_text("unshare(CLONE_NEWNET)");
  }};
  probe.join();
  return why;
}

http_reply http_get(const os::netns& ns, const std::string& ip, int port,
                    const std::string& path,
                    std::chrono::milliseconds timeout) {
  http_reply reply;
  auto deadline = clock_type::now() + timeout;
  int fd = -1;
  auto made = os::run_in_netns(ns, [&fd] {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  });
  if (!made || fd < 0) {
    reply.error = made ? errno_text("socket") : made.error().message;
    return reply;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    reply.error = "bad address " + ip;
    return reply;
  }
  auto fail_with = [&](std::string why) {
    ::close(fd);
    reply.status = 0;
    reply.error = std::move(why);
    return reply;
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      && errno != EINPROGRESS)
    return fail_with(errno_text("connect"));
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, left_ms(deadline)) <= 0)
    return fail_with("connect: timeout");
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    errno = err;
    return fail_with(errno_text("connect"));
  }
  auto request = "GET " + path + " HTTP/1.0\r\nHost: " + ip + "\r\n\r\n";
  size_t sent = 0;
  for (int i = 0; i < 1000 && sent < request.size(); ++i) {
    p = {fd, POLLOUT, 0};
    if (::poll(&p, 1, left_ms(deadline)) <= 0)
      return fail_with("send: timeout");
    auto n = ::send(fd, request.data() + sent, request.size() - sent,
                    MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN)
      return fail_with(errno_text("send"));
    if (n > 0)
      sent += size_t(n);
  }
  std::string text;
  for (int i = 0; i < 100000 && text.size() < (1u << 20); ++i) {
    p = {fd, POLLIN, 0};
    if (::poll(&p, 1, left_ms(deadline)) <= 0)
      return fail_with("read: timeout after " + std::to_string(text.size())
                       + " bytes");
    char buf[4096];
    auto n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EAGAIN)
      continue;
    if (n < 0)
      return fail_with(errno_text("read"));
    if (n == 0)
      break;
    text.append(buf, size_t(n));
  }
  ::close(fd);
  // "HTTP/1.x NNN ..."
  if (text.compare(0, 5, "HTTP/") != 0 || text.size() < 12) {
    reply.error = "no HTTP answer: " + text.substr(0, 80);
    return reply;
  }
  reply.status = std::atoi(text.c_str() + 9);
  auto body = text.find("\r\n\r\n");
  if (body != std::string::npos)
    reply.body = text.substr(body + 4);
  return reply;
}

// -- netns_hosts --------------------------------------------------------------

netns_hosts::netns_hosts(size_t n) {
  std::string tmpl = "/tmp/as-hosts-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error(errno_text("mkdtemp"));
  dir_ = tmpl;
  auto pid = ::getpid();
  k_ = 1 + int(pid % 250);
  tag_ = "as" + std::to_string(pid % 1000000);
  try {
    setup(n);
  } catch (...) {
    close();
    throw;
  }
}

netns_hosts::~netns_hosts() {
  close();
}

std::string netns_hosts::addr(size_t i) const {
  return "192.168." + std::to_string(k_) + "." + std::to_string(i + 1);
}

std::string netns_hosts::switch_addr() const {
  return "192.168." + std::to_string(k_) + ".254";
}

std::string netns_hosts::bridge_name() const {
  return tag_ + "br";
}

std::string netns_hosts::port_name(size_t i) const {
  return tag_ + "h" + std::to_string(i);
}

void netns_hosts::setup(size_t n) {
  os::netns_dir pins{pin_dir()};
  must_ok(pins.prepare(), "prepare " + pin_dir());
  switch_ = must(pins.create("switch"), "create switch namespace");
  inodes_.push_back(switch_.inode());
  for (size_t i = 0; i < n; ++i) {
    hosts_.push_back(must(pins.create("host" + std::to_string(i)),
                          "create host namespace"));
    inodes_.push_back(hosts_.back().inode());
  }
  auto sw = must(os::netlink_conn::open(switch_), "netlink in switch");
  auto lo = must(sw.link("lo"), "switch lo");
  must_ok(sw.set_up(lo.index, true), "switch lo up");
  must_ok(sw.create_bridge(bridge_name(), 0), "create bridge");
  auto br = must(sw.link(bridge_name()), "bridge");
  must_ok(sw.add_address(br.index,
                         must(os::parse_ipv4_prefix(switch_addr() + "/24"),
                              "address")),
          "bridge address");
  for (size_t i = 0; i < n; ++i) {
    os::veth_spec spec;
    spec.name = port_name(i);
    spec.master = br.index;
    spec.peer_name = "eth0";
    spec.peer_ns = &hosts_[i];
    must_ok(sw.create_veth(spec), "create veth " + spec.name);
    auto h = must(os::netlink_conn::open(hosts_[i]), "netlink in host");
    auto hlo = must(h.link("lo"), "host lo");
    must_ok(h.set_up(hlo.index, true), "host lo up");
    auto eth = must(h.link("eth0"), "host eth0");
    must_ok(h.add_address(eth.index,
                          must(os::parse_ipv4_prefix(addr(i) + "/24"),
                               "address")),
            "host address");
    must_ok(h.set_up(eth.index, true), "host eth0 up");
  }
}

pid_t netns_hosts::spawn(size_t i, const std::vector<std::string>& args,
                         const std::string& log_path) const {
  int ns_fd = hosts_.at(i).fd();
  int log_fd = ::open(log_path.empty() ? "/dev/null" : log_path.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    return -1;
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls until exec.
    if (::setns(ns_fd, CLONE_NEWNET) != 0)
      ::_exit(126);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
      ::dup2(null_fd, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  return pid;
}

void netns_hosts::set_forward_drop(size_t i) const {
  must_ok(nft::run(hosts_.at(i).fd(),
                   "add table ip filter\n"
                   "add chain ip filter FORWARD { type filter hook forward "
                   "priority 0; policy drop; }\n"),
          "FORWARD drop in host " + std::to_string(i));
}

std::string netns_hosts::ruleset(size_t i) const {
  return must(nft::list(hosts_.at(i).fd(), "list ruleset"), "list ruleset");
}

std::vector<std::string> netns_hosts::devices(size_t i) const {
  auto h = must(os::netlink_conn::open(hosts_.at(i)), "netlink in host");
  std::vector<std::string> names;
  for (const auto& l : must(h.links(), "links"))
    names.push_back(l.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<pid_t> netns_hosts::processes() const {
  std::vector<pid_t> pids;
  if (closed_ || inodes_.empty())
    return pids;
  std::error_code ec;
  for (fs::directory_iterator it{"/proc", ec}, end; !ec && it != end;
       it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto ino = netns_inode_of(name);
    if (ino != 0
        && std::find(inodes_.begin(), inodes_.end(), ino) != inodes_.end())
      pids.push_back(pid_t(std::stol(name)));
  }
  return pids;
}

void netns_hosts::close() {
  if (closed_)
    return;
  // Every process in our namespaces is ours (daemons, their tasks, helpers).
  // Killed, then waited for through a pidfd each (readable once it exited;
  // not only children), bounded by one deadline per round.
  for (int round = 0; round < 10; ++round) {
    auto pids = processes();
    if (pids.empty())
      break;
    if (round == 9) {
      for (auto pid : pids)
        problems_.push_back("process " + std::to_string(pid)
                            + " outlived SIGKILL in a namespace");
      break;
    }
    std::vector<pollfd> fds;
    for (auto pid : pids) {
      ::kill(pid, SIGKILL);
      int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
      if (fd >= 0)
        fds.push_back({fd, POLLIN, 0});
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
    for (auto& p : fds) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() > 0)
        ::poll(&p, 1, static_cast<int>(left.count()));
      ::close(p.fd);
    }
    // Reap our own children among them; others go by themselves.
    for (auto pid : pids)
      ::waitpid(pid, nullptr, WNOHANG);
  }
  closed_ = true;
  // Devices first (synchronously), then the namespaces.
  if (switch_.valid()) {
    if (auto sw = os::netlink_conn::open(switch_)) {
      auto remove = [&](const std::string& name) {
        auto l = sw->link(name);
        if (!l)
          return;
        if (auto gone = sw->delete_link(l->index); !gone)
          problems_.push_back("delete " + name + ": " + gone.error().message);
      };
      for (size_t i = 0; i < hosts_.size(); ++i)
        remove(port_name(i));
      remove(bridge_name());
    }
  }
  switch_ = os::netns{};
  hosts_.clear();
  if (dir_.empty())
    return;
  os::netns_dir pins{pin_dir()};
  if (auto names = pins.list())
    for (const auto& p : *names)
      if (auto gone = pins.remove(p.name); !gone)
        problems_.push_back(gone.error().message);
  (void) pins.release();
  // Anything else still mounted under our dir (a daemon's netns dir).
  for (int round = 0; round < 10; ++round) {
    auto points = mounts_under(dir_);
    if (points.empty())
      break;
    for (const auto& m : points)
      ::umount2(m.c_str(), MNT_DETACH);
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> netns_hosts::leftovers() const {
  auto out = problems_;
  std::error_code ec;
  if (!dir_.empty() && fs::exists(dir_, ec))
    out.push_back("temp dir left: " + dir_);
  if (!dir_.empty())
    for (const auto& m : mounts_under(dir_))
      out.push_back("mount left: " + m);
  // No device of ours was ever made in the test's own namespace; check.
  if (auto own = os::netlink_conn::open_current())
    if (auto links = own->links())
      for (const auto& l : *links) {
        bool ours = l.name == bridge_name();
        for (size_t i = 0; i < inodes_.size(); ++i)
          ours = ours || l.name == port_name(i);
        if (ours)
          out.push_back("device left in the test's namespace: " + l.name);
      }
  return out;
}

} // namespace actorswarm::test
