#!/usr/bin/env python3
"""Failover time for issue 6: from `kill -9` of the dispatcher to the first successful new request
through the VIP, with the default ring timing and with the fast one, for
- `l4-2` in the lab of examples/lab (topology two: d1 and d2 may dispatch, s1-s3 serve through
  nginx on port 80; root), and
- `l7` on loopback (127.0.1.1 and 127.0.1.5 may dispatch, 127.0.1.2-4 serve through the L7
  benchmark's nginx backends on port 8081; the VIP is 127.0.1.100:8090).

    swift build -c release
    python3 Benchmarks/Failover/failover_bench.py --runs 10       # both strategies; ~4 min

A client loop in the client host opens a new connection to the VIP every 10 ms (connect and
answer within 100 ms, else it counts as failed and the next one starts) and prints the monotonic
time of each success. Each run kills the current dispatcher with SIGKILL, takes the first success
after the kill, then starts the killed member again and waits until the ring is whole and has
been calm for two seconds. CLOCK_MONOTONIC is one clock for every namespace, so the kill's time
and the client's are comparable. Reports the median, min and max of the runs."""
import argparse, json, os, signal, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "L4"))
sys.path.insert(0, os.path.join(HERE, "..", "L7"))
import l4_bench as lab  # noqa: E402  (the lab, nginx servers and process handling of the L4 benchmark)
import l7_bench  # noqa: E402  (the loopback nginx backends of the L7 benchmark)

TIMINGS = {"default": "", "fast": ", heartbeat_ms: 20, token_timeout_ms: 150, broadcast_timeout_ms: 100"}
CLIENT_LOOP = """
import socket, sys, time
vip, port = sys.argv[1], int(sys.argv[2])
while True:
    started = time.monotonic()
    try:
        s = socket.create_connection((vip, port), timeout=0.1)
        s.settimeout(0.1)
        s.sendall(b"GET /page-1k.html HTTP/1.1\\r\\nHost: bench\\r\\nConnection: close\\r\\n\\r\\n")
        if s.recv(12).startswith(b"HTTP/1.1 200"):
            print(time.monotonic(), flush=True)
        s.close()
    except OSError:
        pass
    time.sleep(max(0.0, 0.01 - (time.monotonic() - started)))
"""


class Setting:
    """Where the members run: hosts and addresses, how to run a command on a host, the VIP."""

    def __init__(self, strategy, bench):
        self.strategy, self.bench = strategy, bench
        if strategy == "l4-2":
            self.dispatchers = {"d1": "198.18.2.1", "d2": "198.18.2.2"}
            self.servers = {host: address for host, (address, _, _) in lab.SERVERS.items()}
            self.vip, self.port, self.service = lab.VIP, 80, 80
            self.options = "interface: eth0, output_interface: eth1"
        else:
            self.dispatchers = {"d1": "127.0.1.1", "d2": "127.0.1.5"}
            self.servers = {f"s{n}": address for n, address in enumerate(l7_bench.BACKENDS, 1)}
            self.vip, self.port, self.service = l7_bench.VIP, 8090, l7_bench.BACKEND_PORT
            self.options = "cache: { enabled: false }"

    def on(self, host, argv):
        return lab.on(host, argv) if self.strategy == "l4-2" else argv

    def config(self, timing):
        members = list(self.dispatchers.values()) + list(self.servers.values())
        nodes = "\n".join([f"  {address}: {{ serve: false }}" for address in self.dispatchers.values()] +
                          [f"  {address}: {{ dispatch: false }}" for address in self.servers.values()])
        return self.bench.write(f"failover-{self.strategy}-{timing}.yaml", f"""\
cluster: {{ name: failover-bench, vip: {self.vip}, ports: [{self.port}] }}
ring: {{ port: {lab.RING_PORT}, members: [{', '.join(members)}], {self.bench.ring_key()}{TIMINGS[timing]} }}
control: {{ dir: {self.bench.folder}/control }}
plugins: {{ paths: [{self.bench.release}] }}
dispatch: {{ strategy: {self.strategy}, policy: round-robin, strategy_options: {{ {self.options} }} }}
service: {{ port: {self.service}, external_port: {self.service}, health: /health }}
nodes:
{nodes}
""")


def status(bench, path, address):
    done = lab.run([os.path.join(bench.release, "sasha"), "status", "--config", path, "--node", address, "--json"], check=False)
    return json.loads(done.stdout) if done.returncode == 0 else None


def start_member(setting, path, host, address):
    bench = setting.bench
    bench.processes.start(f"member-{host}", setting.on(host, [os.path.join(bench.release, "sasha"), "run", "--config", path,
                                                              "--node", address]), cwd=lab.ROOT)


def whole_ring(setting, path, limit=30):
    """The dispatcher's host once all five members agree on one and it has dispatched calmly for 2 s."""
    bench, dispatchers = setting.bench, setting.dispatchers
    deadline, calm_since, last = time.monotonic() + limit, None, None
    while time.monotonic() < deadline:
        views = [status(bench, path, address) for address in dispatchers.values()]
        rings = [v.get("ring") for v in views if v and v.get("ring")]
        dispatcher = rings[0].get("dispatcher") if len(rings) == 2 else None
        whole = dispatcher and all(len(r["members"]) == 5 and r.get("dispatcher") == dispatcher for r in rings)
        if whole and dispatcher == last:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= 2:
                return next(host for host, address in dispatchers.items() if address == dispatcher)
        else:
            calm_since, last = None, dispatcher if whole else None
        time.sleep(0.2)
    raise RuntimeError("the ring did not settle with five members: " + bench.processes.log_tail("member-d1"))


def measure(setting, timing, runs):
    bench = setting.bench
    path = setting.config(timing)
    for host, address in {**setting.dispatchers, **setting.servers}.items():
        start_member(setting, path, host, address)
    client = subprocess.Popen(setting.on("client", ["python3", "-c", CLIENT_LOOP, setting.vip, str(setting.port)]),
                              stdout=subprocess.PIPE, text=True)
    successes = []
    os.set_blocking(client.stdout.fileno(), False)

    def read_successes():
        while True:
            line = client.stdout.readline()
            if not line:
                return
            successes.append(float(line))

    gaps = []
    try:
        for run in range(runs):
            dispatcher = whole_ring(setting, path)
            read_successes()
            killed_at = time.monotonic()
            os.kill(bench.processes.running[f"member-{dispatcher}"].pid, signal.SIGKILL)
            bench.processes.stop(f"member-{dispatcher}")
            deadline = killed_at + 20
            while time.monotonic() < deadline and not any(t > killed_at for t in successes):
                time.sleep(0.05)
                read_successes()
            after = [t for t in successes if t > killed_at]
            gap = (after[0] - killed_at) if after else None
            gaps.append(gap)
            print(f"  {setting.strategy} {timing:7} run {run + 1}: killed {dispatcher}, first new request served after "
                  + (f"{gap * 1000:.0f} ms" if gap is not None else "none within 20 s"), flush=True)
            start_member(setting, path, dispatcher, setting.dispatchers[dispatcher])
    finally:
        client.kill()
        for host in list(setting.dispatchers) + list(setting.servers):
            bench.processes.stop(f"member-{host}")
    return gaps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--timing", default="default,fast", help="default,fast")
    parser.add_argument("--strategy", default="l4-2,l7", help="l4-2,l7 (l4-2 needs root: network namespaces)")
    args = parser.parse_args()
    strategies = args.strategy.split(",")
    if "l4-2" in strategies and os.geteuid() != 0:
        raise SystemExit("failover_bench.py: the l4-2 lab needs root (network namespaces); --strategy l7 does not")
    results = {}
    for strategy in strategies:
        bench = lab.Bench(argparse.Namespace(connections=1, duration="1s"))
        backends = None
        try:
            if strategy == "l4-2":
                bench.up()
            else:
                backends = l7_bench.Bench(argparse.Namespace(sasha=os.path.join(bench.release, "sasha"), plugins=bench.release,
                                                             ring_port=lab.RING_PORT))
                backends.start_backends()
            setting = Setting(strategy, bench)
            for timing in args.timing.split(","):
                results[(strategy, timing)] = measure(setting, timing, args.runs)
        finally:
            if backends:
                backends.processes.stop_all()
            bench.down() if strategy == "l4-2" else bench.processes.stop_all()
    print("\n| strategy | ring timing | runs | failover ms: median | min | max | runs with no answer in 20 s |\n|---|---|---:|---:|---:|---:|---:|")
    for (strategy, timing), gaps in results.items():
        done = [g * 1000 for g in gaps if g is not None]
        cells = [f"{statistics.median(done):.0f}", f"{min(done):.0f}", f"{max(done):.0f}"] if done else ["–"] * 3
        print(f"| {strategy} | {timing}{TIMINGS[timing]} | {len(gaps)} | " + " | ".join(cells) + f" | {len(gaps) - len(done)} |")


if __name__ == "__main__":
    main()
