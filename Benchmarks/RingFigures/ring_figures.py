#!/usr/bin/env python3
"""Ring figures for Benchmarks/README.md: failover time, false failovers under CPU load, idle cost,
and a 64-process ring. Starts real `sasha run` members on 127.0.0.1-127.0.0.N and asks each over
its control socket (one JSON line each way, the same request `sasha status` sends).

    python3 Benchmarks/RingFigures/ring_figures.py failover --members 5 --runs 10 [--fast]
    python3 Benchmarks/RingFigures/ring_figures.py quiet --members 16 --seconds 300 --hogs 2
    python3 Benchmarks/RingFigures/ring_figures.py idle --members 16 --seconds 60
    python3 Benchmarks/RingFigures/ring_figures.py big --members 64

Needs a built `sasha` (default .build/release/sasha: `swift build -c release`)."""
import argparse, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

DEFAULT = dict(heartbeat_ms=100, token_timeout_ms=1000, broadcast_timeout_ms=500)
FAST = dict(heartbeat_ms=20, token_timeout_ms=150, broadcast_timeout_ms=100)


class Cluster:
    def __init__(self, sasha, members, timing, port):
        self.sasha = sasha
        self.folder = tempfile.mkdtemp(prefix="sasha-ring-")
        self.addresses = [f"127.0.0.{i}" for i in range(1, members + 1)]
        self.config = os.path.join(self.folder, "ring.yaml")
        self.control = os.path.join(self.folder, "c")
        with open(self.config, "w") as f:
            f.write(f"""cluster: {{ name: figures, vip: 127.0.0.254, ports: [18080] }}
ring:
  port: {port}
  members: [{", ".join(self.addresses)}]
  heartbeat_ms: {timing['heartbeat_ms']}
  token_timeout_ms: {timing['token_timeout_ms']}
  broadcast_timeout_ms: {timing['broadcast_timeout_ms']}
  insecure: true
control: {{ dir: {self.control} }}
""")
        self.processes = {}

    def start(self, address):
        log = open(os.path.join(self.folder, f"{address}.log"), "ab")
        self.processes[address] = subprocess.Popen(
            [self.sasha, "run", "--config", self.config, "--node", address],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def start_all(self):
        for address in self.addresses:
            self.start(address)

    def kill(self, address, sig=signal.SIGKILL):
        process = self.processes.pop(address)
        process.send_signal(sig)
        process.wait()

    def status(self, address, timeout=0.5):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect(os.path.join(self.control, f"{address}.sock"))
                s.sendall(b'{"command":"status"}\n')
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                return json.loads(data)
        except (OSError, ValueError):
            return None

    def agreement(self, addresses):
        """The dispatcher every one of `addresses` names, if they all hold the same full view."""
        seen = set()
        for address in addresses:
            status = self.status(address)
            if not status or status.get("state") != "member":
                return None
            ring = status["ring"]
            members = tuple(m["address"] for m in ring["members"])
            seen.add((members, ring.get("dispatcher")))
        if len(seen) != 1:
            return None
        members, dispatcher = seen.pop()
        return dispatcher if set(members) == set(addresses) else None

    def wait_agreement(self, addresses, limit=60.0):
        end = time.monotonic() + limit
        while time.monotonic() < end:
            dispatcher = self.agreement(addresses)
            if dispatcher:
                return dispatcher
            time.sleep(0.02)
        raise SystemExit(f"no agreement among {len(addresses)} members within {limit} s; logs in {self.folder}")

    def stop(self, keep=False):
        for address in list(self.processes):
            self.kill(address, signal.SIGTERM)
        if keep:
            print(f"member logs kept in {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def failover(args, cluster):
    cluster.start_all()
    live = list(cluster.addresses)
    times = []
    for run in range(args.runs):
        dispatcher = cluster.wait_agreement(live)
        time.sleep(0.5)
        survivors = [a for a in live if a != dispatcher]
        started = time.monotonic()
        cluster.kill(dispatcher)
        # Every survivor names the same new dispatcher (the view may still be settling).
        while True:
            names = {(cluster.status(a, 0.2) or {}).get("ring", {}).get("dispatcher") for a in survivors}
            if len(names) == 1 and None not in names and dispatcher not in names:
                break
            if time.monotonic() - started > 30:
                raise SystemExit(f"run {run}: no new dispatcher after 30 s; logs in {cluster.folder}")
        times.append(time.monotonic() - started)
        print(f"run {run + 1}: {times[-1] * 1000:.0f} ms (killed {dispatcher})", flush=True)
        cluster.start(dispatcher)  # comes back as a server for the next run
        cluster.wait_agreement(live)
    print(f"failover, {len(live)} members, {args.timing}: median {statistics.median(times) * 1000:.0f} ms, "
          f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} (n={len(times)})")


def counters_total(cluster, key):
    return sum((cluster.status(a) or {}).get("counters", {}).get(key, 0) for a in cluster.addresses)


def quiet(args, cluster):
    cluster.start_all()
    cluster.wait_agreement(cluster.addresses)
    time.sleep(1)
    before = counters_total(cluster, "view_changes")
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs)]
    try:
        time.sleep(args.seconds)
    finally:
        for hog in hogs:
            hog.kill()
    after = counters_total(cluster, "view_changes")
    purges = counters_total(cluster, "purges")
    still = cluster.agreement(cluster.addresses)
    print(f"quiet, {len(cluster.addresses)} members, {args.hogs} CPU hogs, {args.seconds} s: "
          f"view changes {after - before}, purges {purges}, ring whole at the end: {bool(still)}")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(args, cluster):
    cluster.start_all()
    cluster.wait_agreement(cluster.addresses)
    time.sleep(2)
    pids = [p.pid for p in cluster.processes.values()]
    cpu_before = sum(cpu_seconds(p) for p in pids)
    bytes_before = counters_total(cluster, "bytes_out")
    master = cluster.addresses[0]
    rotations_before = (cluster.status(master) or {})["counters"]["rotations"]
    time.sleep(args.seconds)
    cpu = (sum(cpu_seconds(p) for p in pids) - cpu_before) / len(pids) / args.seconds
    sent = counters_total(cluster, "bytes_out") - bytes_before
    rotations = (cluster.status(master) or {})["counters"]["rotations"] - rotations_before
    print(f"idle, {len(pids)} members, {args.seconds} s: CPU per member {cpu * 100:.2f}% of a core; "
          f"{rotations} rotations, {sent / max(rotations, 1):.0f} bytes of UDP payload sent per rotation "
          f"(all members, heartbeats and beacons)")


def big(args, cluster):
    started = time.monotonic()
    cluster.start_all()
    dispatcher = cluster.wait_agreement(cluster.addresses, limit=120)
    formed = time.monotonic() - started
    survivors = [a for a in cluster.addresses if a != dispatcher]
    killed = time.monotonic()
    cluster.kill(dispatcher)
    new = cluster.wait_agreement(survivors, limit=120)
    print(f"big ring, {len(cluster.addresses)} processes: formed in {formed:.1f} s; kill -9 of dispatcher "
          f"{dispatcher} -> all {len(survivors)} survivors agree on {new} after {time.monotonic() - killed:.2f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("figure", choices=["failover", "quiet", "idle", "big"])
    parser.add_argument("--sasha", default=".build/release/sasha")
    parser.add_argument("--members", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--hogs", type=int, default=2)
    parser.add_argument("--fast", action="store_true", help="heartbeat 20, token timeout 150, broadcast timeout 100")
    parser.add_argument("--port", type=int, default=7600)
    parser.add_argument("--keep", action="store_true", help="keep the members' logs")
    args = parser.parse_args()
    args.timing = "fast" if args.fast else "default"
    cluster = Cluster(os.path.abspath(args.sasha), args.members, FAST if args.fast else DEFAULT, args.port)
    try:
        {"failover": failover, "quiet": quiet, "idle": idle, "big": big}[args.figure](args, cluster)
    finally:
        cluster.stop(keep=args.keep)


if __name__ == "__main__":
    main()
