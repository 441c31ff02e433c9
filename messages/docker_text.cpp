#include "messages/docker_text.hpp"

namespace actorswarm::docker_text {

std::string not_swarm_manager() {
  return "This node is not a swarm manager. Use \"actorswarm swarm init\" or "
         "\"actorswarm swarm join\" to connect this node to swarm and try "
         "again.";
}

std::string no_leader() {
  return "The swarm does not have a leader. It's possible that too few "
         "managers are online. Make sure more than half of the managers are "
         "online.";
}

std::string already_in_swarm() {
  return "This node is already part of a swarm. Use \"actorswarm swarm "
         "leave\" to leave this swarm and join another one.";
}

std::string not_in_swarm() {
  return "This node is not part of a swarm";
}

std::string name_conflict(const std::string& kind, const std::string& name) {
  return "name conflicts with an existing object: " + kind + " " + name
         + " already exists";
}

std::string rpc_error(const std::string& code, const std::string& desc) {
  return "rpc error: code = " + code + " desc = " + desc;
}

std::string no_such(const std::string& kind, const std::string& ref) {
  return "No such " + kind + ": " + ref;
}

std::string ambiguous(const std::string& kind, const std::string& ref,
                      size_t matches) {
  return kind + " " + ref + " is ambiguous (" + std::to_string(matches)
         + " matches found)";
}

std::string from_daemon(const std::string& message) {
  return "Error response from daemon: " + message;
}

std::string invalid_filter(const std::string& filter) {
  return "invalid filter '" + filter + "'";
}

} // namespace actorswarm::docker_text

namespace actorswarm::docker_text {

std::string swarm_locked() {
  return "Swarm is encrypted and needs to be unlocked before it can be used. "
         "Please use \"actorswarm swarm unlock\" to unlock it.";
}

std::string invalid_unlock_key() {
  return "swarm could not be unlocked: invalid key provided";
}

std::string swarm_not_locked() {
  return "swarm is not locked";
}

std::string unlock_key_instructions(const std::string& key) {
  return "To unlock a swarm manager after it restarts, run the `actorswarm "
         "swarm unlock`\ncommand and provide the following key:\n\n    "
         + key
         + "\n\nPlease remember to store this key in a password manager, "
           "since without it you\nwill not be able to restart the manager.\n";
}

std::string no_unlock_key() {
  return "no unlock key is set";
}

std::string cannot_rotate_unlock_key() {
  return "cannot rotate because autolock is not turned on";
}

} // namespace actorswarm::docker_text

namespace actorswarm::docker_text {

std::string invalid_mount_config(const std::string& type,
                                 const std::string& err) {
  return "invalid mount config for type \"" + type + "\": " + err;
}

std::string mount_field_empty(const std::string& field) {
  return "field " + field + " must not be empty";
}

std::string mount_target_is_root() {
  return "invalid specification: destination can't be '/'";
}

std::string mount_path_not_absolute(const std::string& path) {
  return "invalid mount path: '" + path + "' mount path must be absolute";
}

std::string bind_source_missing(const std::string& path) {
  return "bind source path does not exist: " + path;
}

std::string invalid_volume_name(const std::string& name) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9');
  };
  if (name.size() == 1)
    return "create " + name
           + ": volume name is too short, names should be at least two "
             "alphanumeric characters";
  bool ok = !name.empty() && alnum(name[0]);
  for (size_t i = 1; ok && i < name.size(); ++i)
    ok = alnum(name[i]) || name[i] == '_' || name[i] == '.' || name[i] == '-';
  if (ok)
    return {};
  return "create " + name + ": \"" + name
         + "\" includes invalid characters for a local volume name, only "
           "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to "
           "pass a host directory, use absolute path";
}

std::string duplicate_mount_point(const std::string& target) {
  return "duplicate mount point: " + target;
}

} // namespace actorswarm::docker_text

namespace actorswarm::docker_text {

std::string network_not_found(const std::string& ref) {
  return "network " + ref + " not found";
}

std::string network_name_exists(const std::string& name) {
  return "network with name " + name + " already exists";
}

std::string predefined_network(const std::string& name) {
  return name + " is a pre-defined network and cannot be created";
}

std::string network_in_use(const std::string& network_id,
                           const std::string& service_id) {
  return rpc_error("FailedPrecondition", "network " + network_id
                                           + " is in use by service "
                                           + service_id);
}

std::string ingress_in_use(const std::string& service_id) {
  return rpc_error("FailedPrecondition",
                   "ingress network cannot be removed because service "
                     + service_id + " depends on it");
}

std::string ingress_explicit(const std::string& name) {
  return rpc_error("InvalidArgument",
                   "Service cannot be explicitly attached to the ingress "
                   "network \""
                     + name + "\"");
}

std::string port_in_use(uint32_t port, const std::string& service_name,
                        const std::string& service_id, bool host_mode) {
  return rpc_error("InvalidArgument", "port '" + std::to_string(port)
                                        + "' is already in use by service '"
                                        + service_name + "' (" + service_id
                                        + ") as "
                                        + (host_mode ? "a host-published port"
                                                     : "an ingress port"));
}

} // namespace actorswarm::docker_text
