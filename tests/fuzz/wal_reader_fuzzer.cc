// Fuzzes the WAL reader and recovery: arbitrary segment files (see
// wal_fuzz_input.h) are read with ReadLog, every record is replayed by both
// sides' record decoders, then Log::Open recovers the directory.
// Checked: no crash; Log::Open fails exactly when ReadLog reports corruption;
// after Open trimmed a torn tail, the log reads back the same records, clean.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "coordinator/wal_decision_log.h"
#include "participant/participant_log_replay.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_env.h"
#include "tests/fuzz/wal_fuzz_input.h"
#include "wal/log.h"
#include "wal/log_reader.h"

namespace {

using twopc::Status;
using twopc::wal::LogRecord;

constexpr char kDir[] = "/wal";

void Check(bool condition, const char* what) {
  twopc::fuzz::Check(condition, "wal_reader_fuzzer", what);
}

struct Seen {
  std::vector<std::pair<twopc::wal::RecordType, std::string>> records;
  twopc::participant::ParticipantLogState participant;
  twopc::coordinator::RecoveredDecisions coordinator;
};

Status Visit(const LogRecord& record, Seen* seen) {
  seen->records.emplace_back(record.type, record.payload);
  // The same bytes through both sides' decoders; their errors are expected.
  (void)twopc::participant::ReplayParticipantRecord(record, &seen->participant);
  (void)twopc::coordinator::ReplayDecisions(record, &seen->coordinator);
  return Status::Ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const twopc::fuzz::WalInput input =
      twopc::fuzz::ParseWalInput(std::string_view(reinterpret_cast<const char*>(data), size));
  twopc::fuzz::MemoryEnv env;
  (void)env.CreateDirIfMissing(kDir);
  for (size_t i = 0; i < input.segments.size() && i < 8; ++i) {
    const uint64_t segment = input.first_segment + i;
    env.PutFile(twopc::wal::SegmentPath(kDir, segment),
                input.structured ? twopc::fuzz::BuildStructuredSegment(segment, input.segments[i])
                                 : input.segments[i]);
  }

  Seen first;
  twopc::wal::ReadReport report;
  const Status read = twopc::wal::ReadLog(
      &env, kDir, [&](const LogRecord& r) { return Visit(r, &first); }, &report);
  twopc::participant::FinishReplay(&first.participant);
  Check(read.ok() || read.IsCorruption(), "ReadLog fails only with Corruption on memory files");

  twopc::wal::LogOptions options;
  options.dir = kDir;
  options.env = &env;
  // Small, so that each run does not zero megabytes of memory (the zero
  // tail is still there for the reread below).
  options.preallocate_bytes = 4096;
  std::unique_ptr<twopc::wal::Log> log;
  Seen opened;
  const Status open = twopc::wal::Log::Open(
      options, [&](const LogRecord& r) { return Visit(r, &opened); }, &log, nullptr);
  Check(open.ok() == read.ok(), "Log::Open and ReadLog agree");
  if (!open.ok()) return 0;
  Check(opened.records == first.records, "Log::Open sees what ReadLog saw");
  log.reset();

  // Recovery trimmed any torn tail and started a new segment: a clean log now.
  Seen again;
  twopc::wal::ReadReport again_report;
  const Status reread = twopc::wal::ReadLog(
      &env, kDir, [&](const LogRecord& r) { return Visit(r, &again); }, &again_report);
  Check(reread.ok(), "a recovered log reads back");
  Check(!again_report.torn_tail, "a recovered log has no torn tail");
  Check(again.records == first.records, "a recovered log keeps every record");
  return 0;
}
