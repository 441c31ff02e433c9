#pragma once

// `--mount` of `service create` and `--mount-add`/`--mount-rm` of `service
// update` -> pb::Mount, with docker's syntax and texts (docker/cli
// opts/mount.go MountOpt.Set, service/update.go updateMounts). The host
// runtime has bind mounts and named volumes; docker's other types and
// options are refused by name. Pure apart from the working directory a
// relative `source=./x` is made absolute with (docker does the same).

#include <string>
#include <vector>

#include "messages/objects.pb.h"
#include "messages/result.hpp"

namespace actorswarm::cli {

/// One `--mount` value: comma-separated (CSV, quotes allowed) `key=value`
/// fields `type=bind|volume` (default volume), `source|src`,
/// `target|dst|destination`, `readonly|ro[=true|false|1|0]`. A `source`
/// starting with "." is made absolute. `flag` names the flag in the error:
/// `invalid argument "x" for "--mount" flag: invalid field 'x' must be a
/// key=value pair`, `... target is required`.
result<pb::Mount> parse_mount_opt(const std::string& flag,
                                  const std::string& value);

/// docker's updateMounts: `add` (--mount-add values) replaces a mount on the
/// same target or is added, `rm` (--mount-rm targets) removes by target,
/// the result sorted by source, then target. Two --mount-add values on one
/// target fail (`duplicate mount target`). Nothing given: no change.
status update_mounts(google::protobuf::RepeatedPtrField<pb::Mount>& mounts,
                     const std::vector<std::string>& add,
                     const std::vector<std::string>& rm);

/// Go's encoding/csv Reader.Read of the first record of `text` (docker reads
/// a --mount value so): fields split at commas, "..." quotes a field ("" is
/// a quote in it). Fails as Go does: `parse error on line 1, column 3: bare
/// " in non-quoted-field`.
result<std::vector<std::string>> csv_record(const std::string& text);

} // namespace actorswarm::cli
