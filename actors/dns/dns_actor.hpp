#pragma once

// The DNS zone actor: one per network on a node that has a task on it. It
// holds the network's current zone (actors/dns/zone.hpp), rebuilds it from
// every snapshot it is sent, and publishes it to a zone_sink (the DNS
// server); when it exits, it withdraws the zone.

#include <memory>
#include <string>

#include "caf/fwd.hpp"

#include "actors/dns/dns_interface.hpp"
#include "actors/dns/zone_sink.hpp"

namespace actorswarm::dns {

/// Spawns the zone actor of `network_id`, publishing to `sink`.
dns_zone_actor_type spawn_dns_zone(caf::actor_system& sys,
                                   std::string network_id,
                                   std::shared_ptr<zone_sink> sink);

} // namespace actorswarm::dns
