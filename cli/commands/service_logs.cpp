// `actorswarm service logs [-f] [-t] [--tail N] [--since T] [--raw]
// [--no-task-ids] [--no-trunc] SERVICE|TASK`, as docker's.

#include "cli/commands/commands.hpp"
#include "cli/logs_format.hpp"
#include "messages/docker_text.hpp"

namespace actorswarm::cli {

namespace {

size_t digits_of(uint64_t n) {
  return std::to_string(n).size();
}

} // namespace

int service_logs(invocation& inv, const CLI::App* app,
                 const std::vector<std::string>& refs,
                 const logs_options& opts) {
  if (refs.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  auto tail = parse_tail(opts.tail);
  if (!tail)
    return inv.fail(docker_text::from_daemon(tail.error().message));
  int64_t since_ns = 0;
  if (!opts.since.empty()) {
    auto s = parse_since_ns(opts.since, inv.ctx().wall_now_ns());
    if (!s)
      return inv.fail(s.error().message);
    since_ns = std::max<int64_t>(*s, 0);
  }
  pb::ControlRequest req;
  auto* lr = req.mutable_logs();
  lr->set_ref(refs[0]);
  lr->set_follow(opts.follow);
  lr->set_tail(*tail);
  lr->set_timestamps(opts.timestamps);
  lr->set_since_ns(since_ns);
  log_format f;
  f.timestamps = opts.timestamps;
  f.raw = opts.raw;
  f.task_ids = !opts.no_task_ids;
  f.trunc = !opts.no_trunc;
  bool warned = false;
  bool ok = inv.stream(req, [&](const pb::ControlReply& reply) {
    // The first frame names the service: its replica count pads the slots.
    for (const auto& s : reply.services())
      f.slot_width = std::max(f.slot_width, digits_of(s.desired()));
    for (const auto& l : reply.log_lines())
      inv.out() << log_line_text(l, f) << '\n';
    inv.out() << std::flush;
    if (!reply.text().empty()) {
      // Nodes that did not answer: docker's stream error, and go on.
      inv.err() << "error from daemon in stream: Error grabbing logs: "
                << reply.text() << '\n';
      warned = true;
    }
    return true;
  });
  if (ok && warned)
    inv.exit_code = 1;
  return ok && !warned ? 0 : 1;
}

} // namespace actorswarm::cli
