#include "net/envelope.hpp"

namespace actorswarm::net {

pb::Envelope envelope_sealer::seal(pb::Envelope::Kind kind,
                                   std::string payload) {
  pb::Envelope out;
  out.set_sender_node_id(id_.node_id);
  out.set_sender_raft_id(id_.raft_id);
  out.set_sender_epoch(id_.epoch);
  out.set_seq(next_seq_++);
  out.set_kind(kind);
  out.set_payload(std::move(payload));
  return out;
}

envelope_checker::envelope_checker(authenticator auth)
  : auth_(std::move(auth)) {
  if (!auth_)
    auth_ = [](const pb::Envelope& x) { return x.auth().empty(); };
}

status envelope_checker::accept(const pb::Envelope& x) {
  if (!auth_(x))
    return fail(errc::refused, "envelope does not authenticate");
  if (x.sender_node_id().empty() || x.sender_epoch() == 0 || x.seq() == 0)
    return fail(errc::bad_request, "envelope without sender, epoch or seq");
  auto& st = senders_[x.sender_node_id()];
  if (x.sender_epoch() != st.epoch) {
    // A restarted sender (or another link of it): its numbering restarts.
    // Plain links cannot tell an old epoch from a new one; the security
    // layer's signed epochs will.
    st.epoch = x.sender_epoch();
    st.last_seq = x.seq();
    st.seen = 1;
    return ok_status();
  }
  if (x.seq() > st.last_seq) {
    auto shift = x.seq() - st.last_seq;
    st.seen = shift >= window ? 0 : st.seen << shift;
    st.seen |= 1;
    st.last_seq = x.seq();
    return ok_status();
  }
  auto age = st.last_seq - x.seq();
  if (age >= window || (st.seen >> age & 1) != 0)
    return fail(errc::refused, "replayed or duplicated envelope");
  st.seen |= uint64_t{1} << age;
  return ok_status();
}

} // namespace actorswarm::net
