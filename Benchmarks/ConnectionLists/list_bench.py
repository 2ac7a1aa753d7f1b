#!/usr/bin/env python3
"""How long the servers' connection lists take to reach a new dispatcher (issue 6: "lists of
100,000 connections reach the new dispatcher in under a second"), on a five-member ring on
loopback.

    swift build -c release
    python3 Benchmarks/ConnectionLists/list_bench.py --runs 5     # no root; about a minute

Members 127.0.3.1 and 127.0.3.2 may dispatch; 127.0.3.3-5 serve. The strategy is `list-bench`
(Benchmarks/ConnectionLists/Strategy): each server reports `per_server` made-up connections from
memory, and the dispatcher only counts what it imports, so the figure is the ring's transport
and the import alone. Each run kills the dispatcher with SIGKILL; the member that takes over asks
every member for its list, and its log says, for each server, when the list was complete, in
milliseconds after the first request. The figure is the last server's. Every server reports
`per_server` connections, so a run carries 3 × per_server in all: 33,334 makes the issue's
100,000. Reports the medians."""
import argparse, json, os, re, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "L7"))
from l7_bench import Processes  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MEMBERS = [f"127.0.3.{n}" for n in range(1, 6)]
DISPATCHERS, SERVERS = MEMBERS[:2], MEMBERS[2:]

YAML = """
cluster: {{ name: list-bench, vip: 127.0.3.100, ports: [80] }}
ring: {{ port: 7490, members: [{members}], insecure: true{timing} }}
control: {{ dir: {control} }}
plugins: {{ paths: [{plugins}] }}
dispatch: {{ strategy: list-bench, policy: round-robin, strategy_options: {{ per_server: {per_server} }} }}
nodes:
{nodes}
"""
COMPLETE = re.compile(r"connection list from (\S+) complete: (\d+) connections loaded from (\d+) members so far, (\d+) ms after")


def status(sasha, config, member):
    run = subprocess.run([sasha, "status", "--config", config, "--node", member, "--json"], capture_output=True, text=True)
    return json.loads(run.stdout) if run.returncode == 0 else None


def wait_ring(sasha, config, members, limit=30):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        reports = [status(sasha, config, m) for m in members]
        if all(r and r.get("ring") and len(r["ring"]["members"]) == len(members) and r["ring"]["dispatcher"] for r in reports):
            return reports[0]["ring"]["dispatcher"]
        time.sleep(0.2)
    raise SystemExit("the members did not form one ring")


def run(args, per_server):
    folder = tempfile.mkdtemp(prefix="sasha-lists-")
    control = tempfile.mkdtemp(prefix="lbc-", dir="/tmp")
    config = os.path.join(folder, "lists.yaml")
    nodes = "\n".join([f"  {m}: {{ serve: false }}" for m in DISPATCHERS] + [f"  {m}: {{ dispatch: false }}" for m in SERVERS])
    with open(config, "w") as f:
        f.write(YAML.format(members=", ".join(MEMBERS), control=control, plugins=os.path.abspath(args.plugins),
                            per_server=per_server, nodes=nodes, timing=args.timing))
    processes = Processes(folder)
    sasha = os.path.abspath(args.sasha)
    times, totals = [], []
    try:
        for member in MEMBERS:
            processes.start(member, [sasha, "run", "--config", config, "--node", member])
            time.sleep(0.3)
        dispatcher = wait_ring(sasha, config, MEMBERS)
        for _ in range(args.runs):
            successor = DISPATCHERS[1] if dispatcher == DISPATCHERS[0] else DISPATCHERS[0]
            log = os.path.join(folder, f"{successor}.log")
            start = os.path.getsize(log)
            processes.running[dispatcher].kill()
            processes.running.pop(dispatcher).wait()
            deadline = time.monotonic() + 20
            done = None
            while time.monotonic() < deadline:
                with open(log, errors="replace") as f:
                    f.seek(start)
                    lines = [COMPLETE.search(line) for line in f]
                complete = [m for m in lines if m and m.group(1) in SERVERS]
                if len({m.group(1) for m in complete}) == len(SERVERS):
                    done = complete
                    break
                time.sleep(0.1)
            if done is None:
                raise SystemExit(f"{successor} did not hear every server's list within 20 s:\n" + processes.log_tail(successor, 20))
            times.append(max(int(m.group(4)) for m in done))
            totals.append(max(int(m.group(2)) for m in done))
            processes.start(dispatcher, [sasha, "run", "--config", config, "--node", dispatcher])
            dispatcher = wait_ring(sasha, config, MEMBERS)
            time.sleep(1)
    finally:
        processes.stop_all()
    return {"per_server": per_server, "connections": statistics.median(totals), "ms": times, "median_ms": statistics.median(times)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="33334,100000", help="per_server values, comma-separated")
    parser.add_argument("--timing", default="", help="extra ring keys, e.g. ', heartbeat_ms: 20'")
    parser.add_argument("--sasha", default=os.path.join(ROOT, ".build/release/sasha"))
    parser.add_argument("--plugins", default=os.path.join(ROOT, ".build/release"))
    args = parser.parse_args()
    results = [run(args, int(size)) for size in args.sizes.split(",")]
    print(json.dumps(results, indent=2))
    print()
    print("| per server | total on 3 servers | last list complete, median | runs (ms) |")
    print("|---:|---:|---:|---|")
    for r in results:
        print(f"| {r['per_server']:,} | {int(r['connections']):,} | {r['median_ms']} ms | {', '.join(map(str, r['ms']))} |")


if __name__ == "__main__":
    main()
