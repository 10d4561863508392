#include "wal/log.h"

#include <glog/logging.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

namespace twopc::wal {

uint64_t PreallocationEnd(uint64_t write_end, uint64_t preallocated, uint64_t step,
                          uint64_t segment_bytes) {
  if (step == 0 || write_end <= preallocated) return preallocated;
  const uint64_t end = std::min(write_end + step, segment_bytes);
  return end > write_end ? end : preallocated;
}

Log::Log(const LogOptions& options, Env* env)
    : options_(options), env_(env), preallocate_(options.preallocate_bytes > 0) {}

Log::~Log() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return;
  // A clean close leaves no zero fill behind. The cut is not synced: it drops no record,
  // and if a crash loses it, the newest segment ends in zero fill, which recovery expects
  // after any crash (and trims). A failed log is left as it is, for recovery to judge.
  Status status = error_.ok() ? file_->TruncateToSize() : Status::Ok();
  Status closed = file_->Close();
  if (status.ok()) status = closed;
  if (!status.ok()) LOG(WARNING) << "closing write-ahead log: " << status.ToString();
}

Status Log::Open(const LogOptions& options, const RecordVisitor& visit, std::unique_ptr<Log>* out,
                 ReadReport* report) {
  if (options.dir.empty()) return Status::InvalidArgument("LogOptions.dir is empty");
  Env* env = options.env != nullptr ? options.env : Env::Default();
  TWOPC_RETURN_IF_ERROR(env->CreateDirIfMissing(options.dir));
  std::unique_ptr<DirLock> dir_lock;
  if (!options.caller_holds_dir_lock) {
    dir_lock = std::make_unique<DirLock>();
    TWOPC_RETURN_IF_ERROR(dir_lock->Acquire(options.dir));
  }

  ReadReport local;
  if (report == nullptr) report = &local;
  // Track where the valid records of the last segment end.
  uint64_t end_segment = 0, end_offset = 0;
  auto track = [&](const LogRecord& record) {
    end_segment = record.segment;
    end_offset = record.offset + kFrameHeaderSize + record.payload.size();
    return visit(record);
  };
  TWOPC_RETURN_IF_ERROR(ReadLog(env, options.dir, track, report));

  uint64_t next_segment = report->last_segment + 1;
  if (report->torn_tail) {
    LOG(WARNING) << "write-ahead log " << options.dir << ": torn tail in segment "
                 << report->torn_segment << ": " << report->torn_detail;
  }
  if (report->torn_tail && report->torn_offset < kSegmentHeaderSize) {
    // The segment never got a complete header, so it holds no record: recreate it.
    next_segment = report->torn_segment;
  } else if (report->last_segment != 0) {
    // Cut the last segment to its valid records and sync it. Trimming keeps a torn tail
    // from turning into mid-log corruption once a newer segment exists, and drops the
    // zero fill (preallocated space) a crashed writer leaves behind; syncing matters
    // even without a tear, because a crashed writer may have left records that are only
    // in the page cache, and the caller is about to act on what it recovered.
    uint64_t valid_end = end_segment == report->last_segment ? end_offset : kSegmentHeaderSize;
    if (report->torn_tail) valid_end = report->torn_offset;
    TWOPC_RETURN_IF_ERROR(env->Truncate(SegmentPath(options.dir, report->last_segment), valid_end));
  }

  std::unique_ptr<Log> log(new Log(options, env));
  log->dir_lock_ = std::move(dir_lock);
  {
    std::lock_guard<std::mutex> lock(log->mu_);
    TWOPC_RETURN_IF_ERROR(log->StartSegmentLocked(next_segment));
    log->stats_ = Stats();  // count only the work done for callers
  }
  *out = std::move(log);
  return Status::Ok();
}

Status Log::StartSegmentLocked(uint64_t segment) {
  const std::string path = SegmentPath(options_.dir, segment);
  std::unique_ptr<WritableFile> file;
  TWOPC_RETURN_IF_ERROR(env_->NewWritableFile(path, &file));
  Status status = file->Append(EncodeSegmentHeader(segment));
  if (status.ok()) status = file->Sync();
  if (status.ok()) status = env_->SyncDir(options_.dir);
  if (!status.ok()) {
    static_cast<void>(file->Close());  // already failing: report the first error
    return status;
  }
  ++stats_.syncs;
  // Only once the header is durable: preallocated earlier, a crash could leave a newest
  // segment of zeros without a header, which the reader rightly calls corruption.
  preallocated_ = 0;
  PreallocateLocked(file.get(), kSegmentHeaderSize);
  file_ = std::move(file);
  segment_ = segment;
  return Status::Ok();
}

void Log::PreallocateLocked(WritableFile* file, uint64_t write_end) {
  if (!preallocate_) return;
  const uint64_t end = PreallocationEnd(write_end, preallocated_, options_.preallocate_bytes,
                                        options_.segment_bytes);
  if (end == preallocated_) return;
  Status status = file->Preallocate(end);
  if (status.IsNotSupported()) {
    preallocate_ = false;  // e.g. tmpfs: plain appends from now on
    return;
  }
  if (!status.ok()) {
    // Not fatal: the write grows the file instead, and reports a full disk if it is one.
    LOG(WARNING) << "write-ahead log " << options_.dir << ": " << status.ToString();
  }
  // Also after a failure, so that the next attempt waits for the next step.
  preallocated_ = end;
}

Status Log::RotateLocked() {
  // The old segment must be durable before records land in the new one, so that a
  // synced Lsn never depends on an unsynced older segment. Its preallocated space is
  // cut first, so that this sync also makes its final size durable: a segment that is not
  // the newest never ends in zero fill, even after a crash.
  Status status = file_->TruncateToSize();
  if (status.ok()) status = file_->Sync();
  if (!status.ok()) return FailLocked(std::move(status));
  ++stats_.syncs;
  synced_lsn_ = last_lsn_;
  Notify(SyncWaitersToWakeLocked());
  // A concurrent Sync may still hold the old file; it is closed when released.
  file_.reset();
  status = StartSegmentLocked(segment_ + 1);
  if (!status.ok()) return FailLocked(std::move(status));
  return Status::Ok();
}

Status Log::FailLocked(Status status) {
  if (error_.ok()) {
    LOG(ERROR) << "write-ahead log " << options_.dir << " failed: " << status.ToString();
    error_ = status;
  }
  Notify(SyncWaitersToWakeLocked());
  return status;
}

std::vector<std::shared_ptr<Log::SyncWaiter>> Log::SyncWaitersToWakeLocked() {
  std::vector<std::shared_ptr<SyncWaiter>> wake;
  std::shared_ptr<SyncWaiter> next_leader;
  for (const std::shared_ptr<SyncWaiter>& waiter : sync_waiters_) {
    if (!error_.ok() || waiter->lsn <= synced_lsn_) {
      wake.push_back(waiter);
    } else if (next_leader == nullptr && !waiter->lead) {
      next_leader = waiter;
    }
  }
  if (next_leader != nullptr && !sync_running_ && error_.ok()) {
    sync_running_ = true;  // on its behalf, so that no newcomer starts another
    next_leader->lead = true;
    wake.push_back(std::move(next_leader));
  }
  return wake;
}

void Log::Notify(const std::vector<std::shared_ptr<SyncWaiter>>& waiters) {
  for (const std::shared_ptr<SyncWaiter>& waiter : waiters) waiter->cv.notify_one();
}

StatusOr<Lsn> Log::Append(RecordType type, std::string_view payload) {
  if (type == kReservedType) return Status::InvalidArgument("record type 0 is reserved");
  if (payload.size() > kMaxRecordBytes) {
    return Status::InvalidArgument("record of " + std::to_string(payload.size()) +
                                   " bytes exceeds kMaxRecordBytes");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  const uint64_t frame_size = kFrameHeaderSize + payload.size();
  if (file_->Size() > kSegmentHeaderSize && file_->Size() + frame_size > options_.segment_bytes) {
    TWOPC_RETURN_IF_ERROR(RotateLocked());
  }
  PreallocateLocked(file_.get(), file_->Size() + frame_size);
  std::string frame;
  frame.reserve(frame_size);
  EncodeFrame(segment_, type, payload, &frame);
  Status status = file_->Append(frame);
  // A partial frame may now be in the file; anything written after it would be
  // unreadable, so the log stops here.
  if (!status.ok()) return FailLocked(std::move(status));
  ++stats_.appends;
  stats_.bytes_written += frame.size();
  return ++last_lsn_;
}

Status Log::Sync(Lsn lsn) {
  std::unique_lock<std::mutex> lock(mu_);
  if (lsn > last_lsn_) {
    return Status::InvalidArgument("Sync(" + std::to_string(lsn) + ") beyond last appended Lsn " +
                                   std::to_string(last_lsn_));
  }
  if (!error_.ok()) return error_;
  if (lsn <= synced_lsn_) return Status::Ok();
  if (sync_running_) {
    // Woken once: when its records are durable, or to run the next fdatasync.
    // Shared, so that a notifier may still hold it after this thread left.
    auto waiter = std::make_shared<SyncWaiter>();
    waiter->lsn = lsn;
    sync_waiters_.push_back(waiter);
    waiter->cv.wait(lock, [&] { return waiter->lead || lsn <= synced_lsn_ || !error_.ok(); });
    sync_waiters_.erase(std::find(sync_waiters_.begin(), sync_waiters_.end(), waiter));
    if (!error_.ok()) {
      if (waiter->lead) sync_running_ = false;
      return error_;
    }
    if (lsn <= synced_lsn_) {
      if (waiter->lead) {
        // Made durable meanwhile (a rotation): pass the turn on.
        sync_running_ = false;
        const std::vector<std::shared_ptr<SyncWaiter>> wake = SyncWaitersToWakeLocked();
        lock.unlock();
        Notify(wake);
      }
      return Status::Ok();
    }
  } else {
    sync_running_ = true;
  }
  // This thread syncs everything written so far, for itself and for whoever waits.
  const Lsn target = last_lsn_;
  std::shared_ptr<WritableFile> file = file_;
  lock.unlock();
  const auto sync_start = std::chrono::steady_clock::now();
  Status status = file->Sync();
  sync_latency_.Observe(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  std::chrono::steady_clock::now() - sync_start)
                                                  .count()));
  lock.lock();
  sync_running_ = false;
  if (!status.ok()) return FailLocked(std::move(status));
  ++stats_.syncs;
  if (target > synced_lsn_) sync_batch_records_.Observe(target - synced_lsn_);
  synced_lsn_ = std::max(synced_lsn_, target);
  const std::vector<std::shared_ptr<SyncWaiter>> wake = SyncWaitersToWakeLocked();
  lock.unlock();
  Notify(wake);
  return Status::Ok();
}

StatusOr<Lsn> Log::AppendAndSync(RecordType type, std::string_view payload) {
  StatusOr<Lsn> lsn = Append(type, payload);
  if (!lsn.ok()) return lsn;
  TWOPC_RETURN_IF_ERROR(Sync(*lsn));
  return lsn;
}

StatusOr<uint64_t> Log::Rotate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!error_.ok()) return error_;
  TWOPC_RETURN_IF_ERROR(RotateLocked());
  return segment_;
}

Status Log::RemoveSegmentsBefore(uint64_t segment) {
  segment = std::min(segment, current_segment());
  std::vector<uint64_t> segments;
  TWOPC_RETURN_IF_ERROR(ListSegments(env_, options_.dir, &segments));
  bool removed = false;
  // Oldest first, so a crash part way leaves the log without gaps.
  for (uint64_t old : segments) {
    if (old >= segment) break;
    TWOPC_RETURN_IF_ERROR(env_->DeleteFile(SegmentPath(options_.dir, old)));
    removed = true;
  }
  if (!removed) return Status::Ok();
  return env_->SyncDir(options_.dir);
}

uint64_t Log::current_segment() const {
  std::lock_guard<std::mutex> lock(mu_);
  return segment_;
}

Log::Stats Log::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace twopc::wal
