// The shared temp directory helper, under the name the coordinator tests use.
#pragma once

#include "tests/temp_dir.h"

namespace twopc::coordinator::test {

using TempDir = ::twopc::test::TempDir;

}  // namespace twopc::coordinator::test
