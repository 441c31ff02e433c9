#include <catch2/catch.hpp>

#include "sim/linearizability.hpp"

using namespace actorswarm::sim;

namespace {

operation op(uint64_t id, op_kind k, sim_time a, sim_time b, outcome r,
             uint64_t replicas = 0, uint64_t index = 0,
             uint64_t from_version = 0) {
  operation x;
  x.id = id;
  x.key = "s";
  x.kind = k;
  x.invoked = a;
  x.responded = b;
  x.result = r;
  x.replicas = replicas;
  x.index = index;
  x.from_version = from_version;
  return x;
}

operation read(uint64_t id, sim_time a, sim_time b, bool exists,
               uint64_t replicas = 0, uint64_t version = 0) {
  auto x = op(id, op_kind::read, a, b, outcome::ok);
  x.value = svc_state{exists, replicas, version};
  return x;
}

} // namespace

TEST_CASE("linearizability: sequential create, update, read is linearizable",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 10, outcome::ok, 3, 5),
    read(2, 11, 20, true, 3, 5),
    op(3, op_kind::update, 21, 30, outcome::ok, 4, 9, 5),
    read(4, 31, 40, true, 4, 9),
    op(5, op_kind::remove, 41, 50, outcome::ok, 0, 11),
    read(6, 51, 60, false),
  };
  CHECK(check_linearizable(h).ok);
}

TEST_CASE("linearizability: a read that misses a write acknowledged before "
          "it began is a stale read",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 10, outcome::ok, 3, 5),
    read(2, 11, 20, false),
  };
  auto r = check_linearizable(h);
  CHECK_FALSE(r.ok);
  CHECK(r.key == "s");
}

TEST_CASE("linearizability: concurrent operations may take effect in either "
          "order",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 100, outcome::ok, 3, 5),
    read(2, 10, 20, false), // before the create took effect
    read(3, 30, 40, true, 3, 5),
  };
  CHECK(check_linearizable(h).ok);
  // But not back again: absent, present, absent without a remove.
  h.push_back(read(4, 50, 60, false));
  CHECK_FALSE(check_linearizable(h).ok);
}

TEST_CASE("linearizability: an operation of unknown outcome may have "
          "happened or not, but only once",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 10, outcome::ok, 3, 5),
    op(2, op_kind::update, 20, never, outcome::unknown, 7, 0, 5),
    read(3, 30, 40, true, 3, 5),  // not yet (or never)
    read(4, 50, 60, true, 7, 12), // now it did, at index 12
  };
  CHECK(check_linearizable(h).ok);
  // Having happened, it cannot be undone without another write.
  h.push_back(read(5, 70, 80, true, 3, 5));
  CHECK_FALSE(check_linearizable(h).ok);
}

TEST_CASE("linearizability: an update from an old version must be refused "
          "as stale",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 10, outcome::ok, 3, 5),
    op(2, op_kind::update, 20, 30, outcome::ok, 4, 9, 5),
    op(3, op_kind::update, 40, 50, outcome::ok, 6, 11, 5),
  };
  CHECK_FALSE(check_linearizable(h).ok);
  h.back().result = outcome::stale;
  CHECK(check_linearizable(h).ok);
}

TEST_CASE("linearizability: a refused create means the service existed",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 10, outcome::exists, 3),
  };
  CHECK_FALSE(check_linearizable(h).ok);
  std::vector<operation> h2{
    op(1, op_kind::create, 0, never, outcome::unknown, 3),
    op(2, op_kind::create, 5, 10, outcome::exists, 4),
    read(3, 20, 30, true, 3, 2),
  };
  CHECK(check_linearizable(h2).ok);
}

TEST_CASE("linearizability: keys are checked independently",
          "[sim][linearizability]") {
  std::vector<operation> h{
    op(1, op_kind::create, 0, 10, outcome::ok, 3, 5),
    read(2, 11, 20, true, 3, 5),
  };
  auto other = op(3, op_kind::create, 0, 10, outcome::ok, 1, 6);
  other.key = "t";
  h.push_back(other);
  auto bad = read(4, 30, 40, false);
  bad.key = "t";
  CHECK(check_linearizable(h).ok);
  h.push_back(bad);
  auto r = check_linearizable(h);
  CHECK_FALSE(r.ok);
  CHECK(r.key == "t");
}

TEST_CASE("linearizability: many overlapping operations stay tractable",
          "[sim][linearizability]") {
  std::vector<operation> h;
  h.push_back(op(1, op_kind::create, 0, 5, outcome::ok, 1, 2));
  uint64_t version = 2;
  for (uint64_t i = 0; i < 40; ++i) {
    // Unknown updates from a version nobody knows any more, all
    // overlapping, and reads of the acknowledged chain.
    h.push_back(op(100 + i, op_kind::update, 10 + i, never, outcome::unknown,
                   1000 + i, 0, 999));
  }
  for (uint64_t i = 0; i < 20; ++i) {
    auto a = 100 + 20 * i;
    h.push_back(op(200 + i, op_kind::update, a, a + 5, outcome::ok, 2 + i,
                   version + 1, version));
    ++version;
    h.push_back(read(300 + i, a + 6, a + 9, true, 2 + i, version));
  }
  CHECK(check_linearizable(h).ok);
}
