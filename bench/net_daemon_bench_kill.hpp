#pragma once

// Part `kill` of bench/net_daemon_bench.cpp (see its header).

#include "bench/net_daemon_bench_util.hpp"

namespace {

// -- kill: out of DNS and balancing --------------------------------------------

// A UDP socket made inside the client's namespace, asking 127.0.0.11:53.
class dns_asker {
public:
  explicit dns_asker(int fd) : fd_(fd) {
    // nop
  }
  ~dns_asker() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  dns_asker(const dns_asker&) = delete;
  dns_asker& operator=(const dns_asker&) = delete;

  // The A records of `name`; false when no answer came within `timeout_ms`.
  bool ask(const std::string& name, std::vector<std::string>& out,
           int timeout_ms = 200) {
    out.clear();
    auto id = static_cast<uint16_t>(++id_);
    std::string q;
    q += static_cast<char>(id >> 8);
    q += static_cast<char>(id & 0xff);
    q += std::string("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);
    size_t from = 0;
    while (from <= name.size()) {
      auto dot = name.find('.', from);
      if (dot == std::string::npos)
        dot = name.size();
      q += static_cast<char>(dot - from);
      q += name.substr(from, dot - from);
      from = dot + 1;
    }
    q += std::string("\x00\x00\x01\x00\x01", 5);
    if (::send(fd_, q.data(), q.size(), 0) < 0)
      return false;
    auto t0 = steady::now();
    unsigned char buf[1500];
    while (ms_since(t0) < timeout_ms) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0)
        return false;
      auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 12 || buf[0] != (id >> 8) || buf[1] != (id & 0xff))
        continue; // a late answer to an earlier query
      return parse(buf, static_cast<size_t>(n), out);
    }
    return false;
  }

private:
  static bool skip_name(const unsigned char* b, size_t n, size_t& i) {
    while (i < n) {
      auto len = b[i];
      if ((len & 0xc0) == 0xc0) {
        i += 2;
        return i <= n;
      }
      ++i;
      if (len == 0)
        return true;
      i += len;
    }
    return false;
  }

  static bool parse(const unsigned char* b, size_t n,
                    std::vector<std::string>& out) {
    auto an = (b[6] << 8) | b[7];
    size_t i = 12;
    if (!skip_name(b, n, i))
      return false;
    i += 4;
    for (int k = 0; k < an; ++k) {
      if (!skip_name(b, n, i) || i + 10 > n)
        return false;
      auto type = (b[i] << 8) | b[i + 1];
      auto len = static_cast<size_t>((b[i + 8] << 8) | b[i + 9]);
      i += 10;
      if (i + len > n)
        return false;
      if (type == 1 && len == 4) {
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, b + i, text, sizeof text);
        out.emplace_back(text);
      }
      i += len;
    }
    return true;
  }

  int fd_;
  unsigned id_ = 0;
};

bool kill_trials(daemon_proc& d, const options& o) {
  progress("kill: 3-replica srv + client cli on the overlay, "
           + std::to_string(o.kills) + " kills");
  if (!d.run_cli({"service", "create", "-d", "--name", "srv", "--replicas", "3",
                  "--restart-delay", "0s", "--network", network_name, "host",
                  "sleep", "3600"})
      || !d.run_cli({"service", "create", "-d", "--name", "cli", "--replicas",
                     "1", "--restart-delay", "0s", "--network", network_name,
                     "host", "sleep", "3600"}))
    return false;
  if (wait_running(d.socket, "srv", 3, steady::now(), 5, 60'000) < 0
      || wait_running(d.socket, "cli", 1, steady::now(), 5, 60'000) < 0) {
    progress("kill: services not running");
    return false;
  }
  auto clients = running_tasks(d, "cli");
  if (clients.size() != 1)
    return false;
  auto client_id = clients[0].id();
  auto pin = d.data_dir + "/netns/t-" + client_id;
  auto ns = os::netns::open(pin);
  if (!ns) {
    progress("kill: no client namespace at " + pin);
    return false;
  }
  int fd = -1;
  os::run_in_netns(*ns, [&] {
    fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(53);
    ::inet_pton(AF_INET, "127.0.0.11", &sa.sin_addr);
    if (fd >= 0
        && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      fd = -1;
    }
  });
  if (fd < 0) {
    progress("kill: no UDP socket in the client's namespace");
    return false;
  }
  dns_asker dns{fd};
  auto session = nft::session::open(ns->fd());
  if (!session) {
    progress("kill: nft session: " + session.error().message);
    return false;
  }
  auto vip_table = [&] {
    auto text = (*session)->list("list table ip actorswarm");
    return text ? *text : std::string{};
  };
  // Every running srv task in DNS and in the VIP table, nothing else in DNS.
  auto settled = [&](std::vector<pb::Task>& running) {
    running = running_tasks(d, "srv");
    if (running.size() != 3)
      return false;
    std::vector<std::string> answer;
    if (!dns.ask("tasks.srv", answer) || answer.size() != 3)
      return false;
    auto table = vip_table();
    for (auto& t : running) {
      auto a = addr_of(t);
      if (std::find(answer.begin(), answer.end(), a) == answer.end()
          || !names_addr(table, a))
        return false;
    }
    return true;
  };
  std::vector<double> dns_ms, vip_ms, both_ms, back_ms, seen_ms;
  steady::time_point last_kill{};
  for (int k = 0; k <= o.kills && !stop_requested; ++k) {
    std::vector<pb::Task> running;
    auto t_settle = steady::now();
    while (!settled(running) && !stop_requested && ms_since(t_settle) < 30'000)
      sleep_ms(1);
    if (!settled(running)) {
      progress("kill: srv did not settle (3 running, in DNS and VIP) in 30 s");
      return false;
    }
    if (k > 0)
      back_ms.push_back(ms_since(last_kill));
    if (k == o.kills)
      break;
    std::sort(running.begin(), running.end(),
              [](auto& a, auto& b) { return a.slot() < b.slot(); });
    auto& victim = running[static_cast<size_t>(k) % running.size()];
    auto addr = addr_of(victim);
    auto pid = static_cast<pid_t>(victim.status().pid());
    bool checked = false;
    for (auto& p : task_processes(d.data_dir))
      checked = checked || (p.pid == pid && p.task_id == victim.id());
    if (!checked || addr.empty()) {
      progress("kill: task " + victim.id() + " pid " + std::to_string(pid)
               + " not found as its process");
      return false;
    }
    // VIP table watched by a thread of its own, DNS here: neither waits for
    // the other.
    std::atomic<double> vip_gone{-1};
    auto wall0 = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto t0 = steady::now();
    ::kill(pid, SIGKILL);
    last_kill = t0;
    std::thread watcher([&] {
      while (!stop_requested && ms_since(t0) < 5'000)
        if (!names_addr(vip_table(), addr)) {
          vip_gone = ms_since(t0);
          return;
        }
    });
    double dns_gone = -1;
    std::vector<std::string> answer;
    while (!stop_requested && ms_since(t0) < 5'000)
      if (dns.ask("tasks.srv", answer)
          && std::find(answer.begin(), answer.end(), addr) == answer.end()) {
        dns_gone = ms_since(t0);
        break;
      }
    watcher.join();
    if (dns_gone < 0 || vip_gone < 0) {
      progress("kill: " + addr + " still listed 5 s after kill -9");
      return false;
    }
    // When the task's own actor saw the exit (the FAILED status's time):
    // the rest is the control plane's round trip and the data plane.
    double seen = -1;
    std::vector<pb::Task> all;
    if (tasks_of(d.socket, "srv", all))
      for (auto& t : all)
        if (t.id() == victim.id() && t.status().state() >= pb::COMPLETE)
          seen = static_cast<double>(t.status().timestamp_ns() - wall0) / 1e6;
    if (seen >= 0)
      seen_ms.push_back(seen);
    char line[200];
    std::snprintf(line, sizeof line,
                  "kill %d: %s (pid %d) exit seen by its task actor after "
                  "%.2f ms, out of DNS after %.2f ms, out of the VIP table "
                  "after %.2f ms",
                  k + 1, addr.c_str(), pid, seen, dns_gone, vip_gone.load());
    progress(line);
    dns_ms.push_back(dns_gone);
    vip_ms.push_back(vip_gone);
    both_ms.push_back(std::max(dns_gone, vip_gone.load()));
  }
  figure("kill_dns_gone_median_ms", median(dns_ms), "ms");
  figure("kill_dns_gone_max_ms", max_of(dns_ms), "ms");
  figure("kill_vip_gone_median_ms", median(vip_ms), "ms");
  figure("kill_vip_gone_max_ms", max_of(vip_ms), "ms");
  figure("kill_both_gone_median_ms", median(both_ms), "ms");
  figure("kill_both_gone_max_ms", max_of(both_ms), "ms");
  figure("kill_exit_seen_median_ms", median(seen_ms), "ms");
  figure("kill_exit_seen_max_ms", max_of(seen_ms), "ms");
  figure("kill_replacement_in_both_median_ms", median(back_ms), "ms");
  figure("kill_trials", static_cast<double>(dns_ms.size()), "count");
  return true;
}

// The services go also when a trial failed (the handles on the client's
// namespace are closed by then).
bool part_kill(daemon_proc& d, const options& o) {
  bool ok = kill_trials(d, o);
  return d.remove({"srv", "cli"}) >= 0 && ok;
}

} // namespace
