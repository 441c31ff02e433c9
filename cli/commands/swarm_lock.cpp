// `actorswarm swarm unlock-key [--rotate] [-q]` and `actorswarm swarm
// unlock`, after docker/cli's cli/command/swarm/unlock_key.go and unlock.go;
// `--autolock` of init and update lives in swarm.cpp.
//
// Reply fields the CLI reads: unlock-key: unlock_key. unlock: nothing (the
// daemon answers once its manager components start, or with the error).

#include <memory>

#include "cli/commands/commands.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

struct lock_opts {
  bool quiet = false;
  bool rotate = false;
};

int unlock_key(invocation& inv, const lock_opts& o) {
  pb::ControlRequest req;
  req.mutable_unlock_key()->set_rotate(o.rotate);
  auto reply = inv.call(req);
  if (!reply)
    return 1;
  if (reply->unlock_key().empty())
    return inv.fail(docker_text::no_unlock_key());
  if (o.quiet) {
    inv.out() << reply->unlock_key() << '\n';
    return 0;
  }
  if (o.rotate)
    inv.out() << "Successfully rotated manager unlock key.\n\n";
  inv.out() << docker_text::unlock_key_instructions(reply->unlock_key());
  return 0;
}

int unlock(invocation& inv) {
  // Docker asks the daemon's state first, so a wrong call never prompts.
  pb::ControlRequest info_req;
  info_req.mutable_info();
  auto info = inv.call(info_req);
  if (!info)
    return 1;
  if (!info->info().locked())
    return inv.fail(info->info().in_swarm()
                      ? "Error: swarm is not locked"
                      : "Error: This node is not part of a swarm");
  if (!inv.ctx().read_key)
    return inv.fail("Error: cannot read the unlock key");
  auto key = inv.ctx().read_key("Please enter unlock key: ");
  if (!key)
    return inv.fail("Error: cannot read the unlock key");
  pb::ControlRequest req;
  req.mutable_swarm_unlock()->set_key(*key);
  return inv.call(req) ? 0 : 1;
}

} // namespace

void add_swarm_lock_commands(CLI::App& swarm, invocation& inv) {
  auto o = std::make_shared<lock_opts>();
  add_leaf(
    swarm, "unlock-key", "Manage the unlock key", inv,
    [&inv, o](const CLI::App*) { return unlock_key(inv, *o); },
    [o](CLI::App* uk) {
      uk->add_flag("-q,--quiet", o->quiet, "Only display token");
      uk->add_flag("--rotate", o->rotate, "Rotate unlock key");
    });
  add_leaf(swarm, "unlock", "Unlock swarm", inv,
           [&inv](const CLI::App*) { return unlock(inv); });
}

} // namespace actorswarm::cli
