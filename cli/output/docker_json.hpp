#pragma once

// Stored objects in the Docker Engine API's JSON shape (moby's
// api/types/swarm: Service, ServiceSpec, ContainerSpec, Node, ...), what
// `service inspect` and `node inspect` print and what their --format
// templates read. Fields keep Go's struct order; maps (labels) are sorted
// as Go's encoder sorts them; durations are integers of nanoseconds and
// times RFC 3339 with nanoseconds in UTC, as the API sends them. Pure.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "messages/objects.pb.h"

namespace actorswarm::cli::output {

/// Which of the two views docker's inspect has of an object.
enum class go_view {
  /// The API's JSON: Go's `omitempty` leaves out empty fields, nil
  /// pointers and empty maps (what inspect prints; the raw JSON a template
  /// falls back to).
  raw,
  /// The typed Go value as a template sees it: every field the converter
  /// models is present, empty ones with their zero value, nil pointers as
  /// null.
  typed,
};

/// swarm.Service: ID, Version {Index}, CreatedAt, UpdatedAt, Spec,
/// PreviousSpec (when set), Endpoint {Spec, Ports, VirtualIPs},
/// UpdateStatus (when set). An unset update or rollback config shows
/// docker's defaults, as `docker service create` stores them; the argv is
/// ContainerSpec.Args (docker's Command is the --entrypoint, which the host
/// runtime does not have).
nlohmann::ordered_json service_json(const pb::Service& s,
                                    go_view view = go_view::raw);

/// swarm.ServiceSpec alone (Spec and PreviousSpec of service_json).
nlohmann::ordered_json service_spec_json(const pb::ServiceSpec& spec,
                                         go_view view = go_view::raw);

/// swarm.Node: ID, Version, CreatedAt, UpdatedAt, Spec {Labels, Role,
/// Availability}, Description {Hostname, Platform, Resources, Engine},
/// Status {State, Message, Addr}, ManagerStatus (managers only).
nlohmann::ordered_json node_json(const pb::Node& n,
                                 go_view view = go_view::raw);

/// Go's time.Time JSON: RFC 3339 with nanoseconds (trailing zeros cut),
/// UTC; 0 is Go's zero time "0001-01-01T00:00:00Z".
std::string go_time(int64_t unix_ns);

} // namespace actorswarm::cli::output
