#include "net/envelope.hpp"

#include "net/cert_authority.hpp"

namespace actorswarm::net {

pb::Envelope envelope_sealer::seal(pb::Envelope::Kind kind,
                                   std::string payload) {
  pb::Envelope out;
  out.set_sender_node_id(id_.node_id);
  out.set_sender_raft_id(id_.raft_id);
  out.set_sender_epoch(id_.epoch);
  out.set_seq(next_seq_->fetch_add(1, std::memory_order_relaxed));
  out.set_kind(kind);
  out.set_payload(std::move(payload));
  return out;
}

namespace {

bool managers_only(pb::Envelope::Kind k) {
  switch (k) {
    case pb::Envelope::RAFT:
    case pb::Envelope::PROPOSE:
    case pb::Envelope::CONTROL:
    case pb::Envelope::ROLE:
    case pb::Envelope::ASSIGN:
    case pb::Envelope::CERT:
    case pb::Envelope::LOGS:
      return true;
    default:
      return false;
  }
}

// Requests and their replies carry a request id; Raft traffic is one way.
bool has_request_id(pb::Envelope::Kind k) {
  return k != pb::Envelope::RAFT;
}

// What only the Raft group's members send to a manager.
bool voters_only(pb::Envelope::Kind k) {
  return k == pb::Envelope::RAFT || k == pb::Envelope::PROPOSE
         || k == pb::Envelope::CONTROL || k == pb::Envelope::CERT;
}

} // namespace

status authorize(const pb::Envelope& x, const peer_identity& peer,
                 const std::set<std::string>& voters) {
  auto kind = pb::Envelope::Kind_Name(x.kind());
  if (!peer.authenticated) {
    if (x.kind() != pb::Envelope::JOIN || x.request_id() == 0)
      return fail(errc::refused, "a peer without a cluster certificate sent "
                                   + kind + ": it may only join");
    return ok_status();
  }
  if (x.sender_node_id() != peer.node_id)
    return fail(errc::refused, "envelope names sender " + x.sender_node_id()
                                 + " on the connection of " + peer.node_id);
  if (x.kind() == pb::Envelope::HELLO)
    return fail(errc::bad_request, "HELLO is not used");
  if (voters_only(x.kind()) && !voters.empty()) {
    if (voters.count(peer.node_id) == 0)
      return fail(errc::refused, kind + " from " + peer.node_id
                                   + ", which is not a manager of this "
                                     "swarm's Raft group");
  } else if (managers_only(x.kind()) && peer.role != manager_ou)
    return fail(errc::refused, kind + " from " + peer.node_id
                                 + ", whose "
                                   "certificate is a "
                                 + peer.role + "'s: managers only");
  if (has_request_id(x.kind()) != (x.request_id() != 0))
    return fail(errc::bad_request, kind
                                     + " with a request id where none "
                                       "belongs, or without one");
  return ok_status();
}

} // namespace actorswarm::net
