#include "cluster/manager_set.hpp"

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <set>
#include <thread>

namespace actorswarm::test {

namespace {

std::string trim(const std::string& x) {
  auto b = x.find_first_not_of(" \t\r\n");
  auto e = x.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : x.substr(b, e - b + 1);
}

} // namespace

std::string describe(const cmd_result& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out
         + "\nstderr: " + r.err;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t live_other(const manager_set& m, size_t not_this) {
  for (auto i : m.managers())
    if (i != not_this && m[i].daemon_pid() > 0)
      return i;
  return not_this;
}

cmd_result scale_eventually(manager_set& m, size_t i, const std::string& name,
                            int n, std::chrono::milliseconds timeout) {
  cmd_result r;
  eventually(
    [&] {
      r = m[i].cli({"service", "scale", "-d", name + "=" + std::to_string(n)});
      return r.exit_code == 0;
    },
    timeout, std::chrono::milliseconds{20});
  return r;
}

cmd_result create_service(manager_set& m, size_t i, const std::string& name,
                          int replicas) {
  return m[i].cli({"service", "create", "-d", "--name", name, "--replicas",
                   std::to_string(replicas), "--restart-delay", "0s", "host",
                   "sleep", "3600"});
}

manager_set::manager_set(size_t n, std::vector<std::string> daemon_flags,
                         size_t workers) {
  for (size_t i = 0; i < n + workers; ++i) {
    managers_.push_back(std::make_unique<cluster_fixture>());
    managers_.back()->set_listen_host("127.0.0." + std::to_string(1 + i % 3));
    managers_.back()->set_daemon_flags(daemon_flags);
    manager_.push_back(i < n);
  }
  node_ids_.resize(n + workers);
}

std::string manager_set::form() {
  for (size_t i = 0; i < size(); ++i)
    if (!managers_[i]->start_daemon())
      return "daemon " + std::to_string(i) + " did not start:\n"
             + managers_[i]->daemon_log();
  auto init = managers_[0]->cli({"swarm", "init"});
  if (init.exit_code != 0 && moved_port(0))
    init = managers_[0]->cli({"swarm", "init"});
  if (init.exit_code != 0)
    return "swarm init: " + describe(init);
  auto n_managers = managers().size();
  for (size_t i = 1; i < n_managers; ++i) {
    auto via = i == 1 ? size_t{0} : size_t{1};
    auto r = join(i, via, via);
    if (r.exit_code != 0 && moved_port(i))
      r = join(i, via, via);
    if (r.exit_code != 0 || r.out != "This node joined a swarm as a manager.\n")
      return "join of " + std::to_string(i) + ": " + describe(r);
    // `swarm join` answers once the new manager caught up (9a16df5); this
    // checks it serves reads without the stale warning at once.
    auto serves = [&] {
      auto ls = managers_[i]->cli({"node", "ls", "-q"});
      return ls.exit_code == 0 && ls.err.empty()
             && lines_of(ls.out).size() == i + 1;
    };
    if (!eventually(serves, std::chrono::seconds{5},
                    std::chrono::milliseconds{20}))
      return "manager " + std::to_string(i) + " does not serve after join";
  }
  for (size_t i = n_managers; i < size(); ++i)
    if (auto why = join_worker(i, 0); !why.empty())
      return why;
  for (size_t i = 0; i < size(); ++i)
    if (node_id(i).empty())
      return "no node ID for daemon " + std::to_string(i);
  // Tasks go to Ready nodes only: a test that spreads a service over all
  // of them starts once they are.
  auto all_ready = [&] {
    auto r = managers_[0]->cli({"node", "ls", "--format", "{{.Status}}"});
    auto rows = lines_of(r.out);
    return r.exit_code == 0 && rows.size() == size()
           && std::all_of(rows.begin(), rows.end(),
                          [](auto& x) { return trim(x) == "Ready"; });
  };
  if (!eventually(all_ready, std::chrono::seconds{10},
                  std::chrono::milliseconds{20}))
    return "not every node is Ready";
  return "";
}

std::string manager_set::join_worker(size_t i, size_t via) {
  auto token = managers_.at(0)->cli({"swarm", "join-token", "-q", "worker"});
  auto join = [&] {
    return managers_.at(i)->cli({"swarm", "join", "--token", trim(token.out),
                                 managers_.at(via)->cluster_addr()});
  };
  auto r = join();
  if (r.exit_code != 0 && moved_port(i))
    r = join();
  if (r.exit_code != 0 || r.out != "This node joined a swarm as a worker.\n")
    return "worker join of " + std::to_string(i) + ": " + describe(r);
  auto id = node_id(i);
  auto listed = [&] {
    for (const auto& row : node_rows(via))
      if (row.id == id)
        return true;
    return false;
  };
  if (id.empty()
      || !eventually(listed, std::chrono::seconds{5},
                     std::chrono::milliseconds{50}))
    return "worker " + std::to_string(i) + " (" + id + ") is not listed";
  return "";
}

bool manager_set::moved_port(size_t i) {
  auto& d = *managers_.at(i);
  auto addr = d.cluster_addr();
  if (!contains(d.daemon_log(), "cannot listen on " + addr))
    return false;
  // Someone took the port since free_port(): start over on another one.
  if (!d.stop_daemon(SIGTERM))
    return false;
  d.set_listen_host(addr.substr(0, addr.find(':')));
  return d.start_daemon();
}

std::vector<size_t> manager_set::managers() const {
  std::vector<size_t> xs;
  for (size_t i = 0; i < size(); ++i)
    if (manager_[i])
      xs.push_back(i);
  return xs;
}

int manager_set::agent_manager(size_t i) const {
  static const std::string key = "session open with manager ";
  auto log = managers_.at(i)->daemon_log();
  auto at = log.rfind(key);
  if (at == std::string::npos)
    return -1;
  auto addr = trim(log.substr(at + key.size(),
                              log.find('\n', at) - at - key.size()));
  for (size_t k = 0; k < size(); ++k)
    if (managers_[k]->cluster_addr() == addr)
      return static_cast<int>(k);
  return -1;
}

std::string manager_set::manager_token(size_t i) const {
  auto r = managers_.at(i)->cli({"swarm", "join-token", "-q", "manager"});
  return r.exit_code == 0 ? trim(r.out) : "";
}

cmd_result manager_set::join(size_t i, size_t token_from, size_t via) {
  auto token = manager_token(token_from);
  return managers_.at(i)->cli({"swarm", "join", "--token", token,
                               managers_.at(via)->cluster_addr()});
}

std::string manager_set::node_id(size_t i) const {
  if (!node_ids_.at(i).empty())
    return node_ids_[i];
  static const std::string key = " NodeID: ";
  for (const auto& line : lines_of(managers_[i]->cli({"info"}).out))
    if (line.compare(0, key.size(), key) == 0)
      node_ids_[i] = trim(line.substr(key.size()));
  return node_ids_[i];
}

std::vector<node_row> manager_set::node_rows(size_t i) const {
  auto r = managers_.at(i)->cli({"node", "ls", "--format",
                                 "{{.ID}}|{{.ManagerStatus}}"});
  std::vector<node_row> rows;
  if (r.exit_code != 0)
    return rows;
  for (const auto& line : lines_of(r.out)) {
    auto c = split(line, '|');
    if (c.size() == 2)
      rows.push_back({trim(c[0]), trim(c[1])});
  }
  return rows;
}

int manager_set::leader_seen_by(size_t i) const {
  std::string leader;
  for (const auto& row : node_rows(i)) {
    if (row.manager_status != "Leader")
      continue;
    if (!leader.empty())
      return -1;
    leader = row.id;
  }
  for (size_t k = 0; k < size() && !leader.empty(); ++k)
    if (node_id(k) == leader)
      return static_cast<int>(k);
  return -1;
}

int manager_set::wait_stable_leader(std::chrono::milliseconds timeout) const {
  int leader = -1;
  std::set<std::string> want;
  for (auto i : managers())
    want.insert(node_id(i));
  auto agreed = [&] {
    leader = -1;
    for (auto i : managers()) {
      if (managers_[i]->daemon_pid() <= 0)
        continue;
      std::set<std::string> seen_managers;
      for (const auto& r : node_rows(i))
        if (!r.manager_status.empty())
          seen_managers.insert(r.id);
      auto seen = leader_seen_by(i);
      if (seen_managers != want || seen < 0 || (leader >= 0 && seen != leader))
        return false;
      leader = seen;
    }
    return leader >= 0;
  };
  return eventually(agreed, timeout, std::chrono::milliseconds{100}) ? leader
                                                                     : -1;
}

size_t manager_set::total_tasks() const {
  size_t n = 0;
  for (const auto& m : managers_)
    n += m->task_pids().size();
  return n;
}

size_t manager_set::wait_total_tasks(size_t n,
                                     std::chrono::milliseconds timeout) const {
  size_t seen = 0;
  auto settled = [&] {
    seen = total_tasks();
    if (seen != n)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{300});
    seen = total_tasks();
    return seen == n;
  };
  eventually(settled, timeout, std::chrono::milliseconds{50});
  return seen;
}

bool manager_set::wait_replicas(size_t i, const std::string& name,
                                const std::string& want,
                                std::chrono::milliseconds timeout) const {
  return managers_.at(i)->wait_replicas(name, want, timeout);
}

size_t form_and_lead(manager_set& m) {
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  auto leader = m.wait_stable_leader();
  REQUIRE(leader >= 0);
  return size_t(leader);
}

} // namespace actorswarm::test
