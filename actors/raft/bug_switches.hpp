#pragma once

// Bug switches (FoundationDB's BUGGIFY, the other way round): each one brings
// back a defect that was fixed, so a permanent test can show that the
// simulation (tests/sim/) still finds it. Only tests switch them on; the
// daemon never does. Plain globals: the simulation runs single-threaded.

namespace actorswarm::raft::bugs {

/// Issue #9 defect 1: start without reconciling the log with a newer
/// snapshot file (a crash between publishing a snapshot and compacting the
/// log then stops every later start).
inline bool skip_startup_reconcile = false;

/// Issue #9 defect 3: force-new-cluster in its old order (clear the log,
/// then compact it to the snapshot) and keeping only the applied index
/// (committed entries after it are dropped).
inline bool unsafe_force_new_cluster = false;

} // namespace actorswarm::raft::bugs
