// Includes sqlite3.h with the session extension declared. Debian's libsqlite3
// has the extension compiled in, but the header declares it only when these
// macros are defined before the include. Every file that needs SQLite includes
// this header instead of <sqlite3.h>.
#pragma once

#ifndef SQLITE_ENABLE_SESSION
#define SQLITE_ENABLE_SESSION 1
#endif
#ifndef SQLITE_ENABLE_PREUPDATE_HOOK
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#endif
#include <sqlite3.h>
