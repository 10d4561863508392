// Loopback TCP ports that nothing listens on.
#pragma once

#include <vector>

#include "wal/base/status.h"

namespace twopc::tools {

// `count` distinct free ports on 127.0.0.1 (the kernel picks them). A port can
// be taken by someone else before it is used; the health wait catches that.
StatusOr<std::vector<int>> FreePorts(int count);

}  // namespace twopc::tools
