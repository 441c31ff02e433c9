// Cluster: the issue #8 probes against a real daemon's cluster port and
// control socket. Each probe must change nothing and cost the daemon that
// one connection: plain TCP garbage, floods of garbage and idle
// connections, a TLS client without a certificate sending PROPOSE and ROLE,
// a certificate from an unrelated CA, a 2 GiB frame header, a thousand
// half-open connections, a worker's own certificate sending Raft with a huge
// term, a proposal and another node's task status. Afterwards the swarm
// still serves. Every loop and wait is bounded; traffic goes to 127.0.0.x.

#include "cluster/probe_client.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace actorswarm::test::probe;
using namespace std::chrono_literals;

TEST_CASE("cluster: garbage, floods, certificate-less and foreign-CA peers "
          "on the cluster port change nothing and cost their connection",
          "[cluster]") {
  cluster_fixture f;
  f.set_daemon_flags({"--handshake-timeout", "1s"});
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  const auto host = std::string{"127.0.0.1"};
  const int port = f.port();
  const pid_t pid = f.daemon_pid();
  REQUIRE(f.cli({"service", "create", "-d", "--name", "web", "--replicas", "1",
                 "--restart-delay", "0s", "host", "sleep", "3600"})
            .exit_code
          == 0);
  REQUIRE(f.wait_replicas("web", "1/1"));
  auto term = raft_term(f);
  REQUIRE(term > 0);
  auto cluster = cluster_id_of(f);
  REQUIRE_FALSE(cluster.empty());
  auto me = f.cli({"info"}).out;

  SECTION("(a) plain TCP random bytes") {
    for (uint32_t i = 0; i < 5; ++i) {
      int fd = tcp_connect(host, port);
      REQUIRE(fd >= 0);
      send_all(fd, random_text(4096, i));
      CHECK(closed_within(fd, 5s));
      ::close(fd);
    }
  }

  SECTION("(b) 200 connections of random bytes and 50 idle ones, then "
          "writes succeed promptly") {
    std::vector<int> fds;
    for (uint32_t i = 0; i < 250; ++i) {
      int fd = tcp_connect(host, port);
      if (fd < 0)
        continue;
      if (i < 200)
        send_all(fd, random_text(512, 100 + i));
      fds.push_back(fd);
    }
    CHECK(fds.size() >= 200);
    auto t0 = clock_type::now();
    auto r = f.cli({"service", "create", "-d", "--name", "flood", "--replicas",
                    "1", "host", "sleep", "3600"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    r = f.cli({"service", "update", "-d", "--replicas", "2", "flood"});
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    CHECK(clock_type::now() - t0 < 8s);
    for (int fd : fds)
      ::close(fd);
  }

  SECTION("(c) a TLS client without a certificate sends PROPOSE and ROLE") {
    {
      tls_client c{host, port};
      // A joiner: accepted for one JOIN; anything else closes it.
      CHECK(c.up());
      CHECK(c.send_envelope(propose_service("attacker", "evil")));
      CHECK(c.closed_by_peer(5s));
    }
    {
      tls_client c{host, port};
      CHECK(c.up());
      CHECK(c.send_envelope(role_demote("attacker")));
      CHECK(c.closed_by_peer(5s));
    }
    {
      // Above the joiner's frame limit: closed, nothing allocated.
      tls_client c{host, port};
      CHECK(c.up());
      c.write(be32(0x8000'0000u) + random_text(1 << 16, 3));
      CHECK(c.closed_by_peer(5s));
    }
  }

  SECTION("(d) a certificate of an unrelated CA, claiming the manager") {
    std::string node_id;
    for (const auto& line : lines_of(me))
      if (contains(line, "NodeID: "))
        node_id = line.substr(line.find("NodeID: ") + 8);
    for (const auto& claimed_cluster : {cluster, std::string{"evil"}}) {
      auto ca = net::create_root_ca(claimed_cluster, 1);
      REQUIRE(ca);
      auto key = net::create_node_key();
      REQUIRE(key);
      auto pub = net::public_key_of(*key);
      REQUIRE(pub);
      auto cert = net::issue_node_cert(*ca, *pub,
                                       {node_id.empty() ? std::string{"x"}
                                                        : node_id,
                                        net::manager_ou, claimed_cluster},
                                       1);
      REQUIRE(cert);
      tls_client c{host, port, *cert, *key};
      CHECK_FALSE(c.up());
      c.send_envelope(propose_service(node_id, "evil"));
      c.send_envelope(role_demote(node_id));
      CHECK(c.closed_by_peer(5s));
    }
  }

  SECTION("(e) a 2 GiB frame header before any handshake keeps the RSS "
          "bounded") {
    auto before = rss_kib(pid);
    REQUIRE(before > 0);
    std::vector<int> fds;
    for (uint32_t i = 0; i < 4; ++i) {
      int fd = tcp_connect(host, port);
      REQUIRE(fd >= 0);
      send_all(fd, be32(0x8000'0000u) + random_text(1 << 20, 200 + i));
      fds.push_back(fd);
    }
    for (int fd : fds) {
      CHECK(closed_within(fd, 5s));
      ::close(fd);
    }
    auto after = rss_kib(pid);
    INFO("VmRSS before " << before << " KiB, after " << after << " KiB");
    CHECK(after < before + 32 * 1024);
  }

  SECTION("(f) 1000 half-open connections: the fds return near the "
          "baseline after the handshake timeout") {
    auto baseline = fd_count(pid);
    std::vector<int> fds;
    for (int i = 0; i < 1000; ++i) {
      int fd = tcp_connect(host, port);
      if (fd >= 0)
        fds.push_back(fd);
    }
    CHECK(fds.size() >= 900);
    size_t seen = 0;
    CHECK(eventually(
      [&] {
        seen = fd_count(pid);
        return seen <= baseline + 8;
      },
      10s, 100ms));
    INFO("baseline " << baseline << " fds, then " << seen);
    CHECK(seen <= baseline + 8);
    for (int fd : fds)
      ::close(fd);
  }

  // check: nothing changed and the swarm serves
  CHECK_FALSE(has_service(f, "evil"));
  CHECK(contains(f.cli({"info"}).out, "Is Manager: true"));
  CHECK(raft_term(f) >= term);
  CHECK(raft_term(f) < term + 3);
  CHECK(process_alive(pid));
  CHECK(f.replicas_of("web") == "1/1");
  check_serves(f, "after");
}

TEST_CASE("cluster: a worker's certificate cannot send Raft, proposals or "
          "another node's task status",
          "[cluster]") {
  manager_set m{1, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  const size_t w = 1;
  auto& mgr = m[0];
  auto worker_id = m.node_id(w);
  REQUIRE_FALSE(worker_id.empty());
  // A task on the manager: the forged status names it.
  auto r = mgr.cli({"service", "create", "-d", "--name", "web", "--replicas",
                    "1", "--constraint", "node.role==manager",
                    "--restart-delay", "0s", "host", "sleep", "3600"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  REQUIRE(mgr.wait_replicas("web", "1/1"));
  auto rows = mgr.ps_rows("web");
  REQUIRE(rows.size() == 1);
  auto task_id = rows[0].id;
  auto task_pid = mgr.task_pid(task_id);
  REQUIRE(task_pid > 0);
  auto term = raft_term(mgr);
  REQUIRE(term > 0);

  auto certs = persistence::load_node_certs(m[w].data_dir());
  REQUIRE(certs);
  REQUIRE_FALSE(certs->cert_pem.empty());
  tls_client c{"127.0.0.1", mgr.port(), certs->cert_pem, certs->key_pem};
  REQUIRE(c.up());
  // Raft with a term near 2^64 from the worker's own id: dropped.
  for (int i = 0; i < 5; ++i)
    CHECK(c.send_envelope(raft_huge_term(worker_id, 1)));
  // A proposal: refused with an error reply (or the connection).
  CHECK(c.send_envelope(propose_service(worker_id, "evil")));
  auto reply = c.read_envelope(5s);
  REQUIRE(reply);
  CHECK(reply->kind() == pb::Envelope::REPLY);
  CHECK(reply->request_id() == 7);
  CHECK(reply->code() != 0);
  // A status report failing the manager's task.
  pb::StatusBatch batch;
  batch.set_node_id(worker_id);
  batch.set_session_id("forged");
  auto* u = batch.add_updates();
  u->set_task_id(task_id);
  u->mutable_status()->set_state(pb::FAILED);
  u->mutable_status()->set_err("forged by a worker");
  u->mutable_status()->set_timestamp_ns(1);
  auto status = envelope(pb::Envelope::STATUS, worker_id,
                         batch.SerializeAsString(), 9);
  c.send_envelope(status);
  c.read_envelope(3s); // its answer, if any, or the connection's end
  // A ROLE message demoting the manager.
  c.send_envelope(role_demote(worker_id));
  c.read_envelope(3s);

  // A spoofed sender (the manager's own id, as the old session hijack) and
  // a 2 GiB frame header: each costs the worker's connection, nothing more.
  auto manager_id = m.node_id(0);
  auto rss_before = rss_kib(mgr.daemon_pid());
  {
    tls_client spoof{"127.0.0.1", mgr.port(), certs->cert_pem, certs->key_pem};
    REQUIRE(spoof.up());
    CHECK(spoof.send_envelope(envelope(pb::Envelope::SESSION, manager_id, {},
                                       10)));
    CHECK(spoof.closed_by_peer(5s));
  }
  {
    tls_client big{"127.0.0.1", mgr.port(), certs->cert_pem, certs->key_pem};
    REQUIRE(big.up());
    big.write(be32(0x8000'0000u) + random_text(1 << 20, 77));
    CHECK(big.closed_by_peer(5s));
  }
  auto rss_after = rss_kib(mgr.daemon_pid());
  INFO("VmRSS before " << rss_before << " KiB, after " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 32 * 1024);

  // check: nothing changed
  CHECK(raft_term(mgr) == term);
  CHECK_FALSE(has_service(mgr, "evil"));
  CHECK(contains(mgr.cli({"info"}).out, "Is Manager: true"));
  CHECK(mgr.task_pid(task_id) == task_pid);
  rows = mgr.ps_rows("web");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == task_id);
  CHECK(contains(rows[0].current_state, "Running"));
  CHECK(rows[0].error.empty());
  check_serves(mgr, "after");
}

TEST_CASE("cluster: random bytes, truncated frames and oversized lengths at "
          "the control socket do not crash the daemon",
          "[cluster]") {
  cluster_fixture f;
  REQUIRE(f.start_daemon());
  REQUIRE(f.swarm_init());
  const pid_t pid = f.daemon_pid();
  auto rss_before = rss_kib(pid);
  auto connect_unix = [&] {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, f.socket_path().c_str(), sizeof(sa.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
      ::close(fd);
      return -1;
    }
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
  };
  auto end = clock_type::now() + 5s;
  int rounds = 0;
  for (uint32_t i = 0; i < 300 && clock_type::now() < end; ++i, ++rounds) {
    int fd = connect_unix();
    REQUIRE(fd >= 0);
    auto junk = random_text(1 + i * 7 % 2048, 1000 + i);
    switch (i % 5) {
      case 0: // random bytes
        send_all(fd, junk);
        break;
      case 1: // a truncated frame
        send_all(fd, be32(static_cast<uint32_t>(junk.size() + 100)) + junk);
        break;
      case 2: // an oversized announced length
        send_all(fd, be32(0xffff'ffffu) + junk);
        break;
      case 3: // a whole frame of garbage protobuf
        send_all(fd, be32(static_cast<uint32_t>(junk.size())) + junk);
        break;
      default: // a length just under the limit, then nothing
        send_all(fd, be32(256u * 1024 * 1024 - 1));
        break;
    }
    ::close(fd);
  }
  CHECK(rounds >= 50);
  CHECK(process_alive(pid));
  auto rss_after = rss_kib(pid);
  INFO("VmRSS before " << rss_before << " KiB, after " << rss_after << " KiB");
  CHECK(rss_after < rss_before + 64 * 1024);
  check_serves(f, "after");
}
