#!/usr/bin/env python3
"""Failover time for issue 6: from `kill -9` of the dispatcher to the first successful new request
through the VIP, for `l4-2` in the lab of examples/lab (topology two: d1 and d2 may dispatch,
s1-s3 serve through nginx), with the default ring timing and with the fast one.

    swift build -c release
    python3 Benchmarks/Failover/failover_bench.py --runs 10       # root; ~4 min

A client loop in the client host opens a new connection to the VIP every 10 ms (connect and
answer within 100 ms, else it counts as failed and the next one starts) and prints the monotonic
time of each success. Each run kills the current dispatcher with SIGKILL, takes the first success
after the kill, then starts the killed member again and waits until the ring is whole and has
been calm for two seconds. CLOCK_MONOTONIC is one clock for every namespace, so the kill's time
and the client's are comparable. Reports the median, min and max of the runs."""
import argparse, json, os, signal, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "L4"))
import l4_bench as lab  # noqa: E402  (the lab, nginx servers and process handling of the L4 benchmark)

TIMINGS = {"default": "", "fast": ", heartbeat_ms: 20, token_timeout_ms: 150, broadcast_timeout_ms: 100"}
DISPATCHERS = {"d1": "198.18.2.1", "d2": "198.18.2.2"}
CLIENT_LOOP = f"""
import socket, sys, time
while True:
    started = time.monotonic()
    try:
        s = socket.create_connection(("{lab.VIP}", 80), timeout=0.1)
        s.settimeout(0.1)
        s.sendall(b"GET /page-1k.html HTTP/1.1\\r\\nHost: bench\\r\\nConnection: close\\r\\n\\r\\n")
        if s.recv(12).startswith(b"HTTP/1.1 200"):
            print(time.monotonic(), flush=True)
        s.close()
    except OSError:
        pass
    time.sleep(max(0.0, 0.01 - (time.monotonic() - started)))
"""


def config(bench, timing):
    members = list(DISPATCHERS.values()) + [address for address, _, _ in lab.SERVERS.values()]
    nodes = "\n".join([f"  {address}: {{ serve: false }}" for address in DISPATCHERS.values()] +
                      [f"  {address}: {{ dispatch: false }}" for address, _, _ in lab.SERVERS.values()])
    return bench.write(f"failover-{timing}.yaml", f"""\
cluster: {{ name: failover-bench, vip: {lab.VIP}, ports: [80] }}
ring: {{ port: {lab.RING_PORT}, members: [{', '.join(members)}], insecure: true{TIMINGS[timing]} }}
control: {{ dir: {bench.folder}/control }}
plugins: {{ paths: [{bench.release}] }}
dispatch: {{ strategy: l4-2, policy: round-robin, strategy_options: {{ interface: eth0, output_interface: eth1 }} }}
service: {{ port: 80, external_port: 80, health: /health }}
nodes:
{nodes}
""")


def status(bench, path, address):
    done = lab.run([os.path.join(bench.release, "sasha"), "status", "--config", path, "--node", address, "--json"], check=False)
    return json.loads(done.stdout) if done.returncode == 0 else None


def start_member(bench, path, host, address):
    bench.processes.start(f"member-{host}", lab.on(host, [os.path.join(bench.release, "sasha"), "run", "--config", path,
                                                          "--node", address]), cwd=lab.ROOT)


def whole_ring(bench, path, limit=30):
    """The dispatcher's host once all five members agree on one and it has dispatched calmly for 2 s."""
    deadline, calm_since, last = time.monotonic() + limit, None, None
    while time.monotonic() < deadline:
        views = [status(bench, path, address) for address in DISPATCHERS.values()]
        rings = [v.get("ring") for v in views if v and v.get("ring")]
        dispatcher = rings[0].get("dispatcher") if len(rings) == 2 else None
        whole = dispatcher and all(len(r["members"]) == 5 and r.get("dispatcher") == dispatcher for r in rings)
        if whole and dispatcher == last:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= 2:
                return next(host for host, address in DISPATCHERS.items() if address == dispatcher)
        else:
            calm_since, last = None, dispatcher if whole else None
        time.sleep(0.2)
    raise RuntimeError("the ring did not settle with five members: " + bench.processes.log_tail("member-d1"))


def measure(bench, timing, runs):
    path = config(bench, timing)
    for host, address in {**DISPATCHERS, **{h: a for h, (a, _, _) in lab.SERVERS.items()}}.items():
        start_member(bench, path, host, address)
    client = subprocess.Popen(lab.on("client", ["python3", "-c", CLIENT_LOOP]), stdout=subprocess.PIPE, text=True)
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
            dispatcher = whole_ring(bench, path)
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
            print(f"  {timing:7} run {run + 1}: killed {dispatcher}, first new request served after "
                  + (f"{gap * 1000:.0f} ms" if gap is not None else "none within 20 s"), flush=True)
            start_member(bench, path, dispatcher, DISPATCHERS[dispatcher])
    finally:
        client.kill()
        for host in list(DISPATCHERS) + list(lab.SERVERS):
            bench.processes.stop(f"member-{host}")
    return gaps


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--timing", default="default,fast", help="default,fast")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("failover_bench.py: the lab needs root (network namespaces)")
    bench = lab.Bench(argparse.Namespace(connections=1, duration="1s"))
    results = {}
    try:
        bench.up()
        for timing in args.timing.split(","):
            results[timing] = measure(bench, timing, args.runs)
    finally:
        bench.down()
    print("\n| ring timing | runs | failover ms: median | min | max | runs with no answer in 20 s |\n|---|---:|---:|---:|---:|---:|")
    for timing, gaps in results.items():
        done = [g * 1000 for g in gaps if g is not None]
        cells = [f"{statistics.median(done):.0f}", f"{min(done):.0f}", f"{max(done):.0f}"] if done else ["–"] * 3
        print(f"| {timing}{TIMINGS[timing]} | {len(gaps)} | " + " | ".join(cells) + f" | {len(gaps) - len(done)} |")


if __name__ == "__main__":
    main()
