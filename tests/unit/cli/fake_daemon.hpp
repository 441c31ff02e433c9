#pragma once

// A scripted daemon for CLI tests: records requests, answers through a
// handler, and a context with captured streams and a fake clock.

#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"

namespace actorswarm::cli::test {

struct fake_daemon {
  std::vector<pb::ControlRequest> requests;
  std::vector<std::string> paths;
  /// Returns the reply frames for a request (default: one empty reply).
  std::function<std::vector<pb::ControlReply>(const pb::ControlRequest&)> on;
  bool unreachable = false;
  std::ostringstream out;
  std::ostringstream err;
  int64_t clock_ns = 1'700'000'000'000'000'000;
  int64_t slept_ns = 0;
  /// What `swarm unlock` reads as the key; none: stdin fails.
  std::optional<std::string> key_input;
  std::vector<std::string> key_prompts;

  context make_context() {
    context ctx;
    ctx.out = &out;
    ctx.err = &err;
    ctx.call = [this](const std::string& path, const pb::ControlRequest& req,
                      const net::reply_handler& h, int) {
      paths.push_back(path);
      if (unreachable)
        return net::call_outcome{net::call_status::unreachable, "refused"};
      requests.push_back(req);
      auto replies = on ? on(req) : std::vector<pb::ControlReply>{{}};
      for (size_t i = 0; i < replies.size(); ++i) {
        replies[i].set_more(i + 1 < replies.size());
        if (!h(replies[i]))
          return net::call_outcome{net::call_status::stopped, ""};
      }
      return net::call_outcome{net::call_status::ok, ""};
    };
    ctx.wall_now_ns = [this] { return clock_ns; };
    ctx.mono_now_ns = [this] { return clock_ns; };
    ctx.sleep_ns = [this](int64_t ns) {
      clock_ns += ns;
      slept_ns += ns;
    };
    ctx.read_key = [this](const std::string& prompt) {
      key_prompts.push_back(prompt);
      return key_input;
    };
    return ctx;
  }

  /// Runs one command line, e.g. run({"service", "ls"}).
  int run(std::vector<std::string> args) {
    args.insert(args.begin(), "actorswarm");
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    auto ctx = make_context();
    return cli::run(static_cast<int>(argv.size()), argv.data(), ctx);
  }
};

} // namespace actorswarm::cli::test
