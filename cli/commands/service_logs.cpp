// `actorswarm service logs [-f] [--tail N] [--timestamps] SERVICE|TASK`.

#include <ctime>

#include "cli/commands/commands.hpp"
#include "cli/output/views.hpp"

namespace actorswarm::cli {

namespace {

// RFC 3339 with nanoseconds in UTC, as docker's --timestamps.
std::string rfc3339_ns(int64_t ts_ns) {
  std::time_t secs = static_cast<std::time_t>(ts_ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%09lldZ",
                static_cast<long long>(ts_ns % 1'000'000'000));
  return std::string{buf} + frac;
}

} // namespace

std::string log_line_text(const pb::LogLine& l, bool timestamps) {
  std::string out;
  if (timestamps)
    out += rfc3339_ns(l.timestamp_ns()) + " ";
  out += l.task_name() + "." + output::short_id(l.task_id()) + "@"
         + l.node_name() + " | " + l.text();
  return out;
}

int service_logs(invocation& inv, const CLI::App* app,
                 const std::vector<std::string>& refs, int64_t tail,
                 bool follow, bool timestamps) {
  if (refs.size() != 1)
    return usage_error(inv, app,
                       "\"" + command_path(app)
                         + "\" requires exactly 1 argument.");
  pb::ControlRequest req;
  auto* lr = req.mutable_logs();
  lr->set_ref(refs[0]);
  lr->set_follow(follow);
  lr->set_tail(tail);
  lr->set_timestamps(timestamps);
  bool ok = inv.stream(req, [&](const pb::ControlReply& reply) {
    for (const auto& l : reply.log_lines())
      inv.out() << log_line_text(l, timestamps) << '\n';
    inv.out() << std::flush;
    return true;
  });
  return ok ? 0 : 1;
}

} // namespace actorswarm::cli
