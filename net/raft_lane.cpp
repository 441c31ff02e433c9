#include "net/raft_lane.hpp"

namespace actorswarm::net {

bool raft_lane::try_send(const pb::RaftMessage& m) {
  std::lock_guard<std::mutex> guard{mu_};
  if (wire_ == nullptr)
    return false;
  auto i = routes_.find(m.to());
  if (i == routes_.end())
    return false;
  auto env = sealer_->seal(pb::Envelope::RAFT, m.SerializeAsString());
  wire_->send(i->second, env.SerializeAsString());
  return true;
}

void raft_lane::attach(wire_port* w, std::optional<envelope_sealer> sealer) {
  std::lock_guard<std::mutex> guard{mu_};
  wire_ = w;
  sealer_ = std::move(sealer);
  routes_.clear();
}

void raft_lane::open(uint64_t raft_id, conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  if (wire_ != nullptr)
    routes_[raft_id] = c;
}

void raft_lane::close(conn_id c) {
  std::lock_guard<std::mutex> guard{mu_};
  for (auto i = routes_.begin(); i != routes_.end();)
    i = i->second == c ? routes_.erase(i) : std::next(i);
}

void raft_lane::clear() {
  std::lock_guard<std::mutex> guard{mu_};
  routes_.clear();
}

} // namespace actorswarm::net
