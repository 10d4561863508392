#include "wal/env.h"

namespace twopc::wal {

WritableFile::~WritableFile() = default;
Env::~Env() = default;

}  // namespace twopc::wal
