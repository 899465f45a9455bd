/*
 * modbus_loop: the plain-C libmodbus baselines of bench/run.sh.
 *
 *   modbus_loop throughput HOST PORT SECONDS REQUESTS_FILE
 *       Connects once, then sends the read requests listed in REQUESTS_FILE round-robin, one at a time
 *       (modbus_set_slave + modbus_read_*), for SECONDS. Prints one line:
 *           ok N failed F seconds S rate R
 *       where R = N / S, answered requests per second. REQUESTS_FILE has one request per line:
 *           UNIT FUNCTION ADDRESS COUNT        (function 1, 2, 3 or 4; 0-based PDU address)
 *
 *   modbus_loop latency HOST PORT COUNT UNIT FUNCTION ADDRESS QUANTITY
 *       Idle-bus round trips: COUNT single reads, one after the other with a 1 ms pause between them so the
 *       link is idle when each starts. Prints:
 *           n N p50_us P50 p99_us P99 min_us MIN
 *
 * libmodbus set up as Levee sets up its links: error recovery off, 500 ms response timeout.
 */
#include <errno.h>
#include <modbus/modbus.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct request {
    int unit, function, address, count;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static modbus_t *open_link(const char *host, const char *port) {
    modbus_t *ctx = modbus_new_tcp_pi(host, port);
    if (ctx == NULL) {
        fprintf(stderr, "modbus_new_tcp_pi(%s, %s): %s\n", host, port, modbus_strerror(errno));
        exit(2);
    }
    modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_NONE);
    modbus_set_response_timeout(ctx, 0, 500000);
    if (modbus_connect(ctx) == -1) {
        fprintf(stderr, "connect %s:%s: %s\n", host, port, modbus_strerror(errno));
        modbus_free(ctx);
        exit(2);
    }
    return ctx;
}

/* One read; returns the libmodbus result (-1 on failure). */
static int perform(modbus_t *ctx, const struct request *r, uint16_t *words, uint8_t *bits) {
    if (modbus_set_slave(ctx, r->unit) == -1) return -1;
    switch (r->function) {
    case 1: return modbus_read_bits(ctx, r->address, r->count, bits);
    case 2: return modbus_read_input_bits(ctx, r->address, r->count, bits);
    case 3: return modbus_read_registers(ctx, r->address, r->count, words);
    default: return modbus_read_input_registers(ctx, r->address, r->count, words);
    }
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int throughput(const char *host, const char *port, double seconds, const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "open %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct request *requests = NULL;
    size_t n = 0, capacity = 0;
    struct request r;
    while (fscanf(f, "%d %d %d %d", &r.unit, &r.function, &r.address, &r.count) == 4) {
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            requests = realloc(requests, capacity * sizeof *requests);
        }
        requests[n++] = r;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "%s: no requests\n", path);
        return 2;
    }
    modbus_t *ctx = open_link(host, port);
    uint16_t words[125];
    uint8_t bits[2000];
    long ok = 0, failed = 0;
    size_t i = 0;
    double start = now_s(), end = start + seconds, t = start;
    /* Check the clock every 64 requests: cheap, and the run still stops within a few milliseconds. */
    while (t < end) {
        for (int k = 0; k < 64; k++) {
            if (perform(ctx, &requests[i], words, bits) == -1) {
                failed++;
                modbus_flush(ctx);
            } else {
                ok++;
            }
            i = (i + 1) % n;
        }
        t = now_s();
    }
    double elapsed = t - start;
    printf("ok %ld failed %ld seconds %.3f rate %.1f\n", ok, failed, elapsed, (double)ok / elapsed);
    modbus_close(ctx);
    modbus_free(ctx);
    free(requests);
    return 0;
}

static int latency(const char *host, const char *port, int count, struct request r) {
    modbus_t *ctx = open_link(host, port);
    uint16_t words[125];
    uint8_t bits[2000];
    double *samples = malloc((size_t)count * sizeof *samples);
    int n = 0;
    struct timespec pause = {0, 1000000};
    for (int k = 0; k < count; k++) {
        double t0 = now_s();
        int rc = perform(ctx, &r, words, bits);
        double t1 = now_s();
        if (rc != -1) samples[n++] = (t1 - t0) * 1e6;
        nanosleep(&pause, NULL);
    }
    if (n == 0) {
        fprintf(stderr, "latency: every read failed\n");
        return 1;
    }
    qsort(samples, (size_t)n, sizeof *samples, compare_double);
    printf("n %d p50_us %.1f p99_us %.1f min_us %.1f\n", n, samples[n / 2], samples[(n * 99) / 100],
           samples[0]);
    modbus_close(ctx);
    modbus_free(ctx);
    free(samples);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "throughput") == 0) {
        return throughput(argv[2], argv[3], atof(argv[4]), argv[5]);
    }
    if (argc == 9 && strcmp(argv[1], "latency") == 0) {
        struct request r = {atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), atoi(argv[8])};
        return latency(argv[2], argv[3], atoi(argv[4]), r);
    }
    fprintf(stderr,
            "usage: modbus_loop throughput HOST PORT SECONDS REQUESTS_FILE\n"
            "       modbus_loop latency HOST PORT COUNT UNIT FUNCTION ADDRESS QUANTITY\n");
    return 2;
}
