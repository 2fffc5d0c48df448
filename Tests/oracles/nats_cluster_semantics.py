"""What the JetStream transport relies on, checked with nats-py against real servers.

A 3-node cluster on loopback (`_nats_support`): an R3 stream with a duplicate window drops a
re-publish with the same `Nats-Msg-Id`; publishes while the stream leader is killed, retried
with the same ids until they are acknowledged, leave every message exactly once; an AckAll
pull consumer acknowledged up to a sequence redelivers only what follows; the killed member
comes back and catches up. The daemon is not involved yet (argv[1] is accepted and unused).
"""
import asyncio
import sys

import nats
from nats.errors import NoRespondersError, TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import APIError, NoStreamResponseError

from _nats_support import NatsCluster, poll

COUNT = 3000
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures += 1


async def retrying(call, timeout=60.0):
    """`call()` until it stops failing with a transient error (no leader yet, a timeout)."""
    deadline = asyncio.get_running_loop().time() + timeout
    pause = 0.01
    while True:
        try:
            return await call()
        except (NoRespondersError, NoStreamResponseError, NatsTimeout, APIError,
                nats.errors.ConnectionReconnectingError) as error:
            if isinstance(error, APIError) and error.code not in (503, None):
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)


async def main(cluster):
    async def quiet(error):
        pass  # a member killed on purpose: reconnecting is expected

    nc = await nats.connect(cluster.urls, reconnect_time_wait=0.1, max_reconnect_attempts=-1, error_cb=quiet)
    js = nc.jetstream(timeout=2)
    info = await retrying(lambda: js.add_stream(StreamConfig(
        name="OUT", subjects=["out.>"], num_replicas=3, duplicate_window=120)))
    leader = info.cluster.leader

    first = await js.publish("out.x", b"first", headers={"Nats-Msg-Id": "m-0"})
    again = await js.publish("out.x", b"again", headers={"Nats-Msg-Id": "m-0"})
    check(not first.duplicate and again.duplicate and again.seq == first.seq,
          "a re-publish with the same id inside the duplicate window is dropped")

    for i in range(1, COUNT):
        if i == COUNT // 3:
            cluster.kill(cluster.index(leader))
        await retrying(lambda: js.publish("out.x", f"m-{i}".encode(), headers={"Nats-Msg-Id": f"m-{i}"}))
    state = (await retrying(lambda: js.stream_info("OUT"))).state
    check(state.messages == COUNT and state.last_seq == COUNT,
          f"publishes through the leader's death, retried with the same ids: {state.messages} stored of {COUNT}")

    await retrying(lambda: js.add_stream(StreamConfig(name="IN", subjects=["in.>"], num_replicas=3)))
    for i in range(10):
        await retrying(lambda: js.publish("in.x", f"e-{i}".encode(), headers={"Nats-Msg-Id": f"e-{i}"}))
    await retrying(lambda: js.add_consumer("IN", ConsumerConfig(
        durable_name="daemon", ack_policy=AckPolicy.ALL, ack_wait=1)))
    sub = await js.pull_subscribe_bind("daemon", "IN")
    seen = []
    while len(seen) < 10:
        seen += await retrying(lambda: sub.fetch(10 - len(seen), timeout=2))
    await seen[4].ack_sync()
    redelivered = []
    while len(redelivered) < 5:
        try:
            redelivered += await sub.fetch(5 - len(redelivered), timeout=5)
        except NatsTimeout:
            break
    got = sorted(m.metadata.sequence.stream for m in redelivered)
    check(got == [6, 7, 8, 9, 10] and all(m.metadata.num_delivered == 2 for m in redelivered),
          f"AckAll up to sequence 5 redelivers exactly 6..10 (got {got})")

    restarted = cluster.index(leader)
    cluster.restart(restarted)

    def caught_up():
        report = cluster.servers[restarted].jsz("?streams=true") or {}
        streams = [stream for account in report.get("account_details") or [] for stream in account.get("stream_detail") or []]
        return any(s["name"] == "OUT" and s["state"]["messages"] == COUNT for s in streams)
    poll("the restarted member to catch up", caught_up, 30)
    check(True, "the killed member restarts on its ports and catches up")
    await nc.close()


if __name__ == "__main__":
    with NatsCluster(3) as cluster:
        asyncio.run(main(cluster))
    print(f"nats_cluster_semantics: {'FAILED' if failures else 'ok'}")
    sys.exit(1 if failures else 0)
