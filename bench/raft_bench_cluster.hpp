#pragma once

// Real manager daemons for bench/raft_bench.cpp: each its own data dir,
// control socket and cluster port on 127.0.0.1, started and stopped by PID.
// The first runs `swarm init`, the others `swarm join` with the manager
// token. Leader and reachability come from NodeList (MANAGER STATUS), as
// `actorswarm node ls` shows them. Every wait is bounded in time.

#include <string>
#include <vector>

#include "bench/cluster_bench_util.hpp"

namespace actorswarm::bench {

/// One daemon this bench started.
struct manager {
  std::string dir, data_dir, socket, log, addr;
  std::string raft_id; ///< decimal, from node ls once joined
  pid_t pid = -1;
  bool stopped = false; ///< SIGSTOPped by the bench
};

/// The daemons plus what they share.
struct cluster {
  std::string binary, root;
  int tick_ms = 0;            ///< 0: the daemon's default tick
  long snapshot_interval = 0; ///< 0: the daemon's default (10,000 entries)
  bool autolock = false;      ///< `swarm init --autolock`
  std::vector<manager> m;
  std::string token; ///< manager join token
};

/// One control call with a `timeout_ms` bound; false on any failure or error
/// reply (the reply is kept for its error text).
inline bool call(const manager& m, const pb::ControlRequest& req,
                 pb::ControlReply& rep, int timeout_ms = 5'000) {
  return control(m.socket, req, rep, timeout_ms);
}

/// Creates the temp root ($TMPDIR or /tmp, raftbench.XXXXXX).
inline bool make_root(cluster& c) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp ? tmp : "/tmp") + "/raftbench.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return false;
  c.root = tmpl;
  return true;
}

/// Starts (or restarts on its data dir) daemon `i` and waits at most 10 s
/// until its control socket answers Info.
inline bool start_daemon(cluster& c, size_t i) {
  auto& m = c.m[i];
  if (m.dir.empty()) {
    m.dir = c.root + "/m" + std::to_string(i);
    ::mkdir(m.dir.c_str(), 0755);
    m.data_dir = m.dir + "/data";
    m.socket = m.dir + "/ctl.sock";
    m.log = m.dir + "/daemon.log";
    m.addr = "127.0.0.1:" + std::to_string(free_port());
  }
  std::vector<std::string> argv{c.binary,         "daemon",
                                "--data-dir",     m.data_dir,
                                "--control-addr", "unix://" + m.socket,
                                "--listen-addr",  m.addr};
  if (c.tick_ms > 0) {
    argv.push_back("--tick-ms");
    argv.push_back(std::to_string(c.tick_ms));
  }
  if (c.snapshot_interval > 0) {
    argv.push_back("--snapshot-interval");
    argv.push_back(std::to_string(c.snapshot_interval));
  }
  m.pid = spawn(argv, m.log);
  m.stopped = false;
  if (m.pid < 0)
    return false;
  pb::ControlRequest req;
  req.mutable_info();
  auto t0 = steady::now();
  while (!stop_requested && ms_since(t0) < 10'000) {
    pb::ControlReply rep;
    if (call(m, req, rep, 1'000))
      return true;
    sleep_ms(10);
  }
  return false;
}

/// `swarm init` on daemon 0, then fetches the manager join token.
inline bool init_swarm(cluster& c) {
  pb::ControlRequest req;
  req.mutable_swarm_init()->set_autolock(c.autolock);
  pb::ControlReply rep;
  if (!call(c.m[0], req, rep, 30'000)) {
    progress("swarm init failed: " + rep.error());
    return false;
  }
  pb::ControlRequest tok;
  tok.mutable_join_token()->set_role(pb::NodeSpec::MANAGER);
  if (!call(c.m[0], tok, rep)) {
    progress("join-token failed: " + rep.error());
    return false;
  }
  c.token = rep.cluster().join_tokens().manager();
  if (c.token.empty())
    c.token = rep.text();
  return !c.token.empty();
}

/// `swarm join --token T <remote>` on daemon `i`; the reply comes once the
/// daemon has joined (or failed). Bounded by `timeout_ms`.
inline bool join_swarm(cluster& c, size_t i, const std::string& remote,
                       int timeout_ms = 60'000) {
  pb::ControlRequest req;
  auto* j = req.mutable_swarm_join();
  j->set_token(c.token);
  j->set_remote_addr(remote);
  j->set_listen_addr(c.m[i].addr);
  j->set_advertise_addr(c.m[i].addr);
  pb::ControlReply rep;
  if (!call(c.m[i], req, rep, timeout_ms)) {
    progress("swarm join of m" + std::to_string(i) + " failed: " + rep.error());
    return false;
  }
  return true;
}

/// True while daemon `i` runs and is not stopped.
inline bool live(const cluster& c, size_t i) {
  return c.m[i].pid > 0 && !c.m[i].stopped;
}

/// Index of the daemon whose cluster address is `addr`, or -1.
inline int index_of_addr(const cluster& c, const std::string& addr) {
  for (size_t i = 0; i < c.m.size(); ++i)
    if (c.m[i].addr == addr)
      return static_cast<int>(i);
  return -1;
}

/// The Raft id of the leader as daemon `m` last logged it (its raft log
/// line `role=R lead=ID term=T`); 0 when none is known.
inline std::string logged_lead(const manager& m) {
  std::ifstream in(m.log);
  std::string line, lead;
  while (std::getline(in, line)) {
    auto at = line.find("[raft] [info] role=");
    auto l = line.find(" lead=", at == std::string::npos ? 0 : at);
    if (at != std::string::npos && l != std::string::npos)
      lead = line.substr(l + 6, line.find(' ', l + 6) - (l + 6));
  }
  return lead.empty() ? "0" : lead;
}

/// Fills raft_id -> daemon from `node ls` (stored manager_status.raft_id
/// and addr); true when every daemon is known.
inline bool learn_raft_ids(cluster& c, size_t from) {
  pb::ControlRequest req;
  req.mutable_node_list();
  pb::ControlReply rep;
  if (!call(c.m[from], req, rep, 2'000))
    return false;
  size_t known = 0;
  for (auto& n : rep.nodes())
    for (auto& m : c.m)
      if (n.manager_status().addr() == m.addr
          && n.manager_status().raft_id() != 0) {
        m.raft_id = std::to_string(n.manager_status().raft_id());
        ++known;
      }
  return known == c.m.size();
}

/// The leader as daemon `from` sees it: the Raft leader id of its latest
/// raft log line, mapped to a daemon (`node ls` MANAGER STATUS is not the
/// live Raft view yet: it keeps showing the stored Leader after a kill).
/// One manager: itself once it answers. -1 when unknown.
inline int leader_seen_by(const cluster& c, size_t from) {
  if (c.m.size() == 1) {
    pb::ControlRequest info;
    info.mutable_info();
    pb::ControlReply rep;
    return call(c.m[from], info, rep, 1'000) && rep.info().is_manager() ? 0
                                                                        : -1;
  }
  auto lead = logged_lead(c.m[from]);
  for (size_t i = 0; i < c.m.size(); ++i)
    if (!c.m[i].raft_id.empty() && c.m[i].raft_id == lead)
      return static_cast<int>(i);
  return -1;
}

/// The leader on which the live daemons that answer agree, polled every
/// 20 ms for at most `timeout_ms`; -1 when none.
inline int find_leader(const cluster& c, double timeout_ms) {
  auto t0 = steady::now();
  while (!stop_requested && ms_since(t0) < timeout_ms) {
    int agreed = -1;
    bool ok = true;
    for (size_t i = 0; i < c.m.size() && ok; ++i) {
      if (!live(c, i))
        continue;
      int l = leader_seen_by(c, i);
      if (l < 0 || !live(c, static_cast<size_t>(l))
          || (agreed >= 0 && l != agreed))
        ok = false;
      agreed = l;
    }
    if (ok && agreed >= 0)
      return agreed;
    sleep_ms(20);
  }
  return -1;
}

/// Reachability of daemon `i` as the live manager `from` reports it.
inline bool reachable_from(const cluster& c, size_t from, size_t i) {
  pb::ControlRequest req;
  req.mutable_node_list();
  pb::ControlReply rep;
  if (!call(c.m[from], req, rep, 1'000))
    return false;
  for (auto& n : rep.nodes())
    if (n.manager_status().addr() == c.m[i].addr)
      return n.manager_status().leader()
             || n.manager_status().reachability()
                  == pb::ManagerStatus::REACHABLE;
  return false;
}

/// Waits at most `timeout_ms` until every live daemon lists every live
/// daemon as Reachable or Leader.
inline bool wait_all_reachable(const cluster& c, double timeout_ms) {
  if (c.m.size() == 1)
    return true;
  auto t0 = steady::now();
  while (!stop_requested && ms_since(t0) < timeout_ms) {
    bool ok = true;
    for (size_t a = 0; a < c.m.size() && ok; ++a)
      for (size_t b = 0; b < c.m.size() && ok; ++b)
        if (live(c, a) && live(c, b))
          ok = reachable_from(c, a, b);
    if (ok)
      return true;
    sleep_ms(20);
  }
  return false;
}

/// SIGKILLs daemon `i` and reaps it.
inline void kill9(cluster& c, size_t i) {
  auto& m = c.m[i];
  if (m.pid <= 0)
    return;
  ::kill(m.pid, SIGKILL);
  wait_child(m.pid, 5'000);
  m.pid = -1;
}

/// Stops every daemon (SIGCONT, SIGTERM, SIGKILL after 10 s) by PID and
/// removes the temp root unless RAFTBENCH_KEEP is set.
inline void stop_all(cluster& c) {
  for (auto& m : c.m)
    if (m.pid > 0) {
      ::kill(m.pid, SIGCONT);
      ::kill(m.pid, SIGTERM);
    }
  for (auto& m : c.m)
    if (m.pid > 0) {
      if (wait_child(m.pid, 10'000) == -1)
        progress("daemon " + m.addr + " did not stop on SIGTERM; killed");
      m.pid = -1;
    }
  if (c.root.empty())
    return;
  if (std::getenv("RAFTBENCH_KEEP") == nullptr)
    run({"/bin/rm", "-rf", c.root}, "/dev/null");
  else
    progress("kept " + c.root);
}

/// Starts `n` daemons, inits the swarm on the first and joins the others
/// one at a time, then waits until all are Reachable.
inline bool start_cluster(cluster& c, size_t n) {
  if (!make_root(c))
    return false;
  c.m.resize(n);
  for (size_t i = 0; i < n; ++i)
    if (!start_daemon(c, i)) {
      progress("daemon m" + std::to_string(i) + " did not answer; log "
               + c.m[i].log);
      return false;
    }
  if (!init_swarm(c))
    return false;
  for (size_t i = 1; i < n; ++i)
    if (!join_swarm(c, i, c.m[0].addr))
      return false;
  if (!wait_all_reachable(c, 30'000))
    return false;
  auto t0 = steady::now();
  while (n > 1 && !learn_raft_ids(c, 0)) {
    if (ms_since(t0) > 10'000)
      return false;
    sleep_ms(20);
  }
  return true;
}

} // namespace actorswarm::bench
