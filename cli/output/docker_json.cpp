// docker_json.hpp: the node, the shared pieces, and Go's encoding rules
// (service and spec: docker_json_service.cpp).

#include "cli/output/docker_json.hpp"

#include <cctype>
#include <map>

#include "cli/output/docker_json_detail.hpp"
#include "cli/output/views.hpp"

namespace actorswarm::cli::output {

namespace detail {

bool go_empty(const oj& v) {
  if (v.is_null())
    return true;
  if (v.is_boolean())
    return !v.get<bool>();
  if (v.is_number())
    return v == 0;
  if (v.is_string())
    return v.get<std::string>().empty();
  return v.empty();
}

void go_struct::opt(const char* key, oj v) {
  if (view_ == go_view::typed || !go_empty(v))
    j_[key] = std::move(v);
}

void go_struct::req(const char* key, oj v) {
  j_[key] = std::move(v);
}

void go_struct::ptr(const char* key, oj v) {
  if (view_ == go_view::typed || !v.is_null())
    j_[key] = std::move(v);
}

oj string_map(const google::protobuf::Map<std::string, std::string>& xs) {
  // Go's encoder writes a map's keys sorted.
  std::map<std::string, std::string> sorted(xs.begin(), xs.end());
  oj out = oj::object();
  for (const auto& [k, v] : sorted)
    out[k] = v;
  return out;
}

oj strings(const google::protobuf::RepeatedPtrField<std::string>& xs) {
  oj out = oj::array();
  for (const auto& x : xs)
    out.push_back(x);
  return out;
}

oj version(uint64_t index, go_view view) {
  go_struct v{view};
  v.opt("Index", index);
  return v.done();
}

} // namespace detail

using namespace detail;

std::string go_time(int64_t unix_ns) {
  // Go's zero time.Time, which the API prints for an unset time.
  if (unix_ns == 0)
    return "0001-01-01T00:00:00Z";
  return rfc3339_nano(unix_ns);
}

namespace {

std::string lower(std::string x) {
  for (auto& c : x)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return x;
}

oj node_spec(const pb::NodeSpec& s, go_view view) {
  go_struct out{view};
  out.req("Labels", string_map(s.labels()));
  out.opt("Role", lower(pb::NodeSpec::Role_Name(s.desired_role())));
  out.opt("Availability",
          lower(pb::NodeSpec::Availability_Name(s.availability())));
  return out.done();
}

oj node_description(const pb::NodeDescription& d, go_view view) {
  go_struct platform{view};
  platform.opt("Architecture", d.architecture());
  platform.opt("OS", d.os());
  go_struct res{view};
  res.opt("NanoCPUs", d.resources().nano_cpus());
  res.opt("MemoryBytes", d.resources().memory_bytes());
  go_struct engine{view};
  engine.opt("EngineVersion", d.engine_version());
  engine.opt("Labels", string_map(d.engine_labels()));
  go_struct out{view};
  out.opt("Hostname", d.hostname());
  out.req("Platform", platform.done());
  out.req("Resources", res.done());
  out.req("Engine", engine.done());
  return out.done();
}

oj manager_status(const pb::Node& n, go_view view) {
  if (!n.has_manager_status())
    return nullptr;
  const auto& m = n.manager_status();
  go_struct out{view};
  out.opt("Leader", m.leader());
  out.opt("Reachability",
          lower(pb::ManagerStatus::Reachability_Name(m.reachability())));
  out.opt("Addr", m.addr());
  return out.done();
}

} // namespace

nlohmann::ordered_json node_json(const pb::Node& n, go_view view) {
  go_struct status{view};
  status.opt("State", lower(pb::NodeStatus::State_Name(n.status().state())));
  status.opt("Message", n.status().message());
  status.opt("Addr", n.status().addr());
  go_struct out{view};
  out.req("ID", n.id());
  out.req("Version", version(n.meta().version(), view));
  out.req("CreatedAt", go_time(n.meta().created_at_ns()));
  out.req("UpdatedAt", go_time(n.meta().updated_at_ns()));
  out.req("Spec", node_spec(n.spec(), view));
  out.req("Description", node_description(n.description(), view));
  out.req("Status", status.done());
  out.ptr("ManagerStatus", manager_status(n, view));
  return out.done();
}

} // namespace actorswarm::cli::output
