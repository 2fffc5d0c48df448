// Bare libnats JetStream loop: the baseline the Swift NATS layer is measured against.
// Same shape as Benchmarks/streamsmote-bench/JetStreamBenchmark.swift: COUNT messages of
// SIZE bytes published asynchronously with a Nats-Msg-Id each (4 000 PubAcks outstanding at
// most, a 5 s PubAck timeout per message, an ack handler counting them), timed until the
// last PubAck; then a durable AckAll pull consumer fetches them in batches of BATCH and
// acknowledges the last of each batch, timed until the last message and a confirmed final
// acknowledgement.
// Build: cc -O2 -o js_pubfetch js_pubfetch.c -lnats
// Usage: js_pubfetch URL COUNT SIZE BATCH
#include <nats/nats.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_long acked, failed;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
    (void)js; (void)closure;
    if (pa != NULL) atomic_fetch_add(&acked, 1);
    if (pae != NULL) atomic_fetch_add(&failed, 1);
    natsMsg_Destroy(msg);
}

static void check(natsStatus s, const char *what) {
    if (s != NATS_OK) {
        fprintf(stderr, "%s: %s\n", what, natsStatus_GetText(s));
        nats_PrintLastErrorStack(stderr);
        exit(1);
    }
}

int main(int argc, char **argv) {
    const char *url = argc > 1 ? argv[1] : "nats://127.0.0.1:4222";
    int count = argc > 2 ? atoi(argv[2]) : 200000;
    int size = argc > 3 ? atoi(argv[3]) : 200;
    int batch = argc > 4 ? atoi(argv[4]) : 256;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jo;
    jsErrCode jerr = 0;
    char name[64], subjects[80], subject[80], id[32];
    snprintf(name, sizeof name, "CBENCH_%u", (unsigned)(now() * 1e6));
    snprintf(subjects, sizeof subjects, "%s.>", name);
    snprintf(subject, sizeof subject, "%s.events", name);

    check(natsConnection_ConnectTo(&nc, url), "connect");
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 4000;
    jo.PublishAsync.StallWait = 5000;
    jo.PublishAsync.AckHandler = on_ack;
    check(natsConnection_JetStream(&js, nc, &jo), "jetstream");
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjectList[1] = {subjects};
    sc.Name = name;
    sc.Subjects = subjectList;
    sc.SubjectsLen = 1;
    check(js_AddStream(NULL, js, &sc, NULL, &jerr), "add stream");

    char *payload = malloc(size);
    memset(payload, 'a', size);
    double start = now();
    for (int i = 0; i < count; i++) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        snprintf(id, sizeof id, "m-%d", i);
        po.MsgId = id;
        po.MaxWait = 5000;
        check(js_PublishAsync(js, subject, payload, size, &po), "publish");
    }
    jsPubOptions done;
    jsPubOptions_Init(&done);
    done.MaxWait = 120000;
    check(js_PublishAsyncComplete(js, &done), "publish complete");
    double publishRate = count / (now() - start);
    if (acked != count || failed != 0) { fprintf(stderr, "acked %ld failed %ld\n", (long)acked, (long)failed); return 1; }

    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "bench";
    cc.AckPolicy = js_AckAll;
    cc.MaxAckPending = 100000;
    check(js_AddConsumer(NULL, js, name, &cc, NULL, &jerr), "add consumer");
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = name;
    so.Consumer = "bench";
    natsSubscription *sub = NULL;
    check(js_PullSubscribe(&sub, js, NULL, "bench", NULL, &so, &jerr), "pull subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    start = now();
    long received = 0, bytes = 0;
    natsMsg *last = NULL;
    while (received < count) {
        natsMsgList list;
        check(natsSubscription_Fetch(&list, sub, batch, 5000, &jerr), "fetch");
        for (int i = 0; i < list.Count; i++) bytes += natsMsg_GetDataLength(list.Msgs[i]);
        received += list.Count;
        if (last != NULL) natsMsg_Destroy(last);
        last = list.Msgs[list.Count - 1];
        list.Msgs[list.Count - 1] = NULL;
        natsMsgList_Destroy(&list);
        if (received < count) check(natsMsg_Ack(last, NULL), "ack");
    }
    check(natsMsg_AckSync(last, NULL, &jerr), "final ack");
    double consumeRate = received / (now() - start);
    if (bytes != (long)count * size) { fprintf(stderr, "lost or foreign messages\n"); return 1; }
    natsMsg_Destroy(last);
    natsSubscription_Destroy(sub);
    js_DeleteStream(js, name, NULL, NULL);
    printf("c jetstream publish-async: %d msg/s\n", (int)publishRate);
    printf("c jetstream fetch+ack: %d msg/s\n", (int)consumeRate);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    free(payload);
    return 0;
}
