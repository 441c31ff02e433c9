#include "actors/control/decision.hpp"

namespace actorswarm::control {

pb::ControlReply error_reply(const failure& f) {
  pb::ControlReply out;
  out.set_code(static_cast<uint32_t>(f.code));
  out.set_error(f.message);
  return out;
}

pb::StoreBatch single_action(pb::StoreAction::Kind kind, int64_t now_ns) {
  pb::StoreBatch b;
  b.set_atomic(true);
  b.set_proposed_at_ns(now_ns);
  b.add_actions()->set_kind(kind);
  return b;
}

} // namespace actorswarm::control
