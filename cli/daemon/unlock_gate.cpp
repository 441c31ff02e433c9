#include "cli/daemon/unlock_gate.hpp"

#include "caf/all.hpp"

#include "actors/control/decision.hpp"
#include "messages/docker_text.hpp"
#include "messages/log.hpp"
#include "persistence/data_dir.hpp"

namespace actorswarm::cli {

bool unlock_slot::fill(std::shared_ptr<persistence::data_dir> dir) {
  {
    std::lock_guard<std::mutex> guard{mu_};
    if (dir_)
      return false;
    dir_ = std::move(dir);
  }
  if (on_unlocked_)
    on_unlocked_();
  return true;
}

std::shared_ptr<persistence::data_dir> unlock_slot::dir() const {
  std::lock_guard<std::mutex> guard{mu_};
  return dir_;
}

namespace {

pb::ControlReply not_locked() {
  return control::error_reply(fail(errc::refused,
                                   docker_text::swarm_not_locked()));
}

pb::ControlReply unlock(const std::string& path, const std::string& key,
                        unlock_slot& slot) {
  if (slot.dir())
    return not_locked();
  persistence::data_dir_options opts;
  opts.unlock_key = key;
  auto dir = persistence::data_dir::open(path, true, opts);
  if (!dir) {
    logger("daemon")->error("swarm unlock: {}", dir.error().message);
    return control::error_reply(dir.error());
  }
  logger("daemon")->info("data dir {} unlocked", path);
  if (!slot.fill(std::move(*dir)))
    return not_locked();
  return pb::ControlReply{};
}

control_handle::behavior_type gate(std::string path,
                                   std::shared_ptr<unlock_slot> slot) {
  return {
    [=](control_atom, const pb::ControlRequest& req) -> pb::ControlReply {
      if (req.has_info()) {
        pb::ControlReply r;
        r.mutable_info()->set_in_swarm(true);
        r.mutable_info()->set_is_manager(true);
        r.mutable_info()->set_locked(slot->dir() == nullptr);
        r.mutable_info()->set_data_dir(path);
        return r;
      }
      if (req.has_swarm_unlock())
        return unlock(path, req.swarm_unlock().key(), *slot);
      return control::error_reply(fail(errc::refused,
                                       docker_text::swarm_locked()));
    },
  };
}

} // namespace

control_handle spawn_unlock_gate(caf::actor_system& sys, std::string path,
                                 std::shared_ptr<unlock_slot> slot) {
  return sys.spawn(gate, std::move(path), std::move(slot));
}

} // namespace actorswarm::cli
