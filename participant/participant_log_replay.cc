#include "participant/participant_log_replay.h"

#include <string>

namespace twopc::participant {

Status ReplayParticipantRecord(const wal::LogRecord& record, ParticipantLogState* state) {
  switch (static_cast<RecordType>(record.type)) {
    case RecordType::kPrepared: {
      StatusOr<PreparedRecord> prepared = DecodePrepared(record.payload);
      if (!prepared.ok()) return prepared.status();
      state->unresolved[prepared->txid] = std::move(*prepared);
      return Status::Ok();
    }
    case RecordType::kCommitted: {
      StatusOr<std::vector<int64_t>> txids = DecodeTxids(record.payload);
      if (!txids.ok()) return txids.status();
      for (int64_t txid : *txids) {
        auto it = state->unresolved.find(txid);
        if (it == state->unresolved.end()) continue;
        state->committed[txid] = std::move(it->second.changeset);
        state->unresolved.erase(it);
      }
      return Status::Ok();
    }
    case RecordType::kAborted: {
      StatusOr<std::vector<int64_t>> txids = DecodeTxids(record.payload);
      if (!txids.ok()) return txids.status();
      for (int64_t txid : *txids) state->unresolved.erase(txid);
      return Status::Ok();
    }
    case RecordType::kCheckpoint: {
      StatusOr<CheckpointRecord> checkpoint = DecodeCheckpoint(record.payload);
      if (!checkpoint.ok()) return checkpoint.status();
      // `committed` stays: older segments are still here only when the crash
      // came before the database was synced and they were deleted.
      state->unresolved.clear();
      state->heuristics.clear();
      for (PreparedRecord& p : checkpoint->prepared) state->unresolved[p.txid] = std::move(p);
      for (const HeuristicRecord& h : checkpoint->heuristics) state->heuristics[h.txid] = h;
      state->mismatches.clear();
      for (const HeuristicRecord& h : checkpoint->mismatches) state->mismatches[h.txid] = h;
      return Status::Ok();
    }
    case RecordType::kHeuristic: {
      StatusOr<HeuristicRecord> heuristic = DecodeHeuristic(record.payload);
      if (!heuristic.ok()) return heuristic.status();
      state->heuristics[heuristic->txid] = *heuristic;
      state->unresolved.erase(heuristic->txid);
      return Status::Ok();
    }
    case RecordType::kHeuristicMismatch: {
      StatusOr<HeuristicRecord> mismatch = DecodeHeuristic(record.payload);
      if (!mismatch.ok()) return mismatch.status();
      state->mismatches[mismatch->txid] = *mismatch;
      return Status::Ok();
    }
    case RecordType::kHeuristicChecked: {
      StatusOr<std::vector<int64_t>> txids = DecodeTxids(record.payload);
      if (!txids.ok()) return txids.status();
      for (int64_t txid : *txids) state->heuristics.erase(txid);
      return Status::Ok();
    }
  }
  return Status::Corruption("unknown participant record type " + std::to_string(record.type) +
                            " at segment " + std::to_string(record.segment) + " offset " +
                            std::to_string(record.offset));
}

void FinishReplay(ParticipantLogState* state) {
  for (const auto& [txid, changeset] : state->committed) state->unresolved.erase(txid);
}

}  // namespace twopc::participant
