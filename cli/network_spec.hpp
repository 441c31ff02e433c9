#pragma once

// The networking flags of `service create|update` and `network create` ->
// protobuf, with docker's syntax and texts (docker/cli opts/network.go
// NetworkOpt, opts/swarmopts/port.go PortOpt, service/update.go
// updatePorts), and docker's PORTS text of `service ls`. Pure: no IO.

#include <map>
#include <string>
#include <vector>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// One `--network` value: `NAME` (or id), or `name=N,alias=A[,alias=B]`.
/// `flag` names the flag in the error (`--network`, `--network-add`).
result<pb::NetworkAttachmentConfig> parse_network_opt(const std::string& flag,
                                                      const std::string& value);

/// One `--publish` value: `published=P,target=T[,protocol=tcp|udp]
/// [,mode=ingress|host]`, `P:T[/proto]` or `T[/proto]` (published 0: the
/// allocator picks one). Ports 1-65535.
result<pb::PortConfig> parse_port_opt(const std::string& flag,
                                      const std::string& value);

/// `--endpoint-mode vip|dnsrr` (empty: vip).
result<pb::EndpointSpec::ResolutionMode>
parse_endpoint_mode(const std::string& value);

/// docker's updatePorts: drops the ports matching `rm` by target port,
/// protocol and mode, adds `add` unless the same `published:target/proto/
/// mode` is there, sorts by that text.
void update_ports(pb::EndpointSpec& ep, const std::vector<pb::PortConfig>& rm,
                  const std::vector<pb::PortConfig>& add);

/// docker's updateNetworks on resolved ids: drops the attachments to
/// `rm_ids`, appends `add` (targets already ids); a network the service is
/// on already is refused (`service is already attached to network X`,
/// `X` as the user wrote it, from `add_refs`).
status update_networks(
  google::protobuf::RepeatedPtrField<pb::NetworkAttachmentConfig>& networks,
  const std::vector<std::string>& rm_ids,
  const std::vector<pb::NetworkAttachmentConfig>& add,
  const std::vector<std::string>& add_refs);

/// `service ls` PORTS: docker's `*:8080->80/tcp` ranges (`*:80-81->80-81/tcp`)
/// joined with ", ", ingress ports first (docker shows only those), then
/// host-mode ones in the same form. Ports without a published number are
/// left out.
std::string
ports_text(const google::protobuf::RepeatedPtrField<pb::PortConfig>& ports);

/// The ports a service has: its allocated endpoint's when there is one, else
/// its spec's.
const google::protobuf::RepeatedPtrField<pb::PortConfig>&
service_ports(const pb::Service& s);

} // namespace actorswarm::cli
