// txrecover's work on log files alone (the processes may be dead): list what
// a participant's or the coordinator's log leaves unresolved, and force an
// outcome at a participant when the coordinator's log is lost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/in_doubt_format.h"
#include "wal/base/status.h"

namespace twopc::tools {

struct OfflineListing {
  std::vector<InDoubtLine> lines;
  std::vector<std::string> notes;  // e.g. a torn tail that was tolerated
};

// Reads the participant WAL in dir without changing it. With a database,
// a PREPARED whose txid is in its bookkeeping table shows as committed.
Status ListParticipantLog(const std::string& dir, const std::string& db, OfflineListing* out);

// Reads the coordinator's decision log in dir without changing it.
Status ListCoordinatorLog(const std::string& dir, OfflineListing* out);

// A heuristic decision for txid at a stopped participant: refuses while the
// agent runs (its WAL dir is locked), records the decision as heuristic, and
// for --commit applies the prepared changes to the database.
Status ResolveHeuristically(int64_t txid, bool commit, const std::string& wal_dir,
                            const std::string& db, std::string* done);

}  // namespace twopc::tools
