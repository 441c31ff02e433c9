#include "cli/commands/invocation.hpp"

#include "messages/docker_text.hpp"

namespace actorswarm::cli {

int invocation::fail(const std::string& line) {
  err() << line << '\n';
  exit_code = 1;
  return 1;
}

std::string invocation::host() const {
  if (!host_flag.empty())
    return host_flag;
  if (!ctx_.host_env.empty())
    return ctx_.host_env;
  return default_host;
}

bool invocation::reply_ok(const pb::ControlReply& reply) {
  if (!reply.warning().empty())
    err() << "WARNING: " << reply.warning() << '\n';
  if (reply.code() != 0 && refused_ != nullptr) {
    *refused_ = reply;
    return false;
  }
  if (reply.code() != 0) {
    fail(docker_text::from_daemon(reply.error()));
    return false;
  }
  return true;
}

bool invocation::stream(
  const pb::ControlRequest& req,
  const std::function<bool(const pb::ControlReply&)>& on_reply) {
  auto addr = host();
  std::string path;
  if (!net::parse_unix_addr(addr, path)) {
    fail("invalid host \"" + addr + "\": only unix://PATH is supported");
    return false;
  }
  bool failed = false;
  auto handler = [&](const pb::ControlReply& reply) {
    if (!reply_ok(reply)) {
      failed = true;
      return false;
    }
    return on_reply(reply);
  };
  bool follow = req.has_logs() && req.logs().follow();
  auto outcome = ctx_.call(path, req, handler,
                           follow ? -1 : request_timeout_ms);
  if (failed)
    return false;
  switch (outcome.status) {
    case net::call_status::ok:
    case net::call_status::stopped:
      return true;
    case net::call_status::unreachable:
      fail("Cannot connect to the actorswarm daemon at " + addr
           + ". Is the actorswarm daemon running?");
      return false;
    default:
      fail("error during connect to " + addr + ": " + outcome.detail);
      return false;
  }
}

std::optional<pb::ControlReply>
invocation::call(const pb::ControlRequest& req) {
  std::optional<pb::ControlReply> last;
  auto ok = stream(req, [&](const pb::ControlReply& reply) {
    if (last)
      last->MergeFrom(reply); // several frames: concatenate their rows
    else
      last = reply;
    return true;
  });
  if (!ok)
    return std::nullopt;
  if (!last) {
    fail("error during connect to " + host() + ": empty reply");
    return std::nullopt;
  }
  return last;
}

std::optional<pb::ControlReply> invocation::call(const pb::ControlRequest& req,
                                                 pb::ControlReply& refused) {
  refused.Clear();
  refused_ = &refused;
  auto out = call(req);
  refused_ = nullptr;
  return out;
}

} // namespace actorswarm::cli
