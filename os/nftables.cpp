#include "os/nftables.hpp"

#include <fcntl.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <unistd.h>

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

// libnftables keeps process-wide state (libxtables, its interface cache), so
// one run at a time.
std::mutex& nft_mutex() {
  static std::mutex m;
  return m;
}

// Calls `fn` in the network namespace `netns_fd` (-1: here). setns() changes
// only the calling thread's namespace, so a fresh thread does it and ends
// with it.
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

status to_status(const result<std::string>& x) {
  if (!x)
    return x.error();
  return ok_status();
}

// The legacy (x_tables) filter table of namespace `netns_fd`.
bool legacy_filter(int netns_fd) {
  std::function<result<bool>()> fn = []() -> result<bool> {
    std::ifstream in{"/proc/thread-self/net/ip_tables_names"};
    std::string line;
    for (int i = 0; i < 64 && std::getline(in, line); ++i)
      if (line == "filter")
        return true;
    return false;
  };
  auto x = in_netns<bool>(netns_fd, fn);
  return x.ok() && *x;
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
result<std::string> forward_chain(session& ns) {
  auto tables = ns.list("list tables ip");
  if (!tables)
    return tables.error();
  if (tables->find("table ip filter\n") == std::string::npos)
    return std::string{};
  auto chains = ns.list("list chains ip");
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
  return ns.list("list chain ip filter FORWARD", true);
}

std::string delete_rules(const std::vector<std::string>& handles, size_t from) {
  std::string out;
  for (size_t i = from; i < handles.size(); ++i)
    out += "delete rule ip filter FORWARD handle " + handles[i] + "\n";
  return out;
}

// Runs `fn` with a session opened for `netns_fd`, closed afterwards.
template <class T>
result<T> with_session(int netns_fd,
                       const std::function<result<T>(session&)>& fn) {
  auto s = session::open(netns_fd);
  if (!s)
    return s.error();
  return fn(**s);
}

} // namespace

// -- session ------------------------------------------------------------------

result<std::unique_ptr<session>> session::open(int netns_fd) {
  int fd = -1;
  if (netns_fd >= 0) {
    fd = ::fcntl(netns_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
      return fail(errc::internal,
                  std::string{"nftables: dup: "} + std::strerror(errno));
  }
  std::function<result<nft_ctx*>()> fn = []() -> result<nft_ctx*> {
    std::lock_guard<std::mutex> guard{nft_mutex()};
    // NFT_CTX_DEFAULT opens the netlink socket now, in this namespace.
    nft_ctx* ctx = ::nft_ctx_new(NFT_CTX_DEFAULT);
    if (ctx == nullptr)
      return fail(errc::internal, "nftables: cannot create a context");
    ::nft_ctx_buffer_output(ctx);
    ::nft_ctx_buffer_error(ctx);
    return ctx;
  };
  auto ctx = in_netns<nft_ctx*>(fd, fn);
  if (!ctx) {
    if (fd >= 0)
      ::close(fd);
    return ctx.error();
  }
  return std::unique_ptr<session>{new session(fd, *ctx)};
}

session::session(int netns_fd, nft_ctx* ctx) : netns_fd_(netns_fd), ctx_(ctx) {
  // nop
}

session::~session() {
  {
    std::lock_guard<std::mutex> guard{nft_mutex()};
    ::nft_ctx_free(ctx_);
  }
  if (netns_fd_ >= 0)
    ::close(netns_fd_);
}

result<std::string> session::exec(const std::string& script, bool dry_run,
                                  bool handles) {
  // Any thread will do: the context's netlink socket was opened in the
  // namespace and stays there (libnftables >= 0.9.9 never reopens it), and
  // our scripts name interfaces only by string (iifname), never resolve an
  // index in the calling thread's namespace.
  std::lock_guard<std::mutex> guard{nft_mutex()};
  ::nft_ctx_set_dry_run(ctx_, dry_run);
  ::nft_ctx_output_set_flags(ctx_, handles ? NFT_CTX_OUTPUT_HANDLE : 0);
  int rc = ::nft_run_cmd_from_buffer(ctx_, script.c_str());
  // Reading a buffer also rewinds it for the next run.
  std::string output = ::nft_ctx_get_output_buffer(ctx_);
  std::string error = ::nft_ctx_get_error_buffer(ctx_);
  if (rc != 0)
    return fail(errc::internal, "nftables: " + first_line(error.c_str()));
  return output;
}

status session::run(const std::string& script) {
  return to_status(exec(script, false, false));
}

status session::check(const std::string& script) {
  return to_status(exec(script, true, false));
}

result<std::string> session::list(const std::string& command, bool handles) {
  return exec(command, false, handles);
}

// -- one-shot wrappers --------------------------------------------------------

status run(int netns_fd, const std::string& script) {
  return with_session<unit_t>(netns_fd,
                              [&](session& s) { return s.run(script); });
}

status check(int netns_fd, const std::string& script) {
  return with_session<unit_t>(netns_fd,
                              [&](session& s) { return s.check(script); });
}

result<std::string> list(int netns_fd, const std::string& command,
                         bool handles) {
  return with_session<std::string>(netns_fd, [&](session& s) {
    return s.list(command, handles);
  });
}

status remove_table(int netns_fd, const std::string& table) {
  return with_session<unit_t>(netns_fd, [&](session& s) {
    return remove_table(s, table);
  });
}

status apply_vip(int netns_fd, const vip_state& x) {
  return with_session<unit_t>(netns_fd,
                              [&](session& s) { return apply_vip(s, x); });
}

result<forward_report> ensure_forward_accept(int netns_fd, uint32_t mark,
                                             const std::string& tag) {
  return with_session<forward_report>(netns_fd, [&](session& s) {
    return ensure_forward_accept(s, mark, tag);
  });
}

result<size_t> remove_forward_accept(int netns_fd, const std::string& tag) {
  return with_session<size_t>(netns_fd, [&](session& s) {
    return remove_forward_accept(s, tag);
  });
}

result<forward_report> apply_mesh(int host_fd, int sandbox_fd,
                                  const mesh_state& x) {
  return with_session<forward_report>(host_fd, [&](session& host) {
    if (sandbox_fd < 0)
      return apply_mesh(host, nullptr, x);
    return with_session<forward_report>(sandbox_fd, [&](session& sandbox) {
      return apply_mesh(host, &sandbox, x);
    });
  });
}

status remove_mesh(int host_fd, int sandbox_fd, const std::string& table) {
  return with_session<unit_t>(host_fd, [&](session& host) {
    if (sandbox_fd < 0)
      return remove_mesh(host, nullptr, table);
    return with_session<unit_t>(sandbox_fd, [&](session& sandbox) {
      return remove_mesh(host, &sandbox, table);
    });
  });
}

result<forward_report> apply_gateway(int host_fd, const gateway_state& x) {
  return with_session<forward_report>(host_fd, [&](session& host) {
    return apply_gateway(host, x);
  });
}

status remove_gateway(int host_fd, const std::string& table) {
  return with_session<unit_t>(host_fd, [&](session& host) {
    return remove_gateway(host, table);
  });
}

// -- rule sets ----------------------------------------------------------------

status remove_table(session& ns, const std::string& table) {
  auto script = render_delete(table);
  if (!script)
    return script.error();
  return ns.run(*script);
}

status apply_vip(session& ns, const vip_state& x) {
  auto script = render_vip(x);
  if (!script)
    return script.error();
  return ns.run(*script);
}

result<forward_report> ensure_forward_accept(session& host, uint32_t mark,
                                             const std::string& tag) {
  if (!is_table_name(tag))
    return fail(errc::invalid_spec, "invalid rule tag \"" + tag + "\"");
  forward_report rep;
  rep.legacy_filter = legacy_filter(host.netns_fd());
  auto chain = forward_chain(host);
  if (!chain)
    return chain.error();
  if (chain->empty())
    return rep;
  rep.chain_found = true;
  auto handles = tagged_handles(*chain, tag);
  // A rule with our tag that is not exactly ours (another mark) goes too.
  auto want = forward_accept_rule(mark, tag) + " # handle ";
  bool exact = !handles.empty()
               && chain->find(want + handles[0] + "\n") != std::string::npos;
  std::string script = delete_rules(handles, exact ? 1 : 0);
  if (!exact)
    script += "insert rule ip filter FORWARD " + forward_accept_rule(mark, tag)
              + "\n";
  if (script.empty())
    return rep;
  // One transaction: if the chain vanished meanwhile, nothing happens.
  if (auto done = host.run(script); !done)
    return done.error();
  rep.inserted = exact ? 0 : 1;
  rep.removed = handles.size() - (exact ? 1 : 0);
  return rep;
}

result<size_t> remove_forward_accept(session& host, const std::string& tag) {
  if (!is_table_name(tag))
    return fail(errc::invalid_spec, "invalid rule tag \"" + tag + "\"");
  auto chain = forward_chain(host);
  if (!chain)
    return chain.error();
  auto handles = tagged_handles(*chain, tag);
  if (handles.empty())
    return size_t{0};
  if (auto done = host.run(delete_rules(handles, 0)); !done)
    return done.error();
  return handles.size();
}

result<forward_report> apply_mesh(session& host, session* sandbox,
                                  const mesh_state& x) {
  auto host_script = render_host(x);
  if (!host_script)
    return host_script.error();
  if (sandbox == nullptr && !x.ingress_ports.empty())
    return fail(errc::invalid_spec,
                "ingress ports need the ingress sandbox namespace");
  // The sandbox first: the host sends nothing to a port it is not ready for.
  if (sandbox != nullptr) {
    auto script = render_sandbox(x);
    if (!script)
      return script.error();
    if (auto done = sandbox->run(*script); !done)
      return done.error();
  }
  if (auto done = host.run(*host_script); !done)
    return done.error();
  return ensure_forward_accept(host, x.mark, x.table);
}

status remove_mesh(session& host, session* sandbox, const std::string& table) {
  if (auto done = remove_table(host, table); !done)
    return done;
  if (auto n = remove_forward_accept(host, table); !n)
    return n.error();
  if (sandbox != nullptr)
    return remove_table(*sandbox, table);
  return ok_status();
}

result<forward_report> apply_gateway(session& host, const gateway_state& x) {
  auto script = render_gateway(x);
  if (!script)
    return script.error();
  if (auto done = host.run(*script); !done)
    return done.error();
  return ensure_forward_accept(host, x.mark, x.table);
}

status remove_gateway(session& host, const std::string& table) {
  if (auto done = remove_table(host, table); !done)
    return done;
  if (auto n = remove_forward_accept(host, table); !n)
    return n.error();
  return ok_status();
}

} // namespace actorswarm::nft
