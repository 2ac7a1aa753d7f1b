#!/usr/bin/env python3
"""The SYN flood figure for Benchmarks/README.md (issue 16, item 8): a million SYNs from random
source addresses and ports, at the highest rate trafgen reaches, against Sasha's `l4-3` and
`l4-2` dispatchers with a `max_flows`, while wrk keeps 32 established connections busy through the
VIP. On the lab of examples/lab (topology two), as Benchmarks/L4/l4_bench.py sets it up.

    swift build -c release
    python3 Benchmarks/L4/syn_flood.py --rounds 3          # ~12 min; root (network namespaces)
    python3 Benchmarks/L4/syn_flood.py --rounds 3 --only sasha-l4-3,sasha-l4-2 --rate 100000
    python3 Benchmarks/L4/syn_flood.py --rounds 1 --only sasha-l4-3 --syns 200000

Each round, per front end (Sasha's `l4-3` and `l4-2` with four `sasha run` members, d1's process
on CPU 1; the kernel's nftables DNAT and netdev `fwd` paths of l4_bench.py, side by side), with
trafgen on CPU 0:
- a baseline: wrk -t1 -c32 on the 1 KiB page for the flood window's length, no flood;
- the flood: wrk again, and 2 s into it trafgen sends `--syns` SYNs from 198.18.128.0/17 (131,072
  addresses, twice the client next-hop cache) with random ports and sequence numbers. d1's
  resident memory is sampled every 50 ms, the connections it maps (or conntrack holds) every
  250 ms;
- after `syn_timeout_s` (5 s here), a new connection must be answered.

For Sasha it asserts what issue 16 asks (and fails the run otherwise): no wrk connection error
or timeout in the flood; the map never holds more than `max_flows`; d1's resident memory grows
by no more than the slot array `max_flows` needs plus 4 MiB; the map is back to wrk's
connections after `syn_timeout_s`. The SYN-ACKs come back through d1 in `l4-3` and DNAT (the
flood network is routed through the gateway), so their reply paths are flooded too; in `l4-2`
and `fwd` they have no route on the servers and are dropped there.

Needs root, wrk, nginx, nftables, trafgen and curl (see l4_bench.py) and `.build/release/sasha`."""
import argparse, os, shutil, signal, statistics, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from l4_bench import (CLIENT, CLIENT_NETWORK, D1, GATEWAY, SERVERS, VIP, Bench, Sasha, Unavailable,  # noqa: E402
                      front_end, interrupted, on, run)

FLOOD_NETWORK = "198.18.128.0/17"
FLOOD_FIRST, FLOOD_LAST = 0xC612_8000, 0xC613_FFFF   # 198.18.128.0 – 198.19.255.255
# max_flows at a power of two's 3/4: the map's slot array (24 bytes a slot, at most 3/4 used) is
# then exactly 32 bytes per connection allowed.
MAX_FLOWS = 98_304
SYN_TIMEOUT_S = 5
MEMORY_SLACK = 4 << 20
FRONT_ENDS = ["sasha-l4-3", "kernel-l4-3", "sasha-l4-2", "kernel-l4-2"]


def flood_config(bench):
    return bench.write("flood.trafgen", f"""{{
  eth(da={D1['front_mac']}, sa={CLIENT['mac']}),
  ipv4(saddr=drnd({FLOOD_FIRST}, {FLOOD_LAST}), daddr={VIP}, ttl=64),
  tcp(sp=drnd(1024, 65535), dp=80, syn, seq=drnd(), win=64240),
}}
""")


def resident_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class Sampler(threading.Thread):
    """The highest resident size of `pid` (every 50 ms) and the most connections in the
    dispatcher's map (`stats`, every 250 ms), until stopped."""

    def __init__(self, pid, stats):
        super().__init__(daemon=True)
        self.pid, self.stats, self.done = pid, stats, threading.Event()
        self.peak, self.most_flows = resident_bytes(pid) if pid else None, 0

    def run(self):
        tick = 0
        while not self.done.wait(0.05):
            if self.pid:
                self.peak = max(self.peak, resident_bytes(self.pid))
            tick += 1
            if tick % 5 == 0:
                self.most_flows = max(self.most_flows, self.stats().get("flows", 0))


class WrkInBackground(threading.Thread):
    def __init__(self, bench, seconds):
        super().__init__(daemon=True)
        self.bench, self.seconds, self.result, self.error = bench, seconds, None, None

    def run(self):
        try:
            self.result = self.bench.wrk(f"http://{VIP}/page-1k.html", False, f"{self.seconds}s")
        except Exception as error:   # reported by the main thread
            self.error = error


def window(args):
    """Seconds of each wrk run: 2 s before the flood, its length at `--rate` (or 1 s per 100,000
    SYNs, more than trafgen needs unthrottled), and 6 s after it."""
    return 8 + -(-args.syns // (args.rate or 100_000))


def flood_end(name):
    """The front end `name` with what the flood needs: Sasha with `max_flows`, a short
    `syn_timeout_s` and the flood network among `l4-3`'s client networks; the kernel's paths as
    l4_bench.py sets them up (the flood network routed through d1 for DNAT, by the setup here)."""
    if name.startswith("sasha-"):
        return Sasha(name.removeprefix("sasha-"), client_networks=(CLIENT_NETWORK, FLOOD_NETWORK),
                     extra_options=f"max_flows: {MAX_FLOWS}, expected_flows: 1024, syn_timeout_s: {SYN_TIMEOUT_S}")
    return front_end(name)


def conntrack_count():
    return int(run(on("d1", ["cat", "/proc/sys/net/netfilter/nf_conntrack_count"])).stdout)


def one_round(bench, name, args):
    end = flood_end(name)
    sasha = isinstance(end, Sasha)
    end.setup(bench)
    rerouted = name == "kernel-l4-3"
    if rerouted:   # Sasha's l4-3 adds this route on its servers itself (client_networks)
        for server in SERVERS:
            run(on(server, ["ip", "route", "replace", FLOOD_NETWORK, "via", GATEWAY]))
    try:
        seen = bench.backends_seen(VIP)
        if seen != end.backends:
            raise RuntimeError(f"{name}: answers came from backends {sorted(seen)}, want {sorted(end.backends)}")
        pid = bench.processes.running[f"{end.name}-d1"].pid if sasha else None
        if pid:
            run(["taskset", "-a", "-p", "-c", "1", str(pid)])
        stats = (lambda: end.stats(bench)) if sasha else (lambda: {"flows": conntrack_count()}) if rerouted else dict
        baseline = bench.wrk(f"http://{VIP}/page-1k.html", False, f"{window(args)}s")

        before = stats()
        resident_before = resident_bytes(pid) if pid else None
        sampler = Sampler(pid, stats)
        sampler.start()
        load = WrkInBackground(bench, window(args))
        load.start()
        time.sleep(2)
        start = time.monotonic()
        rate = ["-b", f"{args.rate}pps"] if args.rate else []
        run(on("client", ["taskset", "-c", "0", "trafgen", "--dev", "eth0", "--conf", flood_config(bench), "-n", str(args.syns), "-P", "1", "-q"] + rate))
        sent_in = time.monotonic() - start
        load.join(window(args) + 15)
        sampler.done.set()
        sampler.join()
        during = stats()
        if load.error or load.result is None:
            raise RuntimeError(f"{name}: wrk in the flood: {load.error or 'did not finish'}")
        time.sleep(SYN_TIMEOUT_S + 1.5)
        after = stats()
        bench.backends_seen(VIP, requests=3)   # a new connection is answered after the flood
    finally:
        if rerouted:
            for server in SERVERS:
                run(on(server, ["ip", "route", "del", FLOOD_NETWORK]), check=False)
        end.teardown(bench)

    capture = lambda stats, key: (stats.get("capture") or {}).get(key, 0)
    drops = lambda stats, key: (stats.get("drops") or {}).get(key, 0)
    result = {
        "name": name, "baseline": baseline, "flood": load.result, "sent_rate": args.syns / sent_in,
        "most_flows": sampler.most_flows if "flows" in before else None, "flows_after_timeout": after.get("flows", 0),
    }
    if sasha:
        result.update({
            "captured": capture(during, "received") - capture(before, "received"),
            "dropped_by_kernel": capture(during, "dropped_by_kernel") - capture(before, "dropped_by_kernel"),
            "flows_opened": during.get("flows_opened", 0) - before.get("flows_opened", 0),
            "map_full": drops(during, "map_full") - drops(before, "map_full"),
            "map_bytes": during.get("map_bytes", 0), "neighbours": during.get("neighbours"),
            "resident_before": resident_before, "resident_peak": sampler.peak,
        })
        check(result)
    return result


def check(r):
    """What issue 16 asks of Sasha under the flood; a miss fails the run."""
    name, flood = r["name"], r["flood"]
    errors = sum(flood["socket_errors"].values()) + flood["non2xx"]
    if errors:
        raise RuntimeError(f"{name}: wrk's established connections saw errors in the flood: {flood['socket_errors']}, non-2xx {flood['non2xx']}")
    if r["most_flows"] > MAX_FLOWS:
        raise RuntimeError(f"{name}: the map held {r['most_flows']:,} connections, above max_flows {MAX_FLOWS:,}")
    bound = MAX_FLOWS * 32 + MEMORY_SLACK
    if r["resident_peak"] - r["resident_before"] > bound:
        raise RuntimeError(f"{name}: resident memory grew by {(r['resident_peak'] - r['resident_before']) / 2**20:.1f} MiB in the flood, "
                           f"above {bound / 2**20:.1f} MiB (max_flows × 32 B + 4 MiB)")
    if r["flows_after_timeout"] > 64:
        raise RuntimeError(f"{name}: {r['flows_after_timeout']:,} connections still mapped {SYN_TIMEOUT_S} s after the flood")


LABELS = {"sasha-l4-3": "Sasha `l4-3`", "kernel-l4-3": "kernel: nftables DNAT (conntrack)",
          "sasha-l4-2": "Sasha `l4-2`", "kernel-l4-2": "kernel: nftables netdev `fwd` (stateless)"}


def report(results, args):
    mib = lambda b: f"{b / 2**20:.1f}"
    lines = [f"{args.rounds} round(s), {args.syns:,} SYNs each from {FLOOD_NETWORK} (random ports) "
             f"{f'at {args.rate:,}/s' if args.rate else 'as fast as trafgen sends them'}, Sasha with max_flows {MAX_FLOWS:,} "
             f"(slot array {mib(MAX_FLOWS * 32)} MiB) and syn_timeout_s {SYN_TIMEOUT_S}; wrk -t1 -c32 keep-alive on the 1 KiB page "
             f"for {window(args)} s beside it; medians", "",
             "| front end | SYNs sent/s | frames captured by d1 (both NICs) | dropped by d1's kernel | mapped | map_full | "
             "most in the map (conntrack for DNAT) | RSS before → peak (MiB) | wrk errors | wrk req/s flood / baseline | "
             "p50 ms flood / baseline | p99 ms flood / baseline |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in FRONT_ENDS:
        rows = [r for r in results if r["name"] == name]
        if not rows:
            continue
        med = lambda f: statistics.median(f(r) for r in rows)
        sasha_cell = lambda key, fmt="{:,.0f}": fmt.format(med(lambda r: r[key])) if key in rows[0] else "–"
        errors = sum(sum(r["flood"]["socket_errors"].values()) + r["flood"]["non2xx"] for r in rows)
        most = f"{max(r['most_flows'] for r in rows):,}" if rows[0]["most_flows"] is not None else "– (stateless)"
        memory = (f"{mib(med(lambda r: r['resident_before']))} → {mib(med(lambda r: r['resident_peak']))}"
                  if "resident_before" in rows[0] else "– (kernel)")
        lines.append(
            f"| {LABELS[name]} | {med(lambda r: r['sent_rate']):,.0f} | {sasha_cell('captured')} | {sasha_cell('dropped_by_kernel')} | "
            f"{sasha_cell('flows_opened')} | {sasha_cell('map_full')} | {most} | {memory} | "
            f"{errors} | {med(lambda r: r['flood']['rps']):,.0f} / {med(lambda r: r['baseline']['rps']):,.0f} | "
            f"{med(lambda r: r['flood']['p50']):.2f} / {med(lambda r: r['baseline']['p50']):.2f} | "
            f"{med(lambda r: r['flood']['p99']):.2f} / {med(lambda r: r['baseline']['p99']):.2f} |")
    print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--syns", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, help="SYNs per second (default: as fast as trafgen sends them)")
    parser.add_argument("--only", help=f"comma-separated front ends of {','.join(FRONT_ENDS)}")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", default="10s")   # unused; Bench reads it
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("syn_flood.py: the lab needs root (network namespaces)")
    for tool in ("wrk", "nginx", "nft", "trafgen", "curl", "taskset"):
        if not shutil.which(tool):
            raise SystemExit(f"syn_flood.py: {tool} is missing: apt-get install wrk nginx-light nftables netsniff-ng curl")
    names = args.only.split(",") if args.only else FRONT_ENDS
    for name in names:
        if name not in FRONT_ENDS:
            raise SystemExit(f"syn_flood.py: --only: no front end '{name}' (have {','.join(FRONT_ENDS)})")
    signal.signal(signal.SIGTERM, interrupted)
    bench = Bench(args)
    results = []
    try:
        bench.up()
        for number in range(args.rounds):
            for name in names[number % len(names):] + names[:number % len(names)]:
                try:
                    result = one_round(bench, name, args)
                except Unavailable as reason:
                    raise SystemExit(f"syn_flood.py: {reason}")
                results.append(result)
                print(f"  round {number + 1} {name}: {result['sent_rate']:,.0f} SYNs/s, most in the map {result['most_flows'] or '–'}, "
                      f"map_full {result.get('map_full', '–')}, RSS peak {result.get('resident_peak', 0) / 2**20:.1f} MiB, "
                      f"wrk {result['flood']['rps']:,.0f} req/s p99 {result['flood']['p99']:.1f} ms "
                      f"(baseline {result['baseline']['rps']:,.0f}, p99 {result['baseline']['p99']:.1f} ms)", flush=True)
    finally:
        bench.down()
    report(results, args)


if __name__ == "__main__":
    main()
