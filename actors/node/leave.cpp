#include "actors/node/leave.hpp"

#include "actors/task/process_executor.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::node {

std::vector<task::process_record>
live_task_processes(const persistence::task_record_store& records) {
  std::vector<task::process_record> xs;
  for (const auto& [id, bytes] : records.load_all())
    if (auto r = task::decode_record(bytes))
      xs.push_back(*r);
  return still_alive(xs);
}

std::vector<task::process_record>
still_alive(const std::vector<task::process_record>& xs) {
  std::vector<task::process_record> out;
  for (const auto& x : xs)
    if (x.pid > 0 && task::alive_with_start_time(x.pid, x.start_time_ticks))
      out.push_back(x);
  return out;
}

void signal_groups(const std::vector<task::process_record>& xs, int sig) {
  for (const auto& x : xs)
    if (auto st = task::signal_group(x.pgid, sig); !st)
      logger("node")->warn("cannot signal task process group {}: {}", x.pgid,
                           st.error().message);
}

stop_check next_stop_check(size_t alive, int64_t checks) {
  if (alive == 0)
    return stop_check::done;
  if (checks * leave_check_interval_ms < leave_stop_grace_ms)
    return stop_check::wait;
  return stop_check::kill;
}

identity demote_to_worker(persistence::data_dir& dir, identity id,
                          std::vector<std::string> managers,
                          const cluster_secrets& secrets) {
  dir.log().clear();
  dir.snapshots().clear();
  dir.node_state().remove("raft_id");
  id.raft_id = load_identity(dir.node_state(), id.hostname, secrets).raft_id;
  id.worker = true;
  id.managers = std::move(managers);
  save_identity(dir.node_state(), id);
  return id;
}

identity left_swarm(persistence::data_dir& dir, const std::string& hostname,
                    const cluster_secrets& secrets) {
  wipe_swarm_state(dir);
  return load_identity(dir.node_state(), hostname, secrets);
}

void wipe_swarm_state(persistence::data_dir& dir) {
  dir.log().clear();
  dir.snapshots().clear();
  dir.task_records().clear();
  auto& kv = dir.node_state();
  for (const char* key : {"cluster_id", "addr", "listen_addr", "raft_id",
                          "origin", "role", "managers"})
    kv.remove(key);
}

} // namespace actorswarm::node
