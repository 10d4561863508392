// Reading the cluster's shared-secret token from a file. The token itself is
// never logged or printed; messages name the file only.
#pragma once

#include <string>

#include "wal/base/status.h"

namespace twopc::rpc {

// Reads the token: the file's content without leading and trailing whitespace
// (so a trailing newline does not count). Returns IoError when the file cannot
// be read and InvalidArgument when it is empty or too large for a token, with
// a one-line reason. *warning is set (else cleared) when the file can be read
// by other users, or the token is short.
StatusOr<std::string> ReadTokenFile(const std::string& path, std::string* warning);

// The token with these leading and trailing characters removed.
std::string TrimToken(const std::string& text);

}  // namespace twopc::rpc
