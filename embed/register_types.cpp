#include "embed/register_types.hpp"

#include <string>

#include "caf/actor_system_config.hpp"
#include "caf/message.hpp"

#include "actors/dispatcher/dispatcher_interface.hpp"
#include "actors/dns/dns_interface.hpp"
#include "actors/raft/raft_interface.hpp"
#include "actors/store/store_interface.hpp"
#include "actors/task/task_interface.hpp"
#include "actorswarm/embed.hpp"
#include "messages/caf_error.hpp"
#include "messages/type_id_blocks.hpp"
#include "messages/type_ids.hpp"

namespace actorswarm {

namespace {

namespace blocks = caf::id_block;
namespace first = type_id_blocks;

// Every block starts at its listed id and ends before the next one begins
// (each block header checks its own end too; here all are in sight).
static_assert(blocks::actorswarm_messages::begin == first::messages);
static_assert(blocks::actorswarm_raft::begin == first::raft);
static_assert(blocks::actorswarm_store::begin == first::store);
static_assert(blocks::actorswarm_task::begin == first::task);
static_assert(blocks::actorswarm_dispatcher::begin == first::dispatcher);
static_assert(blocks::actorswarm_embed::begin == first::embed);
static_assert(blocks::actorswarm_dns::begin == first::dns);
static_assert(first::fits(blocks::actorswarm_messages::end, first::raft));
static_assert(first::fits(blocks::actorswarm_raft::end, first::store));
static_assert(first::fits(blocks::actorswarm_store::end, first::task));
static_assert(first::fits(blocks::actorswarm_task::end, first::dispatcher));
static_assert(first::fits(blocks::actorswarm_dispatcher::end, first::node));
static_assert(first::fits(blocks::actorswarm_embed::end, first::dns));
static_assert(first::fits(blocks::actorswarm_dns::end, first::limit));

} // namespace

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<blocks::actorswarm_messages>();
  cfg.add_message_types<blocks::actorswarm_raft>();
  cfg.add_message_types<blocks::actorswarm_store>();
  cfg.add_message_types<blocks::actorswarm_task>();
  cfg.add_message_types<blocks::actorswarm_dispatcher>();
  cfg.add_message_types<blocks::actorswarm_embed>();
  cfg.add_message_types<blocks::actorswarm_dns>();
  cfg.add_error_category(errc_category, [](uint8_t code, caf::atom_value,
                                           const caf::message& ctx) {
    std::string out = "actorswarm: ";
    out += to_string(static_cast<errc>(code));
    if (ctx.match_elements<std::string>())
      out += ": " + ctx.get_as<std::string>(0);
    return out;
  });
}

} // namespace actorswarm
