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

/// `CURRENT STATE` text: "Running 3 seconds ago".
std::string task_current_state(const pb::TaskStatus& status, int64_t now_ns);

/// `inspect [--format F]` of messages: a JSON array, 4-space indented, proto
/// field names, enums by name and default values included; or template F
/// once per message (`{{.spec.name}}`), which sees every field of the
/// message type (unset messages as empty objects), so only a field the type
/// does not have fails (render_inspect).
result<std::string>
inspect_json(const std::vector<const google::protobuf::Message*>& xs,
             const std::string& format = "");

/// One message as compact JSON (proto field names, defaults included).
std::string message_json(const google::protobuf::Message& x);

/// `service inspect --pretty`: docker's human-readable layout.
std::string service_pretty(const pb::Service& s);

/// `node inspect --pretty`: docker's human-readable layout.
std::string node_pretty(const pb::Node& n);

} // namespace actorswarm::cli::output
