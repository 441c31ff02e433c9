// Rules of the node's membership logic (actors/node/membership.hpp):
// identity in node_state, addresses, the cluster `swarm init` builds, join
// tokens, joins and the busy rules. Refusals of leave, demote and rm and the
// manager status bookkeeping: membership_roles_test.cpp.

#include "unit/node/membership_fixture.hpp"

// -- identity ---------------------------------------------------------------

TEST_CASE("membership: the first load creates a node id and a Raft id and "
          "keeps them",
          "[unit]") {
  actorswarm::persistence::memory_kv_store kv;
  auto first = load_identity(kv, "host-a", secrets);
  CHECK_FALSE(first.node_id.empty());
  CHECK(first.raft_id != 0);
  CHECK(first.raft_id < (uint64_t{1} << 63)); // fits int64
  CHECK(first.hostname == "host-a");
  CHECK(first.cluster_id.empty());
  CHECK_FALSE(first.joined);
  CHECK_FALSE(first.worker);
  CHECK(first.managers.empty());
  auto again = load_identity(kv, "host-b", secrets);
  CHECK(again.node_id == first.node_id);
  CHECK(again.raft_id == first.raft_id);
  CHECK(again.hostname == "host-b");
  CHECK(load_identity(kv, "", secrets).hostname != ""); // gethostname()
}

TEST_CASE("membership: the Raft id comes from the injected random bytes, "
          "halved to fit int64, and all-zero bytes are drawn again",
          "[unit]") {
  actorswarm::persistence::memory_kv_store kv;
  auto s = actorswarm::test::fake_secrets(
    {std::string(8, '\0'), std::string("\x02\0\0\0\0\0\0\0", 8)});
  CHECK(load_identity(kv, "h", s).raft_id == 1);
  CHECK(*kv.get("raft_id") == "1");
  actorswarm::persistence::memory_kv_store all_ones;
  auto ones = actorswarm::test::fake_secrets({std::string(8, '\xff')});
  CHECK(load_identity(all_ones, "h", ones).raft_id == (uint64_t{1} << 63) - 1);
}

TEST_CASE("membership: save_identity keeps the membership part for the next "
          "load",
          "[unit]") {
  actorswarm::persistence::memory_kv_store kv;
  auto id = load_identity(kv, "h", secrets);
  id.cluster_id = "c1";
  id.addr = "10.0.0.2:2377";
  id.joined = true;
  id.worker = true;
  id.managers = {"10.0.0.1:2377", "10.0.0.3:2377"};
  save_identity(kv, id);
  auto back = load_identity(kv, "h", secrets);
  CHECK(back.cluster_id == "c1");
  CHECK(back.addr == "10.0.0.2:2377");
  CHECK(back.joined);
  CHECK(back.worker);
  CHECK(back.managers == id.managers);
  CHECK(*kv.get("origin") == "join");
  CHECK(*kv.get("role") == "worker");
  CHECK(*kv.get("managers") == "10.0.0.1:2377,10.0.0.3:2377");
  id.joined = false;
  id.worker = false;
  id.managers.clear();
  save_identity(kv, id);
  back = load_identity(kv, "h", secrets);
  CHECK_FALSE(back.joined);
  CHECK_FALSE(back.worker);
  CHECK(back.managers.empty());
}

TEST_CASE("membership: empty entries of the stored manager list are skipped",
          "[unit]") {
  actorswarm::persistence::memory_kv_store kv;
  kv.put("managers", ",a:1,,b:2,");
  CHECK(load_identity(kv, "h", secrets).managers
        == std::vector<std::string>{"a:1", "b:2"});
}

TEST_CASE("membership: self_member names this node's Raft id, node id and "
          "address",
          "[unit]") {
  auto m = self_member(member_of_swarm());
  CHECK(m.raft_id() == 1);
  CHECK(m.node_id() == "n1");
  CHECK(m.addr() == "10.0.0.1:2377");
}

TEST_CASE("membership: identity_info reports swarm membership and role",
          "[unit]") {
  identity fresh;
  fresh.node_id = "n1";
  auto i = identity_info(fresh, "/data");
  CHECK(i.node_id() == "n1");
  CHECK_FALSE(i.in_swarm());
  CHECK_FALSE(i.is_manager());
  CHECK(i.data_dir() == "/data");
  CHECK(i.version() == "0.1.0");
  auto m = identity_info(member_of_swarm(), "/data");
  CHECK(m.in_swarm());
  CHECK(m.is_manager());
  CHECK(m.cluster_id() == "c1");
  CHECK(m.node_addr() == "10.0.0.1:2377");
  CHECK_FALSE(identity_info(member_of_swarm(true), "/data").is_manager());
}

// -- addresses --------------------------------------------------------------

TEST_CASE("membership: the advertised address comes from --advertise-addr, "
          "--listen-addr, then the daemon's",
          "[unit]") {
  CHECK(*advertise_addr(init_req(""), "127.0.0.2:4000") == "127.0.0.2:4000");
  CHECK(*advertise_addr(init_req("127.0.0.3:5000"), "127.0.0.2:4000")
        == "127.0.0.3:5000");
  // A listen address without a port gets Docker's 2377.
  CHECK(*advertise_addr(init_req("127.0.0.3"), "x") == "127.0.0.3:2377");
  // --advertise-addr without a port takes the listen port.
  CHECK(*advertise_addr(init_req("127.0.0.3:5000", "10.1.1.1"), "x")
        == "10.1.1.1:5000");
  CHECK(*advertise_addr(init_req("127.0.0.3:5000", "10.1.1.1:6000"), "x")
        == "10.1.1.1:6000");
  // A wildcard listen address advertises a real address, same port.
  auto wild = advertise_addr(init_req("0.0.0.0:7000"), "x");
  REQUIRE(wild);
  CHECK(wild->rfind("0.0.0.0", 0) != 0);
  CHECK(wild->substr(wild->rfind(':')) == ":7000");
}

TEST_CASE("membership: a malformed address is refused with the flag it came "
          "from",
          "[unit]") {
  struct row {
    std::string listen, advertise, message;
  };
  std::vector<row> rows = {
    {"127.0.0.1:x", "",
     "invalid --listen-addr \"127.0.0.1:x\": expected "
     "IP:PORT"},
    {"127.0.0.1:0", "",
     "invalid --listen-addr \"127.0.0.1:0\": expected "
     "IP:PORT"},
    {"127.0.0.1:65536", "",
     "invalid --listen-addr \"127.0.0.1:65536\": "
     "expected IP:PORT"},
    {":2377", "", "invalid --listen-addr \":2377\": expected IP:PORT"},
    {"127.0.0.1:", "",
     "invalid --listen-addr \"127.0.0.1:\": expected "
     "IP:PORT"},
    {"127.0.0.1:2377", "10.0.0.1:abc",
     "invalid --advertise-addr "
     "\"10.0.0.1:abc\": expected IP:PORT"},
  };
  for (const auto& r : rows) {
    INFO(r.listen << " / " << r.advertise);
    auto a = advertise_addr(init_req(r.listen, r.advertise), "x");
    REQUIRE_FALSE(a);
    CHECK(a.error().code == errc::invalid_spec);
    CHECK(a.error().message == r.message);
  }
  CHECK(advertise_addr(init_req("127.0.0.1:65535"), "x"));
}

// -- swarm init -------------------------------------------------------------

TEST_CASE("membership: a new cluster has an id, a root CA, two valid join "
          "tokens and docker's default spec",
          "[unit]") {
  pb::SwarmInitRequest req;
  auto c = make_cluster(req, "10.0.0.1:2377", secrets);
  REQUIRE(c);
  CHECK_FALSE(c->id().empty());
  CHECK_FALSE(c->root_ca_cert_pem().empty());
  CHECK_FALSE(c->root_ca_key_pem().empty());
  CHECK(c->random_seed() == std::hash<std::string>{}(c->id()));
  auto worker = actorswarm::ca::check_token(*c, c->join_tokens().worker());
  auto mgr = actorswarm::ca::check_token(*c, c->join_tokens().manager());
  REQUIRE(worker);
  REQUIRE(mgr);
  CHECK(*worker == pb::NodeSpec::WORKER);
  CHECK(*mgr == pb::NodeSpec::MANAGER);
  const auto& s = c->spec();
  CHECK(s.name() == "default");
  CHECK(s.scheduler_strategy() == pb::Placement::SPREAD);
  CHECK(s.task_history_limit() == 5);
  CHECK(s.election_tick() == 10);
  CHECK(s.heartbeat_tick() == 1);
  CHECK(s.dispatcher_heartbeat_ns() == 5 * second_ns);
  CHECK(s.snapshot_interval() == 10000);
  CHECK(s.keep_old_snapshots() == 0);
  REQUIRE(s.default_addr_pool_size() == 1);
  CHECK(s.default_addr_pool(0) == "10.0.0.0/8");
  CHECK(s.subnet_size() == 24);
  CHECK(s.data_path_port() == 4789);
  CHECK(make_cluster(req, "x", secrets)->id() != c->id());
  // Bad network settings refuse the init (control::apply_network_settings).
  req.set_data_path_port(80);
  auto bad = make_cluster(req, "x", secrets);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message
        == "Datapath port number is not in valid range (1024-49151) : 80");
}

TEST_CASE("membership: a new cluster's CA and token secrets come from the "
          "injected secrets",
          "[unit]") {
  auto s = actorswarm::test::fake_secrets({std::string(16, '\x01'),
                                           std::string(16, '\x02')});
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", s);
  REQUIRE(c);
  CHECK(c->root_ca_cert_pem() == "CERT " + c->id());
  CHECK(c->root_ca_key_pem() == "KEY " + c->id());
  auto digest = s.cert_digest(c->root_ca_cert_pem());
  REQUIRE(digest);
  CHECK(c->join_tokens().worker()
        == actorswarm::ca::make_token(*digest, std::string(16, '\x01')));
  CHECK(c->join_tokens().manager()
        == actorswarm::ca::make_token(*digest, std::string(16, '\x02')));
  auto failing = s;
  failing.create_root_ca = [](const std::string&,
                              int) -> actorswarm::result<cert_key_pem> {
    return actorswarm::fail(errc::internal, "no CA");
  };
  auto bad = make_cluster(pb::SwarmInitRequest{}, "x", failing);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "no CA");
}

TEST_CASE("membership: swarm init takes the strategy and ticks it was given "
          "and refuses an election tick not above the heartbeat tick",
          "[unit]") {
  pb::SwarmInitRequest req;
  req.set_scheduler_strategy(pb::Placement::BINPACK);
  req.set_election_tick(20);
  req.set_heartbeat_tick(2);
  auto c = make_cluster(req, "x", secrets);
  REQUIRE(c);
  CHECK(c->spec().scheduler_strategy() == pb::Placement::BINPACK);
  CHECK(c->spec().election_tick() == 20);
  CHECK(c->spec().heartbeat_tick() == 2);
  req.set_election_tick(2);
  auto bad = make_cluster(req, "x", secrets);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_spec);
  CHECK(bad.error().message
        == "election tick must be greater than heartbeat tick");
}

TEST_CASE("membership: swarm init commits the cluster, this node, a "
          "reachable leading manager, and the ingress network in one atomic "
          "batch",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  auto id = member_of_swarm();
  id.hostname = "host-a";
  auto b = init_batch(*c, id, "CERT", now_ns);
  CHECK(b.atomic());
  CHECK(b.proposed_at_ns() == now_ns);
  REQUIRE(b.actions_size() == 3);
  CHECK(b.actions(0).kind() == pb::StoreAction::CREATE);
  CHECK(b.actions(2).kind() == pb::StoreAction::CREATE);
  const auto& ingress = b.actions(2).network();
  CHECK_FALSE(ingress.id().empty());
  CHECK(ingress.spec().name() == "ingress");
  CHECK(ingress.spec().ingress());
  CHECK(ingress.spec().ipam().subnet() == "10.0.0.0/24");
  CHECK(b.actions(0).cluster().id() == c->id());
  const auto& n = b.actions(1).node();
  CHECK(b.actions(1).kind() == pb::StoreAction::CREATE);
  CHECK(n.id() == "n1");
  CHECK(n.certificate_pem() == "CERT");
  CHECK(n.role() == pb::NodeSpec::MANAGER);
  CHECK(n.spec().desired_role() == pb::NodeSpec::MANAGER);
  CHECK(n.description().hostname() == "host-a");
  CHECK(n.status().state() == pb::NodeStatus::UNKNOWN);
  CHECK(n.status().addr() == id.addr);
  CHECK(n.manager_status().raft_id() == 1);
  CHECK(n.manager_status().addr() == id.addr);
  CHECK(n.manager_status().leader());
  CHECK(n.manager_status().reachability() == pb::ManagerStatus::REACHABLE);
}

TEST_CASE("membership: swarm init answers with the node id, tokens, spec and "
          "address",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  auto r = init_reply(*c, member_of_swarm());
  CHECK(r.code() == 0);
  CHECK(r.text() == "n1");
  REQUIRE(r.ids_size() == 1);
  CHECK(r.ids(0) == "n1");
  CHECK(r.cluster().id() == c->id());
  CHECK(r.cluster().join_tokens().worker() == c->join_tokens().worker());
  CHECK(r.cluster().join_tokens().manager() == c->join_tokens().manager());
  CHECK(r.cluster().spec().name() == "default");
  CHECK(r.info().node_id() == "n1");
  CHECK(r.info().node_addr() == "10.0.0.1:2377");
  CHECK(r.info().cluster_id() == c->id());
}

// -- join tokens ------------------------------------------------------------

TEST_CASE("membership: join-token prints the token of the role asked for, "
          "and not_in_swarm without a cluster",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  auto cp = std::make_shared<const pb::Cluster>(*c);
  auto w = token_reply(cp, pb::NodeSpec::WORKER, "10.0.0.1:2377");
  CHECK(w.text() == c->join_tokens().worker());
  CHECK(w.info().node_addr() == "10.0.0.1:2377");
  CHECK(token_reply(cp, pb::NodeSpec::MANAGER, "a").text()
        == c->join_tokens().manager());
  auto none = token_reply(nullptr, pb::NodeSpec::WORKER, "a");
  CHECK(none.code() == static_cast<uint32_t>(errc::not_in_swarm));
  CHECK(none.error() == not_in_swarm().message);
}

TEST_CASE("membership: rotating a token replaces only that role's secret, "
          "under the same CA digest",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  auto r = rotate_token(*c, pb::NodeSpec::WORKER, secrets);
  CHECK(r.join_tokens().worker() != c->join_tokens().worker());
  CHECK(r.join_tokens().manager() == c->join_tokens().manager());
  auto old_parts = actorswarm::ca::parse_token(c->join_tokens().worker());
  auto new_parts = actorswarm::ca::parse_token(r.join_tokens().worker());
  REQUIRE(old_parts);
  REQUIRE(new_parts);
  CHECK(new_parts->digest == old_parts->digest);
  CHECK(*actorswarm::ca::check_token(r, r.join_tokens().worker())
        == pb::NodeSpec::WORKER);
  CHECK_FALSE(actorswarm::ca::check_token(r, c->join_tokens().worker()));
  auto m = rotate_token(*c, pb::NodeSpec::MANAGER, secrets);
  CHECK(m.join_tokens().manager() != c->join_tokens().manager());
  CHECK(m.join_tokens().worker() == c->join_tokens().worker());
}

TEST_CASE("membership: a rotated token's secret comes from the injected "
          "random bytes",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  auto s = actorswarm::test::fake_secrets({std::string(16, '\x07')});
  auto r = rotate_token(*c, pb::NodeSpec::MANAGER, s);
  CHECK(r.join_tokens().manager()
        == actorswarm::ca::make_token(*s.cert_digest(c->root_ca_cert_pem()),
                                      std::string(16, '\x07')));
}

// -- swarm join -------------------------------------------------------------

TEST_CASE("membership: swarm join checks the token's shape and the remote "
          "address before sending anything",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  pb::SwarmJoinRequest req;
  req.set_token(c->join_tokens().worker());
  req.set_remote_addr("10.0.0.1:2377");
  CHECK(check_join_args(req));
  req.set_token("SWMTKN-1-nonsense");
  auto bad_token = check_join_args(req);
  REQUIRE_FALSE(bad_token);
  CHECK(bad_token.error().code == errc::invalid_token);
  req.set_token(c->join_tokens().worker());
  for (std::string addr : {"10.0.0.1", ":2377", ""}) {
    INFO(addr);
    req.set_remote_addr(addr);
    auto r = check_join_args(req);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::invalid_spec);
    CHECK(r.error().message
          == "invalid remote address \"" + addr + "\": expected HOST:PORT");
  }
  req.set_remote_addr("10.0.0.1:99999");
  auto port = check_join_args(req);
  REQUIRE_FALSE(port);
  CHECK(port.error().message
        == "invalid remote address \"10.0.0.1:99999\": expected IP:PORT");
}

TEST_CASE("membership: the join request carries this node's ids, address, "
          "host name and token",
          "[unit]") {
  auto id = member_of_swarm();
  id.hostname = "host-a";
  id.raft_id = 42;
  auto jr = join_request(id, "TOKEN", "10.0.0.9:2377", "PUB");
  CHECK(jr.token() == "TOKEN");
  CHECK(jr.node_id() == "n1");
  CHECK(jr.raft_id() == 42);
  CHECK(jr.addr() == "10.0.0.9:2377");
  CHECK(jr.hostname() == "host-a");
  CHECK(jr.public_key_pem() == "PUB");
  auto cc = add_member(jr);
  CHECK(cc.type() == pb::ConfChange::ADD_NODE);
  CHECK(cc.member().raft_id() == 42);
  CHECK(cc.member().node_id() == "n1");
  CHECK(cc.member().addr() == "10.0.0.9:2377");
}

TEST_CASE("membership: a joined node is stored as a reachable manager or as "
          "a worker without manager status",
          "[unit]") {
  pb::JoinRequest jr;
  jr.set_node_id("n2");
  jr.set_raft_id(7);
  jr.set_addr("10.0.0.2:2377");
  jr.set_hostname("host-b");
  auto m = joined_node_batch(jr, true, "CERT", now_ns);
  CHECK(m.atomic());
  CHECK(m.proposed_at_ns() == now_ns);
  REQUIRE(m.actions_size() == 1);
  CHECK(m.actions(0).kind() == pb::StoreAction::CREATE);
  const auto& mn = m.actions(0).node();
  CHECK(mn.id() == "n2");
  CHECK(mn.certificate_pem() == "CERT");
  CHECK(mn.role() == pb::NodeSpec::MANAGER);
  CHECK(mn.spec().desired_role() == pb::NodeSpec::MANAGER);
  CHECK(mn.description().hostname() == "host-b");
  CHECK(mn.status().state() == pb::NodeStatus::UNKNOWN);
  CHECK(mn.status().addr() == "10.0.0.2:2377");
  CHECK(mn.manager_status().raft_id() == 7);
  CHECK(mn.manager_status().reachability() == pb::ManagerStatus::REACHABLE);
  CHECK_FALSE(mn.manager_status().leader());
  const auto& wn
    = joined_node_batch(jr, false, "CERT", now_ns).actions(0).node();
  CHECK(wn.role() == pb::NodeSpec::WORKER);
  CHECK(wn.spec().desired_role() == pb::NodeSpec::WORKER);
  CHECK_FALSE(wn.has_manager_status());
}

TEST_CASE("membership: as_worker drops the manager status, as_manager sets "
          "it",
          "[unit]") {
  auto n = *manager(3, true);
  n.mutable_spec()->set_desired_role(pb::NodeSpec::MANAGER);
  auto w = as_worker(n);
  CHECK(w.role() == pb::NodeSpec::WORKER);
  CHECK(w.spec().desired_role() == pb::NodeSpec::WORKER);
  CHECK_FALSE(w.has_manager_status());
  CHECK(w.status().state() == n.status().state());
  auto m = as_manager(w, 9, "10.0.0.9:2377");
  CHECK(m.role() == pb::NodeSpec::MANAGER);
  CHECK(m.spec().desired_role() == pb::NodeSpec::MANAGER);
  CHECK(m.manager_status().raft_id() == 9);
  CHECK(m.manager_status().addr() == "10.0.0.9:2377");
  CHECK(m.manager_status().reachability() == pb::ManagerStatus::REACHABLE);
}

// -- Docker's texts ---------------------------------------------------------

TEST_CASE("membership: the identity after a join names the swarm, the "
          "address, the role and a worker's managers",
          "[unit]") {
  identity id;
  id.node_id = "n2";
  id.raft_id = 7;
  pb::JoinReply r;
  r.set_cluster_id("c1");
  r.set_manager(false);
  r.add_managers("10.0.0.1:2377");
  r.add_managers("10.0.0.3:2377");
  auto w = joined_identity(id, r, "10.0.0.2:2377");
  CHECK(w.node_id == "n2");
  CHECK(w.raft_id == 7);
  CHECK(w.cluster_id == "c1");
  CHECK(w.addr == "10.0.0.2:2377");
  CHECK(w.joined);
  CHECK(w.worker);
  CHECK(w.managers
        == std::vector<std::string>{"10.0.0.1:2377", "10.0.0.3:2377"});
  r.set_manager(true);
  CHECK_FALSE(joined_identity(id, r, "a").worker);
}

TEST_CASE("membership: swarm join is refused in a swarm and while another "
          "change of this node runs",
          "[unit]") {
  identity fresh;
  CHECK_FALSE(join_refusal(fresh, own_change::none));
  for (auto busy :
       {own_change::joining, own_change::leaving, own_change::restarting}) {
    auto r = join_refusal(fresh, busy);
    REQUIRE(r);
    CHECK(r->code == errc::refused);
    CHECK(r->message == "this node is already joining or leaving a swarm");
  }
  for (auto busy : {own_change::none, own_change::joining}) {
    auto r = join_refusal(member_of_swarm(), busy);
    REQUIRE(r);
    CHECK(r->code == errc::already_in_swarm);
    CHECK(r->message == already_in_swarm().message);
  }
  CHECK(already_in_swarm().code == errc::already_in_swarm);
  CHECK(already_in_swarm().message
        == "This node is already part of a swarm. Use \"actorswarm swarm "
           "leave\" to leave this swarm and join another one.");
}

TEST_CASE("membership: swarm join advertises its own addresses once its "
          "arguments checked out",
          "[unit]") {
  auto c = make_cluster(pb::SwarmInitRequest{}, "x", secrets);
  REQUIRE(c);
  pb::SwarmJoinRequest req;
  req.set_token(c->join_tokens().worker());
  req.set_remote_addr("10.0.0.1:2377");
  CHECK(*join_addr(req, "127.0.0.5:3000") == "127.0.0.5:3000");
  req.set_listen_addr("127.0.0.6:4000");
  CHECK(*join_addr(req, "127.0.0.5:3000") == "127.0.0.6:4000");
  req.set_advertise_addr("10.9.9.9");
  CHECK(*join_addr(req, "127.0.0.5:3000") == "10.9.9.9:4000");
  req.set_token("nonsense");
  auto bad = join_addr(req, "127.0.0.5:3000");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::invalid_token);
}

TEST_CASE("membership: swarm leave cannot start while another change runs "
          "or outside a swarm",
          "[unit]") {
  // The quorum is checked later: a lone manager may start its leave here.
  CHECK_FALSE(leave_start_refusal(member_of_swarm(), own_change::none));
  CHECK_FALSE(leave_start_refusal(member_of_swarm(true), own_change::none));
  for (auto busy :
       {own_change::joining, own_change::leaving, own_change::restarting}) {
    auto r = leave_start_refusal(member_of_swarm(), busy);
    REQUIRE(r);
    CHECK(r->code == errc::refused);
    CHECK(r->message == "this node is busy joining, leaving or restarting");
  }
  auto out = leave_start_refusal(identity{}, own_change::none);
  REQUIRE(out);
  CHECK(out->code == errc::not_in_swarm);
  CHECK(out->message == "This node is not part of a swarm");
}

TEST_CASE("membership: --force-new-cluster needs a running store and no "
          "other change",
          "[unit]") {
  CHECK_FALSE(force_new_cluster_refusal(own_change::none, true));
  std::vector<std::pair<own_change, bool>> refused = {
    {own_change::none, false},
    {own_change::joining, true},
    {own_change::leaving, true},
    {own_change::restarting, true},
  };
  for (auto [busy, store] : refused) {
    auto r = force_new_cluster_refusal(busy, store);
    REQUIRE(r);
    CHECK(r->code == errc::refused);
    CHECK(r->message
          == "this node is busy joining, leaving or restarting its "
             "components");
  }
}

TEST_CASE("membership: a role change is ignored while busy, outside a swarm "
          "or when the node has that role already",
          "[unit]") {
  auto mgr = member_of_swarm();
  auto wrk = member_of_swarm(true);
  CHECK_FALSE(ignores_role_change(mgr, own_change::none, false));
  CHECK_FALSE(ignores_role_change(wrk, own_change::none, true));
  CHECK(ignores_role_change(mgr, own_change::none, true));
  CHECK(ignores_role_change(wrk, own_change::none, false));
  CHECK(ignores_role_change(identity{}, own_change::none, true));
  for (auto busy :
       {own_change::joining, own_change::leaving, own_change::restarting}) {
    CHECK(ignores_role_change(mgr, busy, false));
    CHECK(ignores_role_change(wrk, busy, true));
  }
}

TEST_CASE("membership: the cluster port opens at the listen address's host "
          "and port",
          "[unit]") {
  CHECK(listen_endpoint("127.0.0.1:2377")
        == std::pair<std::string, uint16_t>{"127.0.0.1", 2377});
  CHECK(listen_endpoint("0.0.0.0:4242")
        == std::pair<std::string, uint16_t>{"0.0.0.0", 4242});
}

TEST_CASE("membership: a process epoch is never 0 and differs between calls",
          "[unit]") {
  auto a = new_epoch(secrets);
  auto b = new_epoch(secrets);
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
}

TEST_CASE("membership: a process epoch is the injected random bytes, drawn "
          "again while 0",
          "[unit]") {
  auto s = actorswarm::test::fake_secrets(
    {std::string(8, '\0'), std::string("\x05\0\0\0\0\0\0\0", 8)});
  CHECK(new_epoch(s) == 5);
}

TEST_CASE("membership: a node id belongs to the key its certificate was "
          "issued for, so a join with another key cannot take it",
          "[unit]") {
  pb::Node n;
  n.set_id("n2");
  n.set_certificate_pem("NODECERT n2");
  // The fake's public key of a certificate is "PUB " + its text.
  CHECK_FALSE(node_id_taken(n, "PUB NODECERT n2", secrets));
  auto taken = node_id_taken(n, "PUB other", secrets);
  REQUIRE(taken);
  CHECK(taken->code == errc::refused);
  CHECK(taken->message
        == "node id n2 is already in use by another node of "
           "this swarm");
  n.clear_certificate_pem();
  CHECK_FALSE(node_id_taken(n, "PUB other", secrets));
}
