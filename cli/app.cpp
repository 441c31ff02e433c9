#include "cli/app.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include <termios.h>
#include <unistd.h>

#include "cli/commands/commands.hpp"

namespace actorswarm::cli {

namespace {

// The deepest subcommand that the parser entered, for `See '... --help'.`.
const CLI::App* deepest(const CLI::App* app) {
  // Commands nest at most three deep (root, noun, verb); bound the walk.
  for (int depth = 0; depth < 8; ++depth) {
    auto subs = app->get_subcommands();
    if (subs.empty())
      return app;
    app = subs.front();
  }
  return app;
}

// CLI11's wording -> docker's for the common cases.
std::string docker_message(const CLI::ParseError& e, const CLI::App* at) {
  std::string what = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    // "The following argument(s) was/were not expected: bogus ..."
    auto colon = what.find(": ");
    auto word = colon == std::string::npos ? what : what.substr(colon + 2);
    word = word.substr(0, word.find(' '));
    if (at->get_parent() == nullptr)
      return "actorswarm: '" + word + "' is not an actorswarm command.";
    return "unknown command \"" + word + "\" for \"" + command_path(at) + "\"";
  }
  // refuse_empty: "--replicas: invalid argument ..." is pflag's line after
  // CLI11's "<name>: ".
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    auto at_msg = what.find(": invalid argument ");
    if (at_msg != std::string::npos)
      return what.substr(at_msg + 2);
  }
  // CLI11: "--replicas: 1 required TEXT missing" / "... requires 1 argument"
  auto colon = what.find(':');
  if (colon != std::string::npos && what.rfind("--", 0) == 0
      && what.find("missing") != std::string::npos)
    return "flag needs an argument: " + what.substr(0, colon);
  return what;
}

} // namespace

std::string command_path(const CLI::App* app) {
  std::string path;
  for (int depth = 0; app != nullptr && depth < 8; ++depth) {
    path = app->get_name() + (path.empty() ? "" : " " + path);
    app = app->get_parent();
  }
  return path;
}

int usage_error(invocation& inv, const CLI::App* app,
                const std::string& message) {
  inv.err() << message << '\n' << "See '" << command_path(app) << " --help'.\n";
  inv.exit_code = 1;
  return 1;
}

namespace {

// Parses `argv` against `app`, whose commands record their exit code in `inv`.
int parse_and_run(CLI::App& app, invocation& inv, int argc,
                  const char* const* argv) {
  auto& ctx = inv.ctx();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e, *ctx.out, *ctx.err);
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e, *ctx.out, *ctx.err);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    *ctx.out << e.what() << '\n';
    return 0;
  } catch (const CLI::ParseError& e) {
    auto* at = deepest(&app);
    return usage_error(inv, at, docker_message(e, at));
  }
  if (app.get_subcommands().empty()) {
    *ctx.out << app.help();
    return 0;
  }
  return inv.exit_code;
}

} // namespace

int run(int argc, const char* const* argv, context& ctx) {
  return run(argc, argv, ctx, command_plan{argc, argv});
}

int run(int argc, const char* const* argv, context& ctx,
        const command_plan& plan) {
  invocation inv{ctx};
  inv.plan = plan;
  CLI::App app{"A self-sufficient runtime for clusters of host processes",
               "actorswarm"};
  app.add_option("-H,--host", inv.host_flag,
                 "Daemon socket to connect to (unix://PATH)");
  app.set_version_flag("-v,--version", "actorswarm version 0.1.0");
  app.require_subcommand(0, 1);
  add_daemon_command(app, inv);
  add_swarm_commands(app, inv);
  add_node_commands(app, inv);
  add_service_commands(app, inv);
  add_network_commands(app, inv);
  add_stack_commands(app, inv);
  return parse_and_run(app, inv, argc, argv);
}

int run_daemon_binary(int argc, const char* const* argv, context& ctx) {
  // The same parser as `actorswarm daemon ...`, so both validate alike.
  std::vector<const char*> args{argv, argv + argc};
  args.insert(args.begin() + (argc > 0 ? 1 : 0), "daemon");
  invocation inv{ctx};
  CLI::App app{"Runs the actorswarm daemon", "actorswarm"};
  app.require_subcommand(1, 1);
  add_daemon_command(app, inv);
  return parse_and_run(app, inv, static_cast<int>(args.size()), args.data());
}

namespace {

std::string trimmed(std::string x) {
  auto ws = " \t\r\n";
  x.erase(0, x.find_first_not_of(ws));
  x.erase(x.find_last_not_of(ws) + 1);
  return x;
}

// docker/cli's readKey: on a terminal the prompt and no echo; else a line.
std::optional<std::string> read_key_from_stdin(const std::string& prompt) {
  std::string line;
  if (::isatty(STDIN_FILENO) != 1) {
    if (!std::getline(std::cin, line) && line.empty())
      return std::nullopt;
    return trimmed(line);
  }
  std::cout << prompt << std::flush;
  termios old{};
  bool echo_off = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (echo_off) {
    auto quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    echo_off = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (echo_off)
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::cout << '\n' << std::flush;
  if (!ok)
    return std::nullopt;
  return trimmed(line);
}

} // namespace

context system_context() {
  context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  if (const char* h = std::getenv("ACTORSWARM_HOST"))
    ctx.host_env = h;
  ctx.out_is_tty = ::isatty(STDOUT_FILENO) == 1;
  ctx.call = net::control_call;
  ctx.wall_now_ns = [] {
    return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count());
  };
  ctx.mono_now_ns = [] {
    return static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count());
  };
  ctx.sleep_ns = [](int64_t ns) {
    std::this_thread::sleep_for(std::chrono::nanoseconds{ns});
  };
  ctx.read_key = read_key_from_stdin;
  ctx.lookup_env = [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str()))
      return std::string{v};
    return std::nullopt;
  };
  return ctx;
}

} // namespace actorswarm::cli
