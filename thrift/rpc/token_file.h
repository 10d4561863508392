// Reading the cluster's shared-secret token from a file. The token itself is
// never logged or printed; messages name the file only.
#pragma once

#include <string>

namespace twopc::rpc {

// Reads the token: the file's content without leading and trailing whitespace
// (so a trailing newline does not count). On failure (unreadable, empty)
// returns false with a one-line reason in *error. *warning is set (else
// cleared) when the file can be read by other users, or the token is short.
bool ReadTokenFile(const std::string& path, std::string* token, std::string* error,
                   std::string* warning);

// The token with these leading and trailing characters removed.
std::string TrimToken(const std::string& text);

}  // namespace twopc::rpc
