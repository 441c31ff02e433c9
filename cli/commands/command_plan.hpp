#pragma once

// Which commands one CLI invocation builds (issue #7, the CLI's own cost).
// Registering every command's flags with CLI11 costs more than the request
// itself, so a call builds in full only the commands its argv names. This
// changes no output: CLI11 enters a subcommand only when an argument equals
// its name or an alias, so a command whose name is not in argv can never be
// entered; it is still added by name, aliases and description, which is all
// a parent's help shows. Help flags build everything.

#include <string>
#include <vector>

namespace actorswarm::cli {

class command_plan {
public:
  /// Builds every command (help, the daemon binary's parser).
  command_plan() = default;

  /// Plans for `argv` (`argv[0]` is the program name): every command when a
  /// help flag is present (`-h`, `--help...`, or a short-flag cluster with
  /// an `h`), else only the commands named by some argument.
  command_plan(int argc, const char* const* argv);

  /// Whether the command `names` (its name, then its aliases, comma
  /// separated: "ls,list") gets its flags, positionals and subcommands.
  bool builds(const std::string& names) const;

  /// True when every command is built.
  bool all() const {
    return all_;
  }

private:
  bool all_ = true;
  std::vector<std::string> words_;
};

/// Splits "ls,list" into {"ls", "list"}.
std::vector<std::string> command_names(const std::string& names);

} // namespace actorswarm::cli
