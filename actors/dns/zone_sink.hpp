#pragma once

// Where a DNS zone actor publishes its network's zone: the DNS server
// (net/dns/server.hpp) in the daemon, a recording fake in tests. CAF-free.

#include <memory>
#include <string>

#include "actors/dns/zone.hpp"

namespace actorswarm::dns {

class zone_sink {
public:
  virtual ~zone_sink() = default;

  /// Makes `z` the zone of its network (z->network_id()); answers use it
  /// from then on.
  virtual void publish(std::shared_ptr<const zone> z) = 0;

  /// Removes the network's zone: its names are not answered any more.
  virtual void withdraw(const std::string& network_id) = 0;
};

} // namespace actorswarm::dns
