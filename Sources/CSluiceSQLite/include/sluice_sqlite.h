#ifndef SLUICE_SQLITE_H
#define SLUICE_SQLITE_H

/// What SQLite answered when its memory statistics were turned off as the
/// program was loaded: 0 (SQLITE_OK) when they are off.
int sluice_sqlite_memory_statistics_answer(void);

#endif
