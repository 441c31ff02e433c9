#pragma once

// The CA actor (issue #8): runs on the leader beside the allocator,
// scheduler and orchestrator. It watches the store and, for every node whose
// certificate is due (actors/ca/renewal.hpp: another root, last third of its
// validity, a changed --cert-expiry, another role), issues a certificate for
// the same public key and sends it to the node (CERT); once the node
// answered, the leader stores it as the node's certificate_pem. A spec whose
// ca_config.force_rotate moved (`swarm ca --rotate`) starts a root rotation;
// once every node holds a certificate of the new root, the old root is
// dropped and every node gets the new roots alone. Failed pushes back off
// (1 s doubling to a minute); certificates that become due wake it by timer.

#include "caf/fwd.hpp"

#include "actors/ca/ca_interface.hpp"
#include "actors/ca/renewal.hpp"
#include "net/cluster_transport_interface.hpp"

namespace actorswarm::node {
class clock;
} // namespace actorswarm::node

namespace actorswarm::ca {

/// The OpenSSL crypto (net/cert_authority, net/cluster_secrets).
ca_crypto openssl_ca_crypto();

/// Spawns the CA actor; `transport` may be null (no cluster port: nothing
/// is pushed).
ca_actor_type spawn_ca(caf::actor_system& sys,
                       const store::store_actor_type& store,
                       net::cluster_transport_actor_type transport,
                       node::clock& clk, ca_crypto crypto);

} // namespace actorswarm::ca
