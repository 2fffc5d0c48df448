// Bare libzmq PUB/SUB loop: the baseline the Swift wrapper is measured against.
// Same shape as Benchmarks/streamsmote-bench/ZeroMQBenchmark.swift: the subscriber binds on
// tcp loopback and receives into a reused zmq_msg_t; the publisher connects and sends
// COUNT two-frame messages (topic, SIZE-byte payload) with unlimited HWMs.
// Build: cc -O2 -o zmq_pubsub zmq_pubsub.c -lzmq -lpthread
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static void *ctx;
static int count = 1000000, size = 200;
static char endpoint[256];
static atomic_int bound, subscribed;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void *publisher(void *arg) {
    (void)arg;
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int zero = 0;
    zmq_setsockopt(pub, ZMQ_SNDHWM, &zero, sizeof zero);
    while (!atomic_load(&bound)) usleep(1000);
    zmq_connect(pub, endpoint);
    while (!atomic_load(&subscribed)) {
        zmq_send(pub, "bench", 5, ZMQ_SNDMORE);
        zmq_send(pub, "sync", 4, 0);
        usleep(1000);
    }
    char *payload = malloc(size);
    memset(payload, 'a', size);
    for (int i = 0; i < count; i++) {
        zmq_send(pub, "bench", 5, ZMQ_SNDMORE);
        zmq_send(pub, payload, size, 0);
    }
    free(payload);
    zmq_close(pub);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) count = atoi(argv[1]);
    if (argc > 2) size = atoi(argv[2]);
    ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "bench", 5);
    zmq_bind(sub, "tcp://127.0.0.1:*");
    size_t len = sizeof endpoint;
    zmq_getsockopt(sub, ZMQ_LAST_ENDPOINT, endpoint, &len);
    atomic_store(&bound, 1);
    pthread_t thread;
    pthread_create(&thread, NULL, publisher, NULL);

    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    for (;;) {
        zmq_msg_recv(&topic, sub, 0);
        zmq_msg_recv(&body, sub, 0);
        if ((int)zmq_msg_size(&body) == size) break;
        atomic_store(&subscribed, 1);
    }
    double start = now();
    long bytes = 0;
    for (int i = 1; i < count; i++) {
        zmq_msg_recv(&topic, sub, 0);
        zmq_msg_recv(&body, sub, 0);
        bytes += zmq_msg_size(&body);
    }
    double rate = (count - 1) / (now() - start);
    if (bytes != (long)(count - 1) * size) { fprintf(stderr, "lost messages\n"); return 1; }
    printf("c      pubsub tcp: %d msgs x %d B: %.0f msg/s\n", count, size, rate);
    pthread_join(thread, NULL);
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return 0;
}
