#include "actors/update/update_status.hpp"

#include "messages/docker_text.hpp"

namespace actorswarm::update {

bool in_progress(const pb::UpdateStatus& x) {
  return x.state() == pb::UpdateStatus::UPDATING
         || x.state() == pb::UpdateStatus::ROLLBACK_STARTED;
}

bool paused(const pb::UpdateStatus& x) {
  return x.state() == pb::UpdateStatus::PAUSED
         || x.state() == pb::UpdateStatus::ROLLBACK_PAUSED;
}

pb::UpdateStatus updating_status(int64_t now_ns) {
  pb::UpdateStatus x;
  x.set_state(pb::UpdateStatus::UPDATING);
  x.set_message("update in progress");
  x.set_started_at_ns(now_ns);
  return x;
}

pb::Service start_update(const pb::Service& s, int64_t now_ns) {
  auto out = s;
  *out.mutable_update_status() = updating_status(now_ns);
  return out;
}

pb::Service complete_update(const pb::Service& s, int64_t now_ns) {
  auto out = s;
  auto& st = *out.mutable_update_status();
  if (st.state() == pb::UpdateStatus::ROLLBACK_STARTED) {
    st.set_state(pb::UpdateStatus::ROLLBACK_COMPLETED);
    st.set_message("rollback completed");
  } else {
    st.set_state(pb::UpdateStatus::COMPLETED);
    st.set_message("update completed");
  }
  st.set_completed_at_ns(now_ns);
  return out;
}

std::string paused_message(const std::string& task_id, bool rollback) {
  return std::string{rollback ? "rollback" : "update"}
         + " paused due to failure or early termination of task " + task_id;
}

std::string rolled_back_message(const std::string& task_id) {
  return "update rolled back due to failure or early termination of task "
         + task_id;
}

pb::Service pause_update(const pb::Service& s, const std::string& message) {
  auto out = s;
  auto& st = *out.mutable_update_status();
  st.set_state(st.state() == pb::UpdateStatus::ROLLBACK_STARTED
                   || st.state() == pb::UpdateStatus::ROLLBACK_PAUSED
                 ? pb::UpdateStatus::ROLLBACK_PAUSED
                 : pb::UpdateStatus::PAUSED);
  st.set_message(message);
  return out;
}

result<pb::Service> rollback_update(const pb::Service& s,
                                    const std::string& message) {
  if (!s.has_previous_spec())
    return fail(errc::refused, "cannot roll back service because no previous "
                               "spec is available");
  auto out = s;
  auto& st = *out.mutable_update_status();
  st.set_state(pb::UpdateStatus::ROLLBACK_STARTED);
  st.set_message(message);
  *out.mutable_spec() = s.previous_spec();
  out.clear_previous_spec();
  out.set_spec_version(s.spec_version() + 1);
  return out;
}

result<pb::Service> manual_rollback(const pb::Service& s, int64_t now_ns) {
  if (!s.has_previous_spec())
    return fail(errc::refused,
                docker_text::rpc_error("FailedPrecondition",
                                       "service " + s.id()
                                         + " does not have a previous spec"));
  auto out = s;
  *out.mutable_spec() = s.previous_spec();
  *out.mutable_previous_spec() = s.spec();
  auto& st = *out.mutable_update_status();
  st.Clear();
  st.set_state(pb::UpdateStatus::ROLLBACK_STARTED);
  st.set_message("manually requested rollback");
  st.set_started_at_ns(now_ns);
  return out;
}

} // namespace actorswarm::update
