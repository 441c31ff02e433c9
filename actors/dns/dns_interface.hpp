#pragma once

// The DNS zone actor's protocol (actors/dns/dns_actor.hpp): one actor per
// network on a node, fed whole-network snapshots by the agent (from its
// assignments); it builds the network's zone and publishes it to the DNS
// server. Killing the actor withdraws the zone.

#include <cstdint>
#include <string>
#include <vector>

#include "caf/allowed_unsafe_message_type.hpp"
#include "caf/meta/type_name.hpp"
#include "caf/replies_to.hpp"
#include "caf/type_id.hpp"
#include "caf/typed_actor.hpp"

#include "actors/dns/zone.hpp"
#include "messages/type_id_blocks.hpp"
#include "messages/type_ids.hpp"

// -- type-id block --------------------------------------------------
// The dns block (STYLE.md R7): in-process only, never serialized.

CAF_BEGIN_TYPE_ID_BLOCK(actorswarm_dns, ::actorswarm::type_id_blocks::dns)

CAF_ADD_TYPE_ID(actorswarm_dns, (actorswarm::dns::zone_update))

CAF_END_TYPE_ID_BLOCK(actorswarm_dns)

static_assert(
  ::actorswarm::type_id_blocks::fits(caf::id_block::actorswarm_dns::end,
                                     ::actorswarm::type_id_blocks::limit),
  "the dns block runs past the last type id");

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actorswarm::dns::zone_update)

namespace actorswarm::dns {

/// Inspects a zone_update (never serialized; for to_string in tests).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, zone_update& x) {
  return f(caf::meta::type_name("zone_update"), x.network_id, x.version);
}

} // namespace actorswarm::dns

CAF_ADD_ATOM(actorswarm, actorswarm, dns_update_atom, "dnsupdate")
CAF_ADD_ATOM(actorswarm, actorswarm, dns_lookup_atom, "dnslookup")

namespace actorswarm::dns {

/// The DNS zone actor of one network.
using dns_zone_actor_type = caf::typed_actor<
  /// Replaces the network's zone with this snapshot (its network_id must be
  /// the actor's network) and publishes it; replies the number of names the
  /// zone answers. A snapshot older than the current one (lower version)
  /// changes nothing and replies the current count. A bad snapshot (an
  /// address that is not IPv4, an invalid name) is refused with
  /// errc::invalid_spec and the zone stays as it was.
  caf::replies_to<dns_update_atom, zone_update>::with<uint64_t>,
  /// The A answer for a name in this zone (any case, trailing dot or not):
  /// its addresses in answer order (a dnsrr name rotates), none when the
  /// zone does not have it. For tests and inspection.
  caf::replies_to<dns_lookup_atom,
                  std::string>::with<std::vector<std::string>>>;

} // namespace actorswarm::dns
