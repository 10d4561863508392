// The participant's WAL records. PREPARED is synced before a YES vote; the
// outcome records are not forced (the bookkeeping table in the database is the
// authority for "committed", and presumed abort covers a lost ABORTED).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wal/status.h"

namespace twopc::participant {

enum class RecordType : uint8_t {
  kPrepared = 1,   // txid, time, coordinator address, changeset
  kCommitted = 2,  // txids whose changes are in the database
  kAborted = 3,    // txid released without applying
};

struct PreparedRecord {
  int64_t txid = 0;
  int64_t prepared_at_ms = 0;  // wall clock, for the age txrecover shows
  std::string coordinator;
  std::string changeset;
};

std::string EncodePrepared(const PreparedRecord& record);
StatusOr<PreparedRecord> DecodePrepared(std::string_view payload);

std::string EncodeTxids(const std::vector<int64_t>& txids);
StatusOr<std::vector<int64_t>> DecodeTxids(std::string_view payload);

}  // namespace twopc::participant
