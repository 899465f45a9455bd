/*
 * sqlite_raw: the plain-C SQLite baseline of bench/run.sh's historian figure.
 *
 *   sqlite_raw DATABASE ROWS POINTS
 *
 * Creates DATABASE (which must not exist) with the historian's `readings` table and its two indexes (the same
 * DDL as Sources/Historian/Schema.swift, v1), in WAL mode with synchronous = FULL as the historian sets it, then
 * inserts ROWS readings with one prepared INSERT, all in one transaction. The data is what levee-bench hands the
 * historian: POINTS point ids ("p0000.value", ...), cycle after cycle, each reading a new value, quality "good",
 * read_at one second apart per cycle. Prints one line:
 *     rows N seconds S rate R
 * timed from BEGIN to COMMIT's return (opening and creating the schema are not timed).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "%s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void exec(sqlite3 *db, const char *sql) {
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, error);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: sqlite_raw DATABASE ROWS POINTS\n");
        return 2;
    }
    const char *path = argv[1];
    long rows = atol(argv[2]);
    int points = atoi(argv[3]);
    if (rows <= 0 || points <= 0) {
        fprintf(stderr, "ROWS and POINTS must be positive\n");
        return 2;
    }
    char (*names)[32] = malloc((size_t)points * sizeof *names);
    for (int p = 0; p < points; p++) snprintf(names[p], sizeof names[p], "p%04d.value", p);

    sqlite3 *db;
    check(db, sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), "open");
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, "PRAGMA synchronous = FULL");
    exec(db, "PRAGMA journal_size_limit = 8388608");
    exec(db,
         "CREATE TABLE readings (id INTEGER PRIMARY KEY, point TEXT NOT NULL, value REAL, quality TEXT NOT NULL, "
         "read_at INTEGER NOT NULL);"
         "CREATE INDEX readings_point_read_at ON readings(point, read_at);"
         "CREATE INDEX readings_read_at ON readings(read_at);");

    sqlite3_stmt *insert;
    check(db,
          sqlite3_prepare_v2(db, "INSERT INTO readings (point, value, quality, read_at) VALUES (?, ?, ?, ?)", -1,
                             &insert, NULL),
          "prepare");
    const int64_t base_ms = 1700000000000LL;

    double start = now_s();
    exec(db, "BEGIN");
    for (long i = 0; i < rows; i++) {
        long cycle = i / points;
        int p = (int)(i % points);
        sqlite3_bind_text(insert, 1, names[p], -1, SQLITE_STATIC);
        sqlite3_bind_double(insert, 2, (double)cycle + (double)p * 0.001);
        sqlite3_bind_text(insert, 3, "good", 4, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 4, base_ms + cycle * 1000);
        check(db, sqlite3_step(insert), "insert");
        sqlite3_reset(insert);
    }
    exec(db, "COMMIT");
    double elapsed = now_s() - start;

    printf("rows %ld seconds %.3f rate %.1f\n", rows, elapsed, (double)rows / elapsed);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    free(names);
    return 0;
}
