// The JetStream side of scripts/bench-jetstream.sh, on libnats alone: the publisher, the
// subscriber, and a bare consume→republish relay measured beside the daemon.
//
//   js_relay pub   URL STREAM SUBJECT COUNT RATE     COUNT events (RATE/s; 0: as fast as
//                  possible) on SUBJECT of STREAM (created if missing), each with its number
//                  and CLOCK_MONOTONIC send time in its id ("<n>-<ns>") and as Nats-Msg-Id.
//   js_relay relay URL IN OUT PREFIX                 A durable AckAll pull consumer on IN; each
//                  batch (up to 256) republished asynchronously to PREFIX.real.x of OUT (created
//                  if missing, PREFIX.>, 2-minute duplicate window) with id r-<stream seq>, and
//                  acknowledged once every PubAck of the batch is in: the daemon's order
//                  (publish, PubAck, then ack) without the engine. Runs until SIGTERM/SIGINT.
//   js_relay sub   URL STREAM FILTER COUNT           Reads STREAM (FILTER subjects) from its
//                  start until COUNT distinct events arrived (others, such as synthetic
//                  samples, are read and skipped); prints arrivals, missing, duplicates,
//                  events/s between the first and the last arrival, and p50/p99 latency from
//                  the send time in the id. Exits 1 when an event is missing after 60 s of
//                  silence.
//
// Build: cc -O2 -o js_relay js_relay.c -lnats
#include <nats/nats.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stopping = 0;
static void on_signal(int s) { (void)s; stopping = 1; }

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void check(natsStatus s, const char *what) {
    if (s != NATS_OK) {
        fprintf(stderr, "js_relay: %s: %s\n", what, natsStatus_GetText(s));
        nats_PrintLastErrorStack(stderr);
        exit(1);
    }
}

static atomic_long acked, failed;
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
    (void)js; (void)closure; (void)msg;
    if (pa != NULL) atomic_fetch_add(&acked, 1);
    if (pae != NULL) atomic_fetch_add(&failed, 1);
}

static void connect(const char *url, natsConnection **nc, jsCtx **js) {
    check(natsConnection_ConnectTo(nc, url), "connect");
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 4000;
    jo.PublishAsync.StallWait = 30000;
    jo.PublishAsync.AckHandler = on_ack;
    check(natsConnection_JetStream(js, *nc, &jo), "jetstream");
}

static void ensure_stream(jsCtx *js, const char *name, const char *subjects) {
    jsStreamInfo *info = NULL;
    jsErrCode jerr = 0;
    if (js_GetStreamInfo(&info, js, name, NULL, &jerr) == NATS_OK) {
        jsStreamInfo_Destroy(info);
        return;
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *list[1] = {subjects};
    sc.Name = name;
    sc.Subjects = list;
    sc.SubjectsLen = 1;
    sc.Duplicates = 120LL * 1000000000LL;
    check(js_AddStream(NULL, js, &sc, NULL, &jerr), "add stream");
}

static int publisher(const char *url, const char *stream, const char *subject, long count, double rate) {
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    connect(url, &nc, &js);
    ensure_stream(js, stream, subject);
    char payload[512], id[64];
    long long start = now_ns();
    for (long n = 0; n < count; n++) {
        if (rate > 0) {
            long long due = start + (long long)(n / rate * 1e9);
            long long wait;
            while ((wait = due - now_ns()) > 20000) {
                struct timespec pause = {0, wait > 1000000 ? 1000000 : wait};
                nanosleep(&pause, NULL);
            }
        }
        long long sent = now_ns();
        snprintf(id, sizeof id, "%ld-%lld", n, sent);
        // One event in two hundred is the minority.
        int len = snprintf(payload, sizeof payload,
            "{\"id\":\"%s\",\"label\":\"%s\",\"features\":[%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f]}",
            id, n % 200 == 7 ? "fraud" : "legit", (n % 97) / 97.0, (n % 89) / 89.0, (n % 83) / 83.0,
            (n % 79) / 79.0, (n % 73) / 73.0, (n % 71) / 71.0, (n % 67) / 67.0, (n % 61) / 61.0);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id;
        po.MaxWait = 10000;
        check(js_PublishAsync(js, subject, payload, len, &po), "publish");
    }
    jsPubOptions done;
    jsPubOptions_Init(&done);
    done.MaxWait = 120000;
    check(js_PublishAsyncComplete(js, &done), "publish complete");
    double seconds = (now_ns() - start) / 1e9;
    printf("pub: %ld events in %.2f s (%.0f/s), %ld acked, %ld failed\n", count, seconds, count / seconds,
           (long)acked, (long)failed);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return failed == 0 ? 0 : 1;
}

static int relay(const char *url, const char *in, const char *out, const char *prefix) {
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsErrCode jerr = 0;
    connect(url, &nc, &js);
    char subjects[128], subject[160], id[64];
    snprintf(subjects, sizeof subjects, "%s.>", prefix);
    snprintf(subject, sizeof subject, "%s.real.x", prefix);
    ensure_stream(js, out, subjects);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = "relay";
    cc.AckPolicy = js_AckAll;
    cc.MaxAckPending = 100000;
    cc.AckWait = 60LL * 1000000000LL;
    check(js_AddConsumer(NULL, js, in, &cc, NULL, &jerr), "add consumer");
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = in;
    so.Consumer = "relay";
    natsSubscription *sub = NULL;
    check(js_PullSubscribe(&sub, js, NULL, "relay", NULL, &so, &jerr), "pull subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stopping) {
        natsMsgList list;
        natsStatus s = natsSubscription_Fetch(&list, sub, 256, 100, &jerr);
        if (s == NATS_TIMEOUT) continue;
        check(s, "fetch");
        for (int i = 0; i < list.Count; i++) {
            jsMsgMetaData *meta = NULL;
            check(natsMsg_GetMetaData(&meta, list.Msgs[i]), "metadata");
            snprintf(id, sizeof id, "r-%llu", (unsigned long long)meta->Sequence.Stream);
            jsMsgMetaData_Destroy(meta);
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MsgId = id;
            po.MaxWait = 10000;
            check(js_PublishAsync(js, subject, natsMsg_GetData(list.Msgs[i]), natsMsg_GetDataLength(list.Msgs[i]), &po),
                  "republish");
        }
        jsPubOptions done;
        jsPubOptions_Init(&done);
        done.MaxWait = 30000;
        check(js_PublishAsyncComplete(js, &done), "republish complete");
        if (list.Count > 0) check(natsMsg_Ack(list.Msgs[list.Count - 1], NULL), "ack");
        natsMsgList_Destroy(&list);
    }
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return failed == 0 ? 0 : 1;
}

static int compare(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int subscriber(const char *url, const char *stream, const char *filter, long count) {
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsErrCode jerr = 0;
    connect(url, &nc, &js);
    // The stream may not exist yet (the relay or daemon creates it).
    jsStreamInfo *info = NULL;
    long long waited = now_ns();
    while (js_GetStreamInfo(&info, js, stream, NULL, &jerr) != NATS_OK) {
        if (now_ns() - waited > 60000000000LL) { fprintf(stderr, "js_relay: no stream %s\n", stream); return 1; }
        struct timespec pause = {0, 10000000};
        nanosleep(&pause, NULL);
    }
    jsStreamInfo_Destroy(info);
    char durable[64];
    snprintf(durable, sizeof durable, "bench_sub_%lld", now_ns() % 1000000000LL);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = durable;
    cc.AckPolicy = js_AckAll;
    cc.MaxAckPending = 1000000;
    cc.FilterSubject = filter;
    check(js_AddConsumer(NULL, js, stream, &cc, NULL, &jerr), "add consumer");
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Consumer = durable;
    natsSubscription *sub = NULL;
    check(js_PullSubscribe(&sub, js, NULL, durable, NULL, &so, &jerr), "pull subscribe");
    natsSubscription_SetPendingLimits(sub, -1, -1);
    unsigned char *seen = calloc(count, 1);
    long long *latency = malloc(sizeof(long long) * count);
    long arrived = 0, duplicates = 0, foreign = 0;
    long long first = 0, last = 0, quiet_since = now_ns();
    while (arrived < count) {
        natsMsgList list;
        natsStatus s = natsSubscription_Fetch(&list, sub, 1024, 200, &jerr);
        long long received = now_ns();
        if (s == NATS_TIMEOUT) {
            if (received - quiet_since > 60000000000LL) break;
            continue;
        }
        check(s, "fetch");
        quiet_since = received;
        for (int i = 0; i < list.Count; i++) {
            const char *data = natsMsg_GetData(list.Msgs[i]);
            const char *at = strstr(data, "\"id\":\"");
            long n;
            long long sent;
            if (at == NULL || sscanf(at + 6, "%ld-%lld", &n, &sent) != 2 || n < 0 || n >= count
                || strstr(data, "\"synthetic\":true") != NULL) {
                foreign++;
                continue;
            }
            if (seen[n]) { duplicates++; continue; }
            seen[n] = 1;
            latency[arrived++] = received - sent;
            if (first == 0) first = received;
            last = received;
        }
        if (list.Count > 0) natsMsg_Ack(list.Msgs[list.Count - 1], NULL);
        natsMsgList_Destroy(&list);
    }
    qsort(latency, arrived, sizeof(long long), compare);
    double seconds = (last - first) / 1e9;
    printf("sub: %ld/%ld arrived, %ld missing, %ld duplicates, %ld other messages; %.0f events/s; latency p50 %.2f ms p99 %.2f ms\n",
           arrived, count, count - arrived, duplicates, foreign, seconds > 0 ? (arrived - 1) / seconds : 0.0,
           arrived ? latency[arrived / 2] / 1e6 : 0.0, arrived ? latency[(long)(arrived * 0.99)] / 1e6 : 0.0);
    js_DeleteConsumer(js, stream, durable, NULL, NULL);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return arrived == count && duplicates == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 7 && strcmp(argv[1], "pub") == 0) return publisher(argv[2], argv[3], argv[4], atol(argv[5]), atof(argv[6]));
    if (argc >= 6 && strcmp(argv[1], "relay") == 0) return relay(argv[2], argv[3], argv[4], argv[5]);
    if (argc >= 6 && strcmp(argv[1], "sub") == 0) return subscriber(argv[2], argv[3], argv[4], atol(argv[5]));
    fprintf(stderr, "usage: js_relay pub URL STREAM SUBJECT COUNT RATE | relay URL IN OUT PREFIX | sub URL STREAM FILTER COUNT\n");
    return 2;
}
