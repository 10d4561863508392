#include "thrift/rpc/token_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace twopc::rpc {
namespace {

constexpr char kWhitespace[] = " \t\r\n";
// Below this a token is guessable; allowed, but warned about.
constexpr size_t kShortTokenChars = 16;
// A token file is a few bytes; anything larger is the wrong file.
constexpr std::streamoff kMaxTokenFileBytes = 4096;

}  // namespace

std::string TrimToken(const std::string& text) {
  const size_t first = text.find_first_not_of(kWhitespace);
  if (first == std::string::npos) return "";
  const size_t last = text.find_last_not_of(kWhitespace);
  return text.substr(first, last - first + 1);
}

StatusOr<std::string> ReadTokenFile(const std::string& path, std::string* warning) {
  warning->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::IoError("--token-file " + path + ": cannot read it: " + std::strerror(errno));
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > kMaxTokenFileBytes) {
    return Status::InvalidArgument("--token-file " + path + ": larger than " +
                                   std::to_string(kMaxTokenFileBytes) + " bytes; not a token file");
  }
  in.seekg(0);
  std::ostringstream content;
  content << in.rdbuf();
  std::string token = TrimToken(content.str());
  if (token.empty()) {
    return Status::InvalidArgument("--token-file " + path +
                                   ": empty (it must hold the cluster's token)");
  }
  struct stat info {};
  if (stat(path.c_str(), &info) == 0 && (info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    *warning = "--token-file " + path + " can be read by other users (chmod 600 it)";
  } else if (token.size() < kShortTokenChars) {
    *warning = "the token in --token-file " + path + " is shorter than " +
               std::to_string(kShortTokenChars) + " characters";
  }
  return token;
}

}  // namespace twopc::rpc
