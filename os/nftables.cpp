#include "os/nftables.hpp"

#include <nftables/libnftables.h>
#include <sched.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

namespace actorswarm::nft {

namespace {

// libnftables keeps process-wide state (libxtables, GMP allocators), so one
// run at a time.
std::mutex& nft_mutex() {
  static std::mutex m;
  return m;
}

// Calls `fn` in the network namespace `netns_fd` (-1: here). setns() changes
// only the calling thread's namespace, so a fresh thread does it and dies
// with it; the netlink socket libnftables opens inside fn belongs to the
// namespace the thread is in.
template <class T>
result<T> in_netns(int netns_fd, const std::function<result<T>()>& fn) {
  if (netns_fd < 0)
    return fn();
  result<T> out = fail(errc::internal, "nftables: no result");
  std::thread worker([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      out = fail(errc::internal,
                 std::string{"nftables: setns: "} + std::strerror(errno));
      return;
    }
    out = fn();
  });
  worker.join();
  return out;
}

// The first line of libnftables' error text (it repeats the input below).
std::string first_line(const char* text) {
  std::string x = text != nullptr ? text : "";
  auto nl = x.find('\n');
  if (nl != std::string::npos)
    x.resize(nl);
  return x.empty() ? "unknown error" : x;
}

struct run_options {
  bool dry_run = false;
  bool handles = false;
};

// One libnftables run of `script` in the calling thread's namespace.
result<std::string> run_here(const std::string& script, run_options opts) {
  std::lock_guard<std::mutex> guard{nft_mutex()};
  nft_ctx* ctx = ::nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr)
    return fail(errc::internal, "nftables: cannot create a context");
  ::nft_ctx_set_dry_run(ctx, opts.dry_run);
  if (opts.handles)
    ::nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_HANDLE);
  ::nft_ctx_buffer_output(ctx);
  ::nft_ctx_buffer_error(ctx);
  int rc = ::nft_run_cmd_from_buffer(ctx, script.c_str());
  result<std::string> out = std::string{::nft_ctx_get_output_buffer(ctx)};
  if (rc != 0)
    out = fail(errc::internal,
               "nftables: " + first_line(::nft_ctx_get_error_buffer(ctx)));
  ::nft_ctx_free(ctx);
  return out;
}

result<std::string> run_in(int netns_fd, const std::string& script,
                           run_options opts) {
  return in_netns<std::string>(netns_fd,
                               [&] { return run_here(script, opts); });
}

status to_status(const result<std::string>& x) {
  if (!x)
    return x.error();
  return ok_status();
}

// The legacy (x_tables) filter table of the calling thread's namespace.
bool legacy_filter_here() {
  std::ifstream in{"/proc/thread-self/net/ip_tables_names"};
  std::string line;
  for (int i = 0; i < 64 && std::getline(in, line); ++i)
    if (line == "filter")
      return true;
  return false;
}

// Handles of the rules in `listing` (text with handles) whose comment is
// exactly `tag`.
std::vector<std::string> tagged_handles(const std::string& listing,
                                        const std::string& tag) {
  std::vector<std::string> out;
  std::istringstream in{listing};
  std::string line;
  auto needle = "comment \"" + tag + "\" # handle ";
  while (std::getline(in, line)) {
    auto at = line.find(needle);
    if (at != std::string::npos)
      out.push_back(line.substr(at + needle.size()));
  }
  return out;
}

// The FORWARD chain of a host firewall, with handles, or "" if none.
result<std::string> forward_chain_here() {
  auto tables = run_here("list tables ip", {});
  if (!tables)
    return tables.error();
  if (tables->find("table ip filter\n") == std::string::npos)
    return std::string{};
  auto chains = run_here("list chains ip", {});
  if (!chains)
    return chains.error();
  // "list chains" prints each table with its chains' headers only.
  auto at = chains->find("table ip filter {\n");
  if (at == std::string::npos)
    return std::string{};
  auto end = chains->find("\n}", at);
  auto body = chains->substr(at, end == std::string::npos ? end : end - at);
  if (body.find("\tchain FORWARD {\n") == std::string::npos)
    return std::string{};
  return run_here("list chain ip filter FORWARD", {false, true});
}

std::string delete_rules(const std::vector<std::string>& handles, size_t from) {
  std::string out;
  for (size_t i = from; i < handles.size(); ++i)
    out += "delete rule ip filter FORWARD handle " + handles[i] + "\n";
  return out;
}

} // namespace

status run(int netns_fd, const std::string& script) {
  return to_status(run_in(netns_fd, script, {}));
}

status check(int netns_fd, const std::string& script) {
  return to_status(run_in(netns_fd, script, {true, false}));
}

result<std::string> list(int netns_fd, const std::string& command,
                         bool handles) {
  return run_in(netns_fd, command, {false, handles});
}

status remove_table(int netns_fd, const std::string& table) {
  auto script = render_delete(table);
  if (!script)
    return script.error();
  return run(netns_fd, *script);
}

status apply_vip(int netns_fd, const vip_state& x) {
  auto script = render_vip(x);
  if (!script)
    return script.error();
  return run(netns_fd, *script);
}

result<forward_report> ensure_forward_accept(int netns_fd, uint32_t mark,
                                             const std::string& tag) {
  if (!is_table_name(tag))
    return fail(errc::invalid_spec, "invalid rule tag \"" + tag + "\"");
  std::function<result<forward_report>()> fn = [&]() -> result<forward_report> {
    forward_report rep;
    rep.legacy_filter = legacy_filter_here();
    auto chain = forward_chain_here();
    if (!chain)
      return chain.error();
    if (chain->empty())
      return rep;
    rep.chain_found = true;
    auto handles = tagged_handles(*chain, tag);
    // A rule of ours that is not ours exactly (another mark) goes too.
    auto want = forward_accept_rule(mark, tag) + " # handle ";
    bool exact = handles.size() >= 1
                 && chain->find(want + handles[0]) != std::string::npos;
    std::string script = delete_rules(handles, exact ? 1 : 0);
    if (!exact)
      script += "insert rule ip filter FORWARD "
                + forward_accept_rule(mark, tag) + "\n";
    if (script.empty())
      return rep;
    // One transaction: if the chain vanished meanwhile, nothing happens.
    auto done = run_here(script, {});
    if (!done)
      return done.error();
    rep.inserted = exact ? 0 : 1;
    rep.removed = handles.size() - (exact ? 1 : 0);
    return rep;
  };
  return in_netns<forward_report>(netns_fd, fn);
}

result<size_t> remove_forward_accept(int netns_fd, const std::string& tag) {
  if (!is_table_name(tag))
    return fail(errc::invalid_spec, "invalid rule tag \"" + tag + "\"");
  std::function<result<size_t>()> fn = [&]() -> result<size_t> {
    auto chain = forward_chain_here();
    if (!chain)
      return chain.error();
    auto handles = tagged_handles(*chain, tag);
    if (handles.empty())
      return size_t{0};
    auto done = run_here(delete_rules(handles, 0), {});
    if (!done)
      return done.error();
    return handles.size();
  };
  return in_netns<size_t>(netns_fd, fn);
}

result<forward_report> apply_mesh(int host_fd, int sandbox_fd,
                                  const mesh_state& x) {
  auto host = render_host(x);
  if (!host)
    return host.error();
  if (sandbox_fd < 0 && !x.ingress_ports.empty())
    return fail(errc::invalid_spec,
                "ingress ports need the ingress sandbox namespace");
  // The sandbox first: the host sends nothing to a port it is not ready for.
  if (sandbox_fd >= 0) {
    auto sandbox = render_sandbox(x);
    if (!sandbox)
      return sandbox.error();
    if (auto done = run(sandbox_fd, *sandbox); !done)
      return done.error();
  }
  if (auto done = run(host_fd, *host); !done)
    return done.error();
  return ensure_forward_accept(host_fd, x.mark, x.table);
}

status remove_mesh(int host_fd, int sandbox_fd, const std::string& table) {
  if (auto done = remove_table(host_fd, table); !done)
    return done;
  if (auto n = remove_forward_accept(host_fd, table); !n)
    return n.error();
  if (sandbox_fd >= 0)
    return remove_table(sandbox_fd, table);
  return ok_status();
}

} // namespace actorswarm::nft
