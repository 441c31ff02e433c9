#include "cli/commands/command_plan.hpp"

#include <algorithm>

namespace actorswarm::cli {

namespace {

// `-h`, `--help`, `--help-all`, or a cluster of short flags such as `-qh`
// (CLI11 splits those). Over-matching only builds more than needed.
bool asks_help(const std::string& arg) {
  if (arg.rfind("--help", 0) == 0)
    return true;
  return arg.size() > 1 && arg[0] == '-' && arg[1] != '-'
         && arg.find('h') != std::string::npos;
}

} // namespace

command_plan::command_plan(int argc, const char* const* argv) : all_(false) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (asks_help(arg)) {
      all_ = true;
      words_.clear();
      return;
    }
    words_.push_back(std::move(arg));
  }
}

bool command_plan::builds(const std::string& names) const {
  if (all_)
    return true;
  for (const auto& name : command_names(names))
    if (std::find(words_.begin(), words_.end(), name) != words_.end())
      return true;
  return false;
}

std::vector<std::string> command_names(const std::string& names) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= names.size()) {
    auto comma = names.find(',', start);
    if (comma == std::string::npos)
      comma = names.size();
    if (comma > start)
      out.push_back(names.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

} // namespace actorswarm::cli
