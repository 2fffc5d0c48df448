"""Real `nats-server` processes on loopback for the oracles: one JetStream server, or a
JetStream cluster, each member with its own ports and store, dying with this process.

    with NatsServer() as server:                 # JetStream on, healthy
        ... connect to server.url ...

    with NatsCluster(3) as cluster:              # meta leader elected
        ... connect to cluster.server_list ...
        cluster.kill(1)                          # SIGKILL, as a crash
        cluster.restart(1)                       # same ports and store; waits until ready

Readiness is polled on the monitoring port (`/healthz`, `/jsz`), never guessed with a sleep.
Every process gets PR_SET_PDEATHSIG, so a crashed oracle leaves no server behind; the context
managers (and `shutdown()`) remove the store directories.
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _temporary_directory(prefix):
    """A directory of our own, marked with this process's id; directories of test servers
    whose owner died (a crashed oracle cannot clean up) are removed on the way."""
    for stale in Path(tempfile.gettempdir()).glob("streamsmote-nats-*"):
        try:
            os.kill(int((stale / "owner").read_text()), 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except (OSError, ValueError):
            pass
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    (directory / "owner").write_text(str(os.getpid()))
    return directory


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1, as the system hands them out."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def poll(what, condition, timeout=20.0):
    """Calls `condition` until it is true or `timeout` passes; raises TimeoutError then."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


class NatsServer:
    """One `nats-server`. Without `directory`, it starts at once as a single JetStream server."""

    def __init__(self, name="n1", jetstream=True, directory=None, ports=None, cluster=None, start=True):
        self.name = name
        self._owns_directory = directory is None
        self.directory = Path(directory) if directory else _temporary_directory("streamsmote-nats-")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.client_port, self.monitor_port = ports or free_ports(2)
        self.cluster_port = cluster["port"] if cluster else None
        self.config_path = self.directory / "server.conf"
        self.log_path = self.directory / "server.log"
        lines = [f'server_name: "{name}"', f'listen: "127.0.0.1:{self.client_port}"',
                 f'http: "127.0.0.1:{self.monitor_port}"']
        if jetstream:
            lines += ["jetstream {", f'  store_dir: "{self.directory / "store"}"',
                      "  max_memory_store: 268435456", "  max_file_store: 2147483648", "}"]
        if cluster:
            routes = ", ".join(f'"nats-route://127.0.0.1:{port}"' for port in cluster["routes"])
            lines += ["cluster {", f'  name: "{cluster["name"]}"', f'  listen: "127.0.0.1:{cluster["port"]}"',
                      f"  routes: [{routes}]", "}"]
        self.config_path.write_text("\n".join(lines) + "\n")
        self.process = None
        if start:
            self.launch()
            self.wait_healthy()

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.client_port}"

    def launch(self):
        """Starts the process (same ports and store as before) without waiting."""
        assert self.process is None, f"{self.name} is already running"
        self.process = subprocess.Popen(
            ["nats-server", "-c", str(self.config_path), "-l", str(self.log_path)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent)

    def restart(self, timeout=20.0):
        self.launch()
        self.wait_healthy(timeout)

    def kill(self):
        """SIGKILL, as a crash would, and wait until it is gone."""
        self._end(signal.SIGKILL)

    def stop(self):
        """SIGTERM (a clean shutdown), and wait until it is gone."""
        self._end(signal.SIGTERM)

    def pause(self):
        """SIGSTOP: the server keeps its sockets but answers nothing. Returns once every
        thread has stopped (a signal takes effect asynchronously)."""
        if not self.process:
            return
        self.process.send_signal(signal.SIGSTOP)
        tasks = Path(f"/proc/{self.process.pid}/task")

        def stopped():
            try:
                states = [(task / "stat").read_text().rsplit(")", 1)[1].split()[0] for task in tasks.iterdir()]
            except OSError:
                return False
            return bool(states) and all(state in ("T", "t") for state in states)
        poll(f"{self.name} to stop", stopped, 10)

    def resume(self):
        if self.process:
            self.process.send_signal(signal.SIGCONT)

    def _end(self, sig):
        if self.process is None:
            return
        self.process.send_signal(sig)
        self.process.send_signal(signal.SIGCONT)
        self.process.wait()
        self.process = None

    @property
    def running(self):
        return self.process is not None

    def exited(self):
        """Whether the process ended by itself (for example on a taken port)."""
        if self.process is not None and self.process.poll() is not None:
            self.process = None
            return True
        return self.process is None

    def monitor(self, path):
        """The body of GET `path` on the monitoring port."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}{path}", timeout=2) as answer:
            return answer.read().decode()

    def healthy(self):
        try:
            return '"ok"' in self.monitor("/healthz")
        except OSError:
            return False

    def jsz(self, query=""):
        try:
            return json.loads(self.monitor("/jsz" + query))
        except (OSError, ValueError):
            return None

    def wait_healthy(self, timeout=20.0):
        def ready():
            if self.exited():
                raise RuntimeError(f"{self.name} exited during start:\n{self.log_tail()}")
            return self.healthy()
        poll(f"{self.name} healthy", ready, timeout)

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def shutdown(self):
        self.kill()
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


class NatsCluster:
    """`size` JetStream servers `n1`… routed to each other under one cluster name."""

    def __init__(self, size=3, name="C", timeout=30.0):
        self.name = name
        self.directory = _temporary_directory("streamsmote-nats-cluster-")
        ports = free_ports(3 * size)
        self.servers = []
        try:
            for i in range(size):
                routes = [ports[3 * j + 2] for j in range(size) if j != i]
                self.servers.append(NatsServer(
                    name=f"n{i + 1}", directory=self.directory / f"n{i + 1}", ports=ports[3 * i:3 * i + 2],
                    cluster={"name": name, "port": ports[3 * i + 2], "routes": routes}, start=False))
            for server in self.servers:
                server.launch()
            self.wait_ready(timeout)
        except BaseException:
            self.shutdown()
            raise

    @property
    def server_list(self):
        """Every member's client URL, comma-separated."""
        return ",".join(server.url for server in self.servers)

    @property
    def urls(self):
        return [server.url for server in self.servers]

    def meta_leader(self, server):
        report = server.jsz()
        return ((report or {}).get("meta_cluster") or {}).get("leader")

    def wait_ready(self, timeout=30.0):
        """Every running member healthy, all naming the same running meta leader."""
        def ready():
            running = [s for s in self.servers if s.running]
            for server in running:
                if server.exited():
                    raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            if not all(s.healthy() for s in running):
                return False
            leaders = {self.meta_leader(s) for s in running}
            return len(leaders) == 1 and None not in leaders and any(s.name in leaders for s in running)
        poll(f"cluster {self.name} ready", ready, timeout)

    def index(self, name):
        return next(i for i, s in enumerate(self.servers) if s.name == name)

    def kill(self, index):
        self.servers[index].kill()

    def restart(self, index, timeout=30.0):
        self.servers[index].launch()
        self.wait_ready(timeout)

    def shutdown(self):
        for server in self.servers:
            server.kill()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()
