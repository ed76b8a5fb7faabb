// Process-wide SQLite settings. sqlite3_config() takes effect only before
// SQLite's first use and is not safe while other threads use SQLite, so they
// are applied as the program is loaded, before main and before any thread.
#include <sqlite3.h>
#include "sluice_sqlite.h"

static int memory_statistics_answer = -1;

// Debian's SQLite keeps memory statistics (SQLITE_DEFAULT_MEMSTATUS=1): every
// allocation and every free takes a process-wide mutex to count bytes, and the
// same build omits the lookaside allocator, so each row the single writer steps
// allocates. Sluice never reads those statistics.
__attribute__((constructor)) static void sluice_sqlite_setup(void) {
    memory_statistics_answer = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int sluice_sqlite_memory_statistics_answer(void) { return memory_statistics_answer; }
