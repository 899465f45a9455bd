/*
 * sqlite_raw: the plain-C SQLite baseline of bench/run.sh's historian figure.
 *
 *   sqlite_raw DATABASE ROWS POINTS
 *
 * Creates DATABASE (which must not exist) with the historian's `points`, `qualities` and `readings` tables and the
 * one readings index (the same DDL as Sources/Historian/Schema.swift, v1), in WAL mode with synchronous = FULL as
 * the historian sets it, then, all in one transaction, numbers the POINTS point names ("p0000.value", ...) and
 * inserts ROWS readings with one prepared INSERT. The data is what levee-bench hands the historian: the points cycle
 * after cycle, each reading a new value, quality "good" (code 0), read_at one second apart per cycle. The point
 * ids come from a plain array, as the historian's come from its in-memory cache. Prints one line:
 *     rows N seconds S rate R
 * timed from BEGIN to COMMIT's return (opening and creating the schema are not timed; numbering the points is).
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
         "CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
         "CREATE TABLE qualities (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);"
         "INSERT INTO qualities (code, name) VALUES (0, 'good'), (1, 'stale'), (2, 'comm-fail'), "
         "(3, 'out-of-range'), (4, 'bad-config'), (5, 'initial');"
         "CREATE TABLE readings (id INTEGER PRIMARY KEY, point_id INTEGER NOT NULL, value REAL, "
         "quality INTEGER NOT NULL, read_at INTEGER NOT NULL);"
         "CREATE INDEX readings_point_read_at ON readings(point_id, read_at);");

    sqlite3_stmt *insert, *insert_point;
    check(db,
          sqlite3_prepare_v2(db, "INSERT INTO readings (point_id, value, quality, read_at) VALUES (?, ?, ?, ?)", -1,
                             &insert, NULL),
          "prepare");
    check(db, sqlite3_prepare_v2(db, "INSERT INTO points (name) VALUES (?)", -1, &insert_point, NULL), "prepare");
    int64_t *ids = malloc((size_t)points * sizeof *ids);
    const int64_t base_ms = 1700000000000LL;

    double start = now_s();
    exec(db, "BEGIN");
    for (int p = 0; p < points; p++) {
        sqlite3_bind_text(insert_point, 1, names[p], -1, SQLITE_STATIC);
        check(db, sqlite3_step(insert_point), "insert point");
        sqlite3_reset(insert_point);
        ids[p] = sqlite3_last_insert_rowid(db);
    }
    for (long i = 0; i < rows; i++) {
        long cycle = i / points;
        int p = (int)(i % points);
        sqlite3_bind_int64(insert, 1, ids[p]);
        sqlite3_bind_double(insert, 2, (double)cycle + (double)p * 0.001);
        sqlite3_bind_int64(insert, 3, 0); /* good */
        sqlite3_bind_int64(insert, 4, base_ms + cycle * 1000);
        check(db, sqlite3_step(insert), "insert");
        sqlite3_reset(insert);
    }
    exec(db, "COMMIT");
    double elapsed = now_s() - start;

    printf("rows %ld seconds %.3f rate %.1f\n", rows, elapsed, (double)rows / elapsed);
    sqlite3_finalize(insert);
    sqlite3_finalize(insert_point);
    sqlite3_close(db);
    free(ids);
    free(names);
    return 0;
}
