#pragma once

// What `node ls`, `service ls`, `service ps` and `inspect` show, built from
// control replies: docker's columns, sort orders, state wording and
// truncation. Pure: the caller passes `now_ns` (its wall clock).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/output/table.hpp"
#include "messages/control.pb.h"

namespace actorswarm::cli::output {

/// First 12 characters of an id, as docker's stringid.TruncateID.
std::string short_id(const std::string& id);

/// docker's command.PrettyPrint of an enum name: "RUNNING" -> "Running".
std::string pretty_enum(const std::string& name);

/// `node ls`: ID (` *` after this node's id), HOSTNAME, STATUS,
/// AVAILABILITY, MANAGER STATUS, ENGINE VERSION; sorted by hostname.
listing node_listing(const std::vector<pb::Node>& nodes,
                     const std::string& self_id);

/// `service ls`: ID, NAME, MODE, REPLICAS (`running/desired`, plus
/// ` (max N per node)`), IMAGE, PORTS; sorted by name.
listing service_listing(const std::vector<pb::ServiceEntry>& services);

/// `service ps`: ID, NAME (history rows ` \_ web.1`), IMAGE, NODE,
/// DESIRED STATE, CURRENT STATE (`Running 3 seconds ago`), ERROR (quoted,
/// cut to 30 code points unless `no_trunc`), PORTS. Sorted by service, slot
/// (or node), newest first. `node_names` maps node ids to hostnames.
listing task_listing(std::vector<pb::Task> tasks,
                     const std::map<std::string, std::string>& node_names,
                     int64_t now_ns, bool no_trunc);

/// docker's formatter.Ellipsis: cut to `max_width` code points, last one "…".
std::string ellipsis(const std::string& text, size_t max_width);

/// `CURRENT STATE` text: "Running 3 seconds ago", with the health of a
/// running task that has a check as docker ps shows it: "Running 3 seconds
/// ago (healthy)", "(unhealthy)", "(health: starting)".
std::string task_current_state(const pb::TaskStatus& status, int64_t now_ns);

/// A service as `service inspect` shows it: docker's swarm.Service, raw and
/// typed (docker_json.hpp).
inspect_object inspect_view(const pb::Service& s);

/// A node as `node inspect` shows it: docker's swarm.Node, raw and typed.
inspect_object inspect_view(const pb::Node& n);

/// `service inspect --pretty`: docker's human-readable layout, network
/// ids shown by the names in `network_names` (service_networking_pretty);
/// `now_ns` (wall clock) dates the update status ("5 seconds ago").
std::string
service_pretty(const pb::Service& s,
               const std::map<std::string, std::string>& network_names = {},
               int64_t now_ns = 0);

// -- updates (update_views.cpp) ----------------------------------------------

/// `service inspect --pretty`'s `UpdateStatus:` block (State, Started,
/// Completed for a completed update, Message), as docker's template prints
/// it; empty when the service has no update status. `now_ns`: wall clock.
std::string update_status_pretty(const pb::Service& s, int64_t now_ns);

/// `service inspect --pretty`'s `UpdateConfig:` and `RollbackConfig:`
/// blocks (Parallelism, Delay, On failure, Monitoring Period, Max failure
/// ratio, Update/Rollback order), each only when the spec sets it (docker's
/// HasUpdateConfig).
std::string update_config_pretty(const pb::ServiceSpec& spec);

/// `node inspect --pretty`: docker's human-readable layout.
std::string node_pretty(const pb::Node& n);

// -- networks (network_views.cpp) ---------------------------------------------

/// `network ls`: NETWORK ID, NAME, DRIVER, SCOPE (`swarm`); sorted by name.
listing network_listing(const std::vector<pb::Network>& networks);

/// `network inspect`: docker's object (Name, Id, Created, Scope, Driver,
/// EnableIPv6, IPAM {Driver, Options, Config [{Subnet, Gateway}]},
/// Internal, Attachable, Ingress, Options, Labels). IPAM.Config holds the
/// allocated subnet, else the requested one; Options the VXLAN id once
/// allocated, as docker's overlay driver shows it.
nlohmann::ordered_json network_json(const pb::Network& n);

/// `service inspect --pretty`, the networking part (docker's template):
/// `Networks: a b` (names from `network_names`, ids else), `Endpoint Mode:`
/// and the allocated (else requested) ports.
std::string service_networking_pretty(
  const pb::Service& s,
  const std::map<std::string, std::string>& network_names);

/// Go's time.Time.Format(time.RFC3339Nano) in UTC:
/// "2024-05-01T12:00:03.25Z".
std::string rfc3339_nano(int64_t unix_ns);

} // namespace actorswarm::cli::output
