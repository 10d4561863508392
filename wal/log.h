// The write-ahead log writer: appends framed records to numbered segment files and makes
// them durable with group commit. It knows nothing about what the records mean.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "wal/base/atomic_histogram.h"
#include "wal/base/status.h"
#include "wal/dir_lock.h"
#include "wal/env.h"
#include "wal/log_format.h"
#include "wal/log_reader.h"

namespace twopc::wal {

struct LogOptions {
  std::string dir;
  // Rotate to a new segment when the current one would grow past this. A segment always
  // takes at least one record, however large.
  uint64_t segment_bytes = 64ull << 20;
  // Each segment is preallocated this far ahead of its write offset (never past
  // segment_bytes), one step whenever a write would pass the preallocated end: appends
  // then overwrite allocated space, and only the sync after a step commits a new file
  // size. 0 turns it off; file systems without fallocate fall back to plain appends.
  uint64_t preallocate_bytes = 4ull << 20;
  Env* env = nullptr;  // nullptr means Env::Default()
  // Open locks dir (DirLock) for as long as the Log lives, so that two
  // processes never write one log. A caller that must hold the lock earlier
  // (txpart locks before it opens its database) takes it itself and says so.
  bool caller_holds_dir_lock = false;
};

// Where a segment's preallocated space should end before a write ending at `write_end`:
// `preallocated` while the write fits in it, otherwise `step` bytes past the write, capped
// at `segment_bytes` (the log rotates there). `preallocated` when the cap leaves nothing
// past the write (a write that fills the segment, a record larger than a segment).
uint64_t PreallocationEnd(uint64_t write_end, uint64_t preallocated, uint64_t step,
                          uint64_t segment_bytes);

class Log {
 public:
  // Creates options.dir if missing, reads the existing log (passing every record to
  // visit), trims a torn tail off the last segment and syncs it (so that what visit saw
  // is durable), then starts a new segment for appending. Corruption (or an error from
  // visit) is returned and nothing is opened. `report` may be null.
  static Status Open(const LogOptions& options, const RecordVisitor& visit,
                     std::unique_ptr<Log>* out, ReadReport* report = nullptr);

  // Cuts the preallocated space off the current segment and closes it, without syncing.
  ~Log();

  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Thread-safe. Writes the record (not synced) and returns its Lsn: 1 for the first
  // record appended through this object, then increasing by one. A failed write leaves
  // the log failed: every later call returns that error.
  StatusOr<Lsn> Append(RecordType type, std::string_view payload);

  // Thread-safe group commit: returns once every record with an Lsn <= `lsn` is durable.
  // Concurrent callers share fdatasync calls, and appends continue while one runs. A
  // failed sync is sticky: the log returns that error from then on.
  Status Sync(Lsn lsn);

  StatusOr<Lsn> AppendAndSync(RecordType type, std::string_view payload);

  // For checkpoints: cuts the preallocated space off the current segment, syncs and
  // closes it, starts a new one and returns its number. Records appended afterwards go to
  // the new segment. Only the newest segment can end in zero fill.
  StatusOr<uint64_t> Rotate();

  // Deletes every segment numbered below `segment` (never the current one), oldest
  // first, then syncs the directory.
  Status RemoveSegmentsBefore(uint64_t segment);

  uint64_t current_segment() const;

  struct Stats {
    uint64_t appends = 0;
    // fdatasync calls since Open, by Sync() and by rotations (old segment + new header):
    // appends / syncs is the group commit batch size.
    uint64_t syncs = 0;
    uint64_t bytes_written = 0;
  };
  Stats stats() const;
  // Records made durable by each fdatasync of Sync() (the group commit batch
  // size), and how long each of those fdatasync calls took (nanoseconds).
  const AtomicHistogram& sync_batch_records() const { return sync_batch_records_; }
  const AtomicHistogram& sync_latency() const { return sync_latency_; }

 private:
  Log(const LogOptions& options, Env* env);

  std::unique_ptr<DirLock> dir_lock_;  // null when the caller holds it

  // Creates segment `segment` with a durable header and name, and makes it current.
  Status StartSegmentLocked(uint64_t segment);
  Status RotateLocked();
  // Extends the preallocated space of the current segment's `file` if a write ending at
  // `write_end` would pass it. Never fails: without the space, the write grows the file.
  void PreallocateLocked(WritableFile* file, uint64_t write_end);
  // Records the first failure; the log refuses all work afterwards.
  Status FailLocked(Status status);
  // A thread in Sync waiting for an fdatasync that another thread runs.
  struct SyncWaiter {
    Lsn lsn = 0;
    bool lead = false;  // handed the next fdatasync
    std::condition_variable cv;
  };
  // The waiters whose records are durable now (all of them once the log
  // failed) and, when no fdatasync runs, the oldest waiter left, handed the
  // next one: the others sleep on until it is done, instead of all waking to
  // find that one of them must sync and the rest must wait again. The caller
  // notifies them, with mu_ free where it can (else each would block on it).
  std::vector<std::shared_ptr<SyncWaiter>> SyncWaitersToWakeLocked();
  static void Notify(const std::vector<std::shared_ptr<SyncWaiter>>& waiters);

  const LogOptions options_;
  Env* const env_;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<SyncWaiter>> sync_waiters_;  // oldest first
  // Shared so that a sync running outside mu_ keeps the file alive across a rotation.
  std::shared_ptr<WritableFile> file_;
  uint64_t segment_ = 0;
  uint64_t preallocated_ = 0;  // the current segment's preallocated space ends here
  bool preallocate_;           // false once the file system said it cannot
  Lsn last_lsn_ = 0;           // last record written
  Lsn synced_lsn_ = 0;         // every record <= this is durable
  bool sync_running_ = false;
  Status error_;  // sticky
  Stats stats_;
  AtomicHistogram sync_batch_records_{AtomicHistogram::BatchBounds()};
  AtomicHistogram sync_latency_{AtomicHistogram::LatencyBoundsNanos()};
};

}  // namespace twopc::wal
