#include "os/netns.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <thread>

#include "unit/dataplane/dataplane_test_support.hpp"

using namespace actorswarm;
using namespace actorswarm::os;
using namespace actorswarm::test;

namespace {

ino_t thread_netns_inode() {
  auto ns = netns::current();
  REQUIRE(ns.ok());
  return ns->inode();
}

} // namespace

TEST_CASE("netns: a created namespace is pinned, listed, opened and removed",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_pins pins{"as-netns"};
  auto home = thread_netns_inode();
  auto a = pins.dir.create("n-a");
  require_ok(a);
  // Creating it did not leave this thread inside it.
  CHECK(thread_netns_inode() == home);
  CHECK(a->inode() != home);
  CHECK(pins.dir.create("n-a").error().code == errc::name_conflict);
  auto again = pins.dir.open("n-a");
  require_ok(again);
  CHECK(again->inode() == a->inode());
  auto b = pins.dir.create("t-b");
  require_ok(b);
  CHECK(b->inode() != a->inode());
  auto list = pins.dir.list();
  require_ok(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "n-a");
  CHECK((*list)[0].mounted);
  CHECK((*list)[1].name == "t-b");
  require_ok(pins.dir.remove("n-a"));
  require_ok(pins.dir.remove("n-a")); // gone already: fine
  CHECK(pins.dir.open("n-a").error().code == errc::not_found);
  list = pins.dir.list();
  require_ok(list);
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].name == "t-b");
}

TEST_CASE("netns: run_in_netns runs inside and switches the thread back",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_pins pins{"as-netns-run"};
  auto ns = pins.dir.create("x");
  require_ok(ns);
  auto home = thread_netns_inode();
  ino_t inside = 0;
  // Another thread, running meanwhile, is not affected by this one's setns
  // (a thread created inside would start there: see netns.hpp).
  std::promise<void> entered;
  std::promise<ino_t> seen;
  std::thread other{[&] {
    entered.get_future().wait();
    seen.set_value(netns::current()->inode());
  }};
  auto other_inode = seen.get_future();
  require_ok(run_in_netns(*ns, [&] {
    inside = netns::current()->inode();
    entered.set_value();
    other_inode.wait();
  }));
  other.join();
  CHECK(other_inode.get() == home);
  CHECK(inside == ns->inode());
  CHECK(thread_netns_inode() == home);
  // Back also when fn throws.
  CHECK_THROWS(run_in_netns(*ns, [] { throw std::runtime_error("x"); }));
  CHECK(thread_netns_inode() == home);
  // Nested: back to the outer namespace, then home.
  auto inner = pins.dir.create("y");
  require_ok(inner);
  require_ok(run_in_netns(*ns, [&] {
    require_ok(run_in_netns(*inner, [] {}));
    CHECK(netns::current()->inode() == ns->inode());
  }));
  CHECK(thread_netns_inode() == home);
}

TEST_CASE("netns: a leftover pin file that pins nothing lists as unmounted",
          "[unit]") {
  AS_REQUIRE_ROOT();
  test_pins pins{"as-netns-stale"};
  // What a reboot leaves: the file, without the bind mount.
  { std::ofstream{pins.dir.pin_path("n-old")}; }
  auto list = pins.dir.list();
  require_ok(list);
  REQUIRE(list->size() == 1);
  CHECK_FALSE((*list)[0].mounted);
  CHECK(pins.dir.open("n-old").error().code == errc::not_found);
  require_ok(pins.dir.remove("n-old"));
  CHECK(pins.dir.list()->empty());
}
