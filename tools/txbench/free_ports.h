// Loopback TCP ports that nothing listens on.
#pragma once

#include <string>
#include <vector>

namespace twopc::txbench {

// `count` distinct free ports on 127.0.0.1 (the kernel picks them). Empty and
// a reason in *error on failure. A port can be taken by someone else before it
// is used; the health wait catches that.
std::vector<int> FreePorts(int count, std::string* error);

}  // namespace twopc::txbench
