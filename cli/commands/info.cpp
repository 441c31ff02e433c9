// `actorswarm info`: the swarm part of `docker info`.

#include "cli/commands/commands.hpp"
#include "cli/output/views.hpp"
#include "messages/defaults.hpp"

namespace actorswarm::cli {

int info_command(invocation& inv) {
  pb::ControlRequest req;
  req.mutable_info();
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  const auto& i = reply->info();
  auto& out = inv.out();
  out << "Server Version: " << i.version() << "\n"
      << "Data Dir: " << i.data_dir() << "\n"
      << "Swarm: "
      << (i.locked()     ? "locked"
          : i.in_swarm() ? "active"
                         : "inactive")
      << "\n";
  // A locked manager knows nothing more until it is unlocked (Docker).
  if (i.locked())
    return 0;
  if (!i.in_swarm())
    return 0;
  out << " NodeID: " << i.node_id() << "\n"
      << " Is Manager: " << (i.is_manager() ? "true" : "false") << "\n"
      << " Node Address: " << i.node_addr() << "\n";
  if (!i.is_manager())
    return 0;
  const auto& cs = i.cluster_spec();
  out << " ClusterID: " << i.cluster_id() << "\n"
      << " Managers: " << i.managers() << "\n"
      << " Nodes: " << i.nodes() << "\n"
      << " Services: " << i.services() << "\n"
      << " Tasks: " << i.tasks() << " (" << i.running_tasks() << " running)\n"
      << " Leader: " << i.leader_addr() << "\n"
      << " Orchestration:\n  Task History Retention Limit: "
      << cs.task_history_limit() << "\n"
      << "  Max Replicas Per Service: "
      << (cs.max_replicas_per_service() == 0
            ? cluster_defaults::max_replicas_per_service
            : cs.max_replicas_per_service())
      << "\n"
      << " Scheduling Strategy: "
      << output::pretty_enum(pb::Placement::Strategy_Name(
           cs.scheduler_strategy() == pb::Placement::DEFAULT
             ? pb::Placement::SPREAD
             : cs.scheduler_strategy()))
      << "\n Raft:\n  Term: " << i.raft_term()
      << "\n  Commit: " << i.raft_commit()
      << "\n  Heartbeat Tick: " << cs.heartbeat_tick()
      << "\n  Election Tick: " << cs.election_tick() << "\n"
      << " Autolock Managers: "
      << (cs.encryption_config().auto_lock_managers() ? "true" : "false")
      << "\n";
  return 0;
}

} // namespace actorswarm::cli
