// Cluster: the cluster port's admission after issue #8: `node rm` revokes
// the removed node's certificate on every manager, and
// `daemon --max-unauthenticated` bounds the connections that have not
// authenticated. Helpers: probe_client.hpp.

#include "cluster/probe_client.hpp"

using namespace actorswarm;
using namespace actorswarm::test;
using namespace actorswarm::test::probe;
using namespace std::chrono_literals;

TEST_CASE("cluster: node rm revokes: every manager refuses the removed "
          "worker's certificate and the worker does not come back",
          "[cluster]") {
  manager_set m{3, {}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  REQUIRE(m.wait_stable_leader() >= 0);
  const size_t w = 3;
  auto worker_id = m.node_id(w);
  REQUIRE_FALSE(worker_id.empty());
  auto certs = persistence::load_node_certs(m[w].data_dir());
  REQUIRE(certs);
  REQUIRE_FALSE(certs->cert_pem.empty());
  // Before: its certificate opens a connection to every manager.
  auto listen_host = [&](size_t i) {
    return "127.0.0." + std::to_string(1 + i % 3);
  };
  for (size_t i = 0; i < 3; ++i) {
    tls_client c{listen_host(i), m[i].port(), certs->cert_pem, certs->key_pem};
    INFO("manager " << i);
    CHECK(c.up());
  }
  // Its daemon keeps running with its old certificate.
  auto r = m[0].cli({"node", "rm", "--force", worker_id});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  REQUIRE(process_alive(m[w].daemon_pid()));
  for (size_t i = 0; i < 3; ++i) {
    INFO("manager " << i);
    CHECK(eventually(
      [&] {
        tls_client c{listen_host(i), m[i].port(), certs->cert_pem,
                     certs->key_pem};
        return !c.up();
      },
      10s, 200ms));
    CHECK(eventually(
      [&] {
        return contains(m[i].daemon_log(),
                        "refusing the certificates of 1 removed node(s)");
      },
      5s));
  }
  // check: it stays removed while its daemon keeps trying (bounded look)
  auto gone = [&] {
    for (size_t i = 0; i < 3; ++i)
      for (const auto& row : m.node_rows(i))
        if (row.id == worker_id)
          return false;
    return true;
  };
  CHECK(eventually(gone, 5s));
  auto until = clock_type::now() + 3s;
  bool stayed = true;
  for (int i = 0; i < 100 && clock_type::now() < until; ++i) {
    stayed = stayed && gone();
    std::this_thread::sleep_for(100ms);
  }
  CHECK(stayed);
  CHECK(process_alive(m[w].daemon_pid()));
  // check: after `swarm leave` a join with the worker token admits it again
  // (it keeps its node id) and its new certificate is accepted everywhere
  r = m[w].cli({"swarm", "leave", "--force"});
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  auto joined = m.join_worker(w, 0);
  INFO(joined);
  CHECK(joined.empty());
  CHECK(m.node_id(w) == worker_id);
  auto again = persistence::load_node_certs(m[w].data_dir());
  REQUIRE(again);
  for (size_t i = 0; i < 3; ++i) {
    INFO("manager " << i);
    CHECK(eventually(
      [&] {
        tls_client c{listen_host(i), m[i].port(), again->cert_pem,
                     again->key_pem};
        return c.up();
      },
      10s, 200ms));
  }
  // check: the swarm serves
  r = create_service(m, 0, "after", 2);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(m.wait_replicas(0, "after", "2/2"));
}

TEST_CASE("cluster: --max-unauthenticated closes connections beyond the "
          "bound at accept, members' open connections keep working",
          "[cluster]") {
  manager_set m{1, {"--max-unauthenticated", "8"}, 1};
  auto why = m.form();
  INFO(why);
  REQUIRE(why.empty());
  auto& mgr = m[0];
  const auto host = std::string{"127.0.0.1"};
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) {
    int fd = tcp_connect(host, mgr.port());
    REQUIRE(fd >= 0);
    idle.push_back(fd);
  }
  // check: the next ones are closed at accept, long before the 10 s
  // handshake timeout
  for (int i = 0; i < 4; ++i) {
    int fd = tcp_connect(host, mgr.port());
    REQUIRE(fd >= 0);
    CHECK(closed_within(fd, 3s));
    ::close(fd);
  }
  // check: the worker's open session is not counted: its share of a service
  // reaches it while the bound is full
  auto r = create_service(m, 0, "web", 2);
  INFO(describe(r));
  CHECK(r.exit_code == 0);
  CHECK(m.wait_replicas(0, "web", "2/2"));
  CHECK(m[1].wait_task_count(1) == 1);
  // check: once the idle ones go, a new connection gets through
  auto certs = persistence::load_node_certs(m[1].data_dir());
  REQUIRE(certs);
  for (int fd : idle)
    ::close(fd);
  CHECK(eventually(
    [&] {
      tls_client c{host, mgr.port(), certs->cert_pem, certs->key_pem};
      return c.up();
    },
    5s, 100ms));
}
