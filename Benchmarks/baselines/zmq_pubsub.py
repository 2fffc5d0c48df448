"""pyzmq PUB/SUB loop, the same shape as zmq_pubsub.c and the Swift benchmark."""
import sys
import threading
import time

import zmq

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
size = int(sys.argv[2]) if len(sys.argv) > 2 else 200
ctx = zmq.Context()
sub = ctx.socket(zmq.SUB)
sub.setsockopt(zmq.RCVHWM, 0)
sub.setsockopt(zmq.SUBSCRIBE, b"bench")
sub.bind("tcp://127.0.0.1:*")
endpoint = sub.getsockopt(zmq.LAST_ENDPOINT).decode()
subscribed = threading.Event()


def publish():
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.connect(endpoint)
    while not subscribed.is_set():
        pub.send_multipart([b"bench", b"sync"])
        time.sleep(0.001)
    payload = b"a" * size
    send = pub.send
    for _ in range(count):
        send(b"bench", zmq.SNDMORE)
        send(payload)
    pub.close()


thread = threading.Thread(target=publish)
thread.start()
while True:
    topic, body = sub.recv_multipart()
    if len(body) == size:
        break
    subscribed.set()
start = time.perf_counter()
recv = sub.recv
received_bytes = 0
for _ in range(count - 1):
    recv()
    received_bytes += len(recv())
rate = (count - 1) / (time.perf_counter() - start)
assert received_bytes == (count - 1) * size, "lost messages"
print(f"pyzmq  pubsub tcp: {count} msgs x {size} B: {rate:.0f} msg/s")
thread.join()
sub.close()
ctx.term()
