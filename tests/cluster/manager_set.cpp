#include "cluster/manager_set.hpp"

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

manager_set::manager_set(size_t n, std::vector<std::string> daemon_flags) {
  for (size_t i = 0; i < n; ++i) {
    managers_.push_back(std::make_unique<cluster_fixture>());
    managers_.back()->set_listen_host("127.0.0." + std::to_string(1 + i % 3));
    managers_.back()->set_daemon_flags(daemon_flags);
  }
  node_ids_.resize(n);
}

std::string manager_set::form() {
  for (size_t i = 0; i < size(); ++i)
    if (!managers_[i]->start_daemon())
      return "daemon " + std::to_string(i) + " did not start:\n"
             + managers_[i]->daemon_log();
  auto init = managers_[0]->cli({"swarm", "init"});
  if (init.exit_code != 0)
    return "swarm init: " + describe(init);
  for (size_t i = 1; i < size(); ++i) {
    auto via = i == 1 ? size_t{0} : size_t{1};
    auto r = join(i, via, via);
    if (r.exit_code != 0
        || r.out != "This node joined a swarm as a manager.\n")
      return "join of " + std::to_string(i) + ": " + describe(r);
    // `swarm join` returns before the new manager heard from the leader:
    // for about one heartbeat it answers reads from an empty store with the
    // stale warning, and join-token with "not a swarm manager".
    auto serves = [&] {
      auto ls = managers_[i]->cli({"node", "ls", "-q"});
      return ls.exit_code == 0 && ls.err.empty()
             && lines_of(ls.out).size() == i + 1;
    };
    if (!eventually(serves, std::chrono::seconds{5},
                    std::chrono::milliseconds{20}))
      return "manager " + std::to_string(i) + " does not serve after join";
  }
  return "";
}

std::string manager_set::manager_token(size_t i) const {
  auto r = managers_.at(i)->cli({"swarm", "join-token", "-q", "manager"});
  return r.exit_code == 0 ? trim(r.out) : "";
}

cmd_result manager_set::join(size_t i, size_t token_from, size_t via) {
  auto token = manager_token(token_from);
  return managers_.at(i)->cli(
    {"swarm", "join", "--token", token, managers_.at(via)->cluster_addr()});
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
  auto r = managers_.at(i)->cli(
    {"node", "ls", "--format", "{{.ID}}|{{.ManagerStatus}}"});
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
  auto agreed = [&] {
    leader = -1;
    for (size_t i = 0; i < size(); ++i) {
      if (managers_[i]->daemon_pid() <= 0)
        continue;
      auto rows = node_rows(i);
      size_t managers = 0;
      for (const auto& r : rows)
        managers += r.manager_status.empty() ? 0 : 1;
      auto seen = leader_seen_by(i);
      if (managers != size() || seen < 0 || (leader >= 0 && seen != leader))
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

} // namespace actorswarm::test
