// The file `--config FILE` names: one flag per line, as on the command line.
//
//   # a comment (only at the start of a line)
//   --wal_dir=/var/lib/twopc/coordinator
//   listen=0.0.0.0:7700          (the leading -- may be left out)
//   --create_db                  (a boolean switch)
//
// Blank lines are skipped; leading and trailing blanks are trimmed; the value
// is everything after the first '=', taken literally (no quoting). Pure: no
// I/O except ReadConfigFile.
#pragma once

#include <string>
#include <vector>

namespace twopc::program {

// One command-line argument and where it came from ("" for the command line,
// "FILE line N" for a config file), for error messages.
struct SourcedArg {
  std::string text;
  std::string origin;
};

// Turns the text of a config file into `--flag=value` arguments. `path` only
// names the file in errors. False with a one-line reason on a line that is not
// a flag.
bool ParseConfigText(const std::string& text, const std::string& path,
                     std::vector<SourcedArg>* args, std::string* error);

// Reads and parses `path`. False with a one-line reason when it is missing,
// unreadable or malformed.
bool ReadConfigFile(const std::string& path, std::vector<SourcedArg>* args, std::string* error);

}  // namespace twopc::program
