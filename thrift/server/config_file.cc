#include "thrift/server/config_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace twopc::program {
namespace {

std::string Trim(const std::string& text) {
  const char* kBlanks = " \t\r";
  const size_t begin = text.find_first_not_of(kBlanks);
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(kBlanks) - begin + 1);
}

}  // namespace

Status ParseConfigText(const std::string& text, const std::string& path,
                       std::vector<SourcedArg>* args) {
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::string origin = path + " line " + std::to_string(number);
    if (line.rfind("--", 0) != 0) line = "--" + line;
    const size_t equals = line.find('=');
    const std::string name = line.substr(0, equals);
    if (name.size() == 2 || name.find_first_of(" \t") != std::string::npos) {
      return Status::InvalidArgument(origin + ": expected --flag=value, got '" + Trim(line) + "'");
    }
    if (name == "--config") {
      return Status::InvalidArgument(origin + ": --config cannot be used inside a config file");
    }
    args->push_back({line, origin});
  }
  return Status::Ok();
}

Status ReadConfigFile(const std::string& path, std::vector<SourcedArg>* args) {
  struct stat info;
  if (::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode)) {
    return Status::IoError("--config " + path + ": cannot read: it is a directory");
  }
  std::ifstream file(path);
  if (!file) return Status::IoError("--config " + path + ": cannot read: " + std::strerror(errno));
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return Status::IoError("--config " + path + ": cannot read: " + std::strerror(errno));
  }
  return ParseConfigText(text.str(), path, args);
}

}  // namespace twopc::program
