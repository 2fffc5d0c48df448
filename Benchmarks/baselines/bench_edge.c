// The publisher, subscriber and bare relay of scripts/bench-daemon.sh, in C so that the
// middle box (the daemon or the relay) is the only thing measured.
//
//   bench_edge pub ENDPOINT PAYLOADS COUNT RATE DONEFILE
//       XPUB bound on ENDPOINT, SNDHWM unlimited; waits for one subscription, then sends COUNT
//       messages (topic "tx", payloads cycled from the file PAYLOADS: each a 4-byte
//       little-endian length and the bytes), as fast as it can (RATE 0) or paced at RATE/s.
//       Each payload holds a 19-digit send time (monotonic ns) where its id says
//       "t0000000000000000000". It stays connected until DONEFILE exists, so nothing is left
//       in its queue when it closes.
//   bench_edge sub ENDPOINT COUNT DONEFILE
//       SUB connected to ENDPOINT, RCVHWM unlimited, every topic; receives until COUNT real
//       messages (topics not starting with "synthetic.") arrived or nothing came for 10 s,
//       prints one JSON line (real, synthetic, seconds from first to last receipt, latency
//       percentiles from the stamped send times), then creates DONEFILE.
//   bench_edge relay FRONTEND BACKEND
//       XSUB connected to FRONTEND, XPUB bound on BACKEND, zmq_proxy between them, unlimited
//       HWMs: the bare relay the daemon is compared with.
// Build: cc -O2 -o bench_edge bench_edge.c -lzmq
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int exists(const char *path) {
    struct stat s;
    return stat(path, &s) == 0;
}

static const char stamp[] = "t0000000000000000000";

static int publisher(const char *endpoint, const char *file, long count, double rate, const char *done) {
    FILE *f = fopen(file, "rb");
    if (!f) { perror(file); return 1; }
    size_t capacity = 1024, n = 0;
    unsigned char **payloads = malloc(capacity * sizeof *payloads);
    uint32_t *sizes = malloc(capacity * sizeof *sizes);
    long *stamps = malloc(capacity * sizeof *stamps);
    uint32_t size;
    while (fread(&size, 4, 1, f) == 1) {
        if (n == capacity) {
            capacity *= 2;
            payloads = realloc(payloads, capacity * sizeof *payloads);
            sizes = realloc(sizes, capacity * sizeof *sizes);
            stamps = realloc(stamps, capacity * sizeof *stamps);
        }
        payloads[n] = malloc(size);
        if (fread(payloads[n], 1, size, f) != size) { fprintf(stderr, "short payload file\n"); return 1; }
        sizes[n] = size;
        stamps[n] = -1;
        unsigned char *at = memmem(payloads[n], size, stamp, sizeof stamp - 1);
        if (at) stamps[n] = (at - payloads[n]) + 1;
        n++;
    }
    fclose(f);
    if (n == 0) { fprintf(stderr, "no payloads\n"); return 1; }
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof zero);
    if (zmq_bind(pub, endpoint) != 0) { fprintf(stderr, "bind %s: %s\n", endpoint, zmq_strerror(zmq_errno())); return 1; }
    char frame[256];
    for (;;) {
        int got = zmq_recv(pub, frame, sizeof frame, 0);
        if (got > 0 && frame[0] == 1) break;
    }
    uint64_t start = now_ns();
    char digits[20];
    for (long i = 0; i < count; i++) {
        size_t k = (size_t)(i % (long)n);
        if (rate > 0) {
            uint64_t due = start + (uint64_t)((double)i * 1e9 / rate);
            while (now_ns() < due) {}
        }
        if (stamps[k] >= 0) {
            snprintf(digits, sizeof digits, "%019llu", (unsigned long long)now_ns());
            memcpy(payloads[k] + stamps[k], digits, 19);
        }
        zmq_send(pub, "tx", 2, ZMQ_SNDMORE);
        zmq_send(pub, payloads[k], sizes[k], 0);
    }
    while (!exists(done)) usleep(10000);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int subscriber(const char *endpoint, long count, const char *done) {
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0, quiet = 10000;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &quiet, sizeof quiet);
    zmq_connect(sub, endpoint);
    uint64_t *latencies = malloc((size_t)count * sizeof *latencies);
    long real = 0, synthetic = 0, stamped = 0;
    uint64_t first = 0, last = 0;
    zmq_msg_t topic, payload;
    zmq_msg_init(&topic);
    zmq_msg_init(&payload);
    while (real < count) {
        if (zmq_msg_recv(&topic, sub, 0) < 0) break;
        if (zmq_msg_recv(&payload, sub, 0) < 0) break;
        uint64_t t = now_ns();
        if (!first) first = t;
        const char *name = zmq_msg_data(&topic);
        if (zmq_msg_size(&topic) >= 10 && memcmp(name, "synthetic.", 10) == 0) { synthetic++; continue; }
        real++;
        last = t;
        // The id "t<19 digits>", in JSON or protobuf alike: the first 't' followed by 19 digits.
        const unsigned char *data = zmq_msg_data(&payload);
        size_t size = zmq_msg_size(&payload);
        for (size_t i = 0; i + 20 <= size; i++) {
            if (data[i] != 't') continue;
            int ok = 1;
            uint64_t sent = 0;
            for (int j = 1; j <= 19 && ok; j++) {
                unsigned char c = data[i + j];
                if (c < '0' || c > '9') ok = 0; else sent = sent * 10 + (uint64_t)(c - '0');
            }
            if (!ok) continue;
            if (sent > 0 && sent <= t) latencies[stamped++] = t - sent;
            break;
        }
    }
    qsort(latencies, (size_t)stamped, sizeof *latencies, compare);
    double seconds = last > first ? (double)(last - first) / 1e9 : 0;
    double p50 = stamped ? latencies[stamped / 2] / 1e3 : 0, p99 = stamped ? latencies[(long)(stamped * 0.99)] / 1e3 : 0;
    double p999 = stamped ? latencies[(long)(stamped * 0.999)] / 1e3 : 0;
    printf("{\"real\": %ld, \"synthetic\": %ld, \"seconds\": %.6f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"stamped\": %ld}\n",
           real, synthetic, seconds, p50, p99, p999, stamped);
    fflush(stdout);
    FILE *d = fopen(done, "w");
    if (d) fclose(d);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}

static int relay(const char *frontend, const char *backend) {
    void *ctx = zmq_ctx_new();
    void *in = zmq_socket(ctx, ZMQ_XSUB), *out = zmq_socket(ctx, ZMQ_XPUB);
    int zero = 0;
    zmq_setsockopt(in, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(out, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_connect(in, frontend);
    if (zmq_bind(out, backend) != 0) { fprintf(stderr, "bind %s: %s\n", backend, zmq_strerror(zmq_errno())); return 1; }
    zmq_proxy(in, out, NULL);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 7 && strcmp(argv[1], "pub") == 0) return publisher(argv[2], argv[3], atol(argv[4]), atof(argv[5]), argv[6]);
    if (argc >= 5 && strcmp(argv[1], "sub") == 0) return subscriber(argv[2], atol(argv[3]), argv[4]);
    if (argc >= 4 && strcmp(argv[1], "relay") == 0) return relay(argv[2], argv[3]);
    fprintf(stderr, "usage: bench_edge pub ENDPOINT PAYLOADS COUNT RATE DONEFILE | sub ENDPOINT COUNT DONEFILE | relay FRONTEND BACKEND\n");
    return 2;
}
