// The bounded waits and retries of the node's membership sequences
// (actors/node/membership_steps.hpp): what each sequence does next.

#include <catch2/catch.hpp>

#include "actors/node/membership_steps.hpp"

namespace raft = actorswarm::raft;
using actorswarm::errc;
using namespace actorswarm::node;

TEST_CASE("steps: a join is sent again only while the swarm has no leader, "
          "at most join_attempts times",
          "[unit]") {
  auto not_leader = static_cast<uint32_t>(errc::not_leader);
  CHECK(retry_join(not_leader, 0));
  CHECK(retry_join(not_leader, join_attempts - 2));
  CHECK_FALSE(retry_join(not_leader, join_attempts - 1));
  for (auto code : {errc::none, errc::invalid_token, errc::refused,
                    errc::unavailable, errc::not_in_swarm})
    CHECK_FALSE(retry_join(static_cast<uint32_t>(code), 0));
  // 100 attempts 100 ms apart: the swarm has ten seconds to elect a leader.
  CHECK(join_attempts == 100);
  CHECK(join_retry_ms == 100);
  CHECK(join_timeout_ms == 20'000);
}

TEST_CASE("steps: a new manager's catch-up reads until fresh, then gives up "
          "after catch_up_polls more",
          "[unit]") {
  CHECK(after_read(true, 0) == catch_up_step::done);
  CHECK(after_read(true, catch_up_polls) == catch_up_step::done);
  CHECK(after_read(false, 0) == catch_up_step::poll_again);
  CHECK(after_read(false, catch_up_polls - 1) == catch_up_step::poll_again);
  CHECK(after_read(false, catch_up_polls) == catch_up_step::give_up);
  CHECK(catch_up_polls == 100);
  CHECK(catch_up_poll_ms == 20);
  CHECK(std::string{catch_up_warning}
        == "this manager has not caught up with the leader yet");
}

TEST_CASE("steps: the leader hands leadership to the first other reachable "
          "manager",
          "[unit]") {
  raft::raft_status st;
  st.raft_id = 5;
  st.reachable = {5, 3, 9};
  CHECK(transfer_target(st) == 3);
  st.reachable = {5};
  CHECK(transfer_target(st) == 0);
  st.reachable = {};
  CHECK(transfer_target(st) == 0);
}

TEST_CASE("steps: a leadership transfer forwards once another manager leads, "
          "polls while none or this one does, and gives up after "
          "transfer_polls more",
          "[unit]") {
  CHECK(after_status(7, 5, 0) == transfer_step::forward);
  CHECK(after_status(7, 5, transfer_polls) == transfer_step::forward);
  CHECK(after_status(0, 5, 0) == transfer_step::poll_again);
  CHECK(after_status(5, 5, 0) == transfer_step::poll_again);
  CHECK(after_status(5, 5, transfer_polls - 1) == transfer_step::poll_again);
  CHECK(after_status(5, 5, transfer_polls) == transfer_step::give_up);
  CHECK(after_status(0, 5, transfer_polls) == transfer_step::give_up);
  auto f = transfer_timeout();
  CHECK(f.code == errc::timeout);
  CHECK(f.message == "leadership transfer did not complete; try again");
  CHECK(transfer_polls == 50);
  CHECK(transfer_poll_ms == 100);
  CHECK(settle_after_transfer_ms == 300);
  CHECK(role_timeout_ms == 20'000);
}
