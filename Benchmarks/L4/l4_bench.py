#!/usr/bin/env python3
"""L4 figures for Benchmarks/README.md (issue 5): Sasha's `l4-2` and `l4-3` dispatchers against
the kernel's own paths for the same jobs (nftables), and direct to one server, side by side in one
run on the lab of examples/lab (topology two: client, dispatcher d1, servers s1-s3, router).

    swift build -c release
    python3 Benchmarks/L4/l4_bench.py --rounds 3            # ~12 min; root (network namespaces)
    python3 Benchmarks/L4/l4_bench.py --rounds 1 --duration 3s --only kernel-l4-2,sasha-l4-2 --no-loss

Front ends, set up one at a time on d1 and torn down again:
- direct: wrk to s1's own address, through the router (no dispatcher);
- kernel-l4-2: nftables `netdev` ingress on d1's eth0: `ether saddr set`, `ether daddr set jhash
  ip saddr . tcp sport mod 3 map {...}`, `fwd to eth1`; the servers hold the VIP on lo
  (arp_ignore=1, arp_announce=2) and answer through the router, as with Sasha's l4-2;
- sasha-l4-2: four `sasha run` members (d1 dispatches; s1-s3 serve, their service the nginx below
  through `service.external_port`), round-robin;
- kernel-l4-3: nftables DNAT in d1's prerouting (`dnat to jhash ... map {...}`), forwarding on,
  d1 holding the VIP and the gateway address; the servers route the client network via the gateway;
- sasha-l4-3: the same members with `l4-3`.

The servers are nginx (one worker each, backend.conf of the L7 benchmark) on 0.0.0.0:80 in s1-s3.
Each round runs wrk from the client host (`-t1 -c32`, 10 s after a 2 s warm-up) per front end and
object: the 1 KiB page, the 64 KiB image, and the page on a new connection per request (the SYN
path). The order rotates each round; the tables give medians. Machine CPU per request comes from
/proc/stat (every host shares this kernel, so it includes the dispatcher's softirq work); the
dispatcher's own CPU per forwarded packet from /proc/PID/stat of d1's sasha.

Then, for each Sasha row, the allocation count: uprobes on libc's allocators (`perf probe`),
counted on the dispatcher's capture threads only (`perf stat -t`) while wrk runs.

Then the loss run: trafgen on the client sends TCP segments of 1,000 flows (source ports
61000-61999, which the servers count and drop at their ingress) to the VIP at stepped rates; the
highest rate the servers receive every frame of is the dispatcher's loss-free rate. Sasha's rows
open the flows with one SYN each first (round-robin drops segments of flows it never saw); the
kernel's paths need no SYN (netdev is stateless; conntrack picks up mid-stream flows). trafgen
runs on CPU 0 and, in Sasha's rows, the dispatcher's process on CPU 1, as if it had a core of its
own (the kernel's paths forward in trafgen's own softirq, so they slow trafgen down rather than
lose frames: their figure is trafgen's limit).

Needs root, wrk, nginx, nftables and trafgen (`apt-get install wrk nginx-light nftables
netsniff-ng ethtool`), and perf for the allocation count (`linux-perf`); the Sasha rows need
`.build/release/sasha` and the l4 plugins."""
import argparse, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "L7"))
from l7_bench import Processes, fill, parse_wrk  # noqa: E402  (shared with the L7 benchmark)

LAB_SCRIPT = os.path.join(ROOT, "examples", "lab", "lab.sh")
PREFIX = "l4bench"
VIP, GATEWAY, CLIENT_NETWORK, ROUTER_BACK = "198.18.1.100", "198.18.2.254", "198.18.1.0/24", "198.18.2.253"
CLIENT = {"address": "198.18.1.10", "mac": "02:5a:00:00:0a:00"}
D1 = {"address": "198.18.2.1", "front_mac": "02:5a:00:00:01:00", "back_mac": "02:5a:00:00:01:01"}
SERVERS = {"s1": ("198.18.2.11", "02:5a:00:00:0b:00", 11), "s2": ("198.18.2.12", "02:5a:00:00:0c:00", 12),
           "s3": ("198.18.2.13", "02:5a:00:00:0d:00", 13)}
OBJECTS = {"page": ("/page-1k.html", 1024, False), "image": ("/images/photo-64k.png", 64 * 1024, False),
           "page-close": ("/page-1k.html", 1024, True)}
FRONT_ENDS = ["direct", "kernel-l4-2", "sasha-l4-2", "kernel-l4-3", "sasha-l4-3"]
LABELS = {"direct": "direct to s1 (through the router)", "kernel-l4-2": "kernel: nftables netdev `fwd` (MAC rewrite)",
          "sasha-l4-2": "Sasha `l4-2`", "kernel-l4-3": "kernel: nftables DNAT", "sasha-l4-3": "Sasha `l4-3`"}
SINK_PORTS = (61000, 61999)
RATES = [25_000, 50_000, 75_000, 100_000, 125_000, 150_000, 200_000, 300_000]
RING_PORT = 7480


class Unavailable(Exception):
    """A front end that cannot run here; its rows say why instead of giving figures."""


def run(argv, input=None, check=True):
    done = subprocess.run(argv, input=input, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {(done.stderr or done.stdout).strip()}")
    return done


def netns(host):
    return f"{PREFIX}-{host}"


def on(host, argv):
    """argv run in `host`'s network namespace."""
    return ["ip", "netns", "exec", netns(host)] + argv


def nft(host, text):
    run(on(host, ["nft", "-f", "-"]), input=text)


def sysctl(host, *settings):
    run(on(host, ["sysctl", "-qw", *settings]))


def nft_counters(host, table):
    """The packet counts of the named counters in `table` (an nftables JSON listing)."""
    listing = json.loads(run(on(host, ["nft", "-j", "list", "table", "netdev", table])).stdout)
    counts = {}
    for item in listing["nftables"]:
        rule = item.get("rule")
        if not rule:
            continue
        comment = rule.get("comment", rule["chain"])
        for expression in rule["expr"]:
            if "counter" in expression:
                counts[comment] = counts.get(comment, 0) + expression["counter"]["packets"]
    return counts


def machine_busy_seconds():
    """CPU seconds every core spent outside idle and iowait, since boot."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def process_seconds(pid):
    """(user, system) CPU seconds of process `pid`."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


# -- front ends ---------------------------------------------------------------------------------

class Direct:
    name = "direct"
    target = SERVERS["s1"][0]
    backends = {"11"}

    def setup(self, bench): pass

    def teardown(self, bench): pass

    def forwarded(self, bench):
        return None

    def dispatcher_seconds(self, bench):
        return None


class Kernel:
    """A kernel path on d1, with counting rules of its own in front (netdev ingress of both d1
    links), so forwarded packets are counted the same way for both kernel paths."""
    target = VIP
    backends = {"11", "12", "13"}

    def count(self):
        nft("d1", f"""
table netdev l4count {{
  chain front {{ type filter hook ingress device eth0 priority -10; ip daddr {VIP} tcp dport 80 counter comment "client_to_server"; }}
  chain back {{ type filter hook ingress device eth1 priority -10; tcp sport 80 ip daddr {CLIENT_NETWORK} counter comment "server_to_client"; }}
}}""")

    def forwarded(self, bench):
        return sum(nft_counters("d1", "l4count").values())

    def dispatcher_seconds(self, bench):
        return None

    def undo_count(self):
        run(on("d1", ["nft", "delete", "table", "netdev", "l4count"]), check=False)


class KernelMACRewrite(Kernel):
    name = "kernel-l4-2"

    def setup(self, bench):
        self.count()
        run(on("d1", ["ip", "addr", "add", f"{VIP}/32", "dev", "eth0"]))   # the kernel answers ARP for it
        for server, (_, _, _) in SERVERS.items():
            run(on(server, ["ip", "addr", "add", f"{VIP}/32", "dev", "lo"]))
            sysctl(server, "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2")
        macs = ", ".join(f"{i} : {mac}" for i, (_, mac, _) in enumerate(SERVERS.values()))
        nft("d1", f"""
table netdev l4kernel {{
  chain ingress {{
    type filter hook ingress device eth0 priority 0;
    ip daddr {VIP} tcp dport 80 ether saddr set {D1['back_mac']} ether daddr set jhash ip saddr . tcp sport mod 3 map {{ {macs} }} fwd to eth1
  }}
}}""")

    def teardown(self, bench):
        run(on("d1", ["nft", "delete", "table", "netdev", "l4kernel"]), check=False)
        run(on("d1", ["ip", "addr", "del", f"{VIP}/32", "dev", "eth0"]), check=False)
        for server in SERVERS:
            run(on(server, ["ip", "addr", "del", f"{VIP}/32", "dev", "lo"]), check=False)
            sysctl(server, "net.ipv4.conf.all.arp_ignore=0", "net.ipv4.conf.all.arp_announce=0")
        self.undo_count()


class KernelNAT(Kernel):
    name = "kernel-l4-3"

    def setup(self, bench):
        self.count()
        run(on("d1", ["ip", "addr", "add", f"{VIP}/32", "dev", "eth0"]))
        run(on("d1", ["ip", "addr", "add", f"{GATEWAY}/24", "dev", "eth1"]))
        sysctl("d1", "net.ipv4.ip_forward=1")
        addresses = ", ".join(f"{i} : {address}" for i, (address, _, _) in enumerate(SERVERS.values()))
        nft("d1", f"""
table ip l4kernel {{
  chain prerouting {{
    type nat hook prerouting priority dstnat;
    ip daddr {VIP} tcp dport 80 dnat to jhash ip saddr . tcp sport mod 3 map {{ {addresses} }}
  }}
}}""")
        for server in SERVERS:
            run(on(server, ["ip", "route", "replace", CLIENT_NETWORK, "via", GATEWAY]))

    def teardown(self, bench):
        for server in SERVERS:
            run(on(server, ["ip", "route", "replace", CLIENT_NETWORK, "via", ROUTER_BACK]), check=False)
        run(on("d1", ["nft", "delete", "table", "ip", "l4kernel"]), check=False)
        sysctl("d1", "net.ipv4.ip_forward=0")
        run(on("d1", ["ip", "addr", "del", f"{GATEWAY}/24", "dev", "eth1"]), check=False)
        run(on("d1", ["ip", "addr", "del", f"{VIP}/32", "dev", "eth0"]), check=False)
        self.undo_count()


class Sasha:
    """Four `sasha run` members: d1 the only one that may dispatch, s1-s3 serving through nginx."""
    target = VIP
    backends = {"11", "12", "13"}
    members = {"d1": D1["address"], **{server: address for server, (address, _, _) in SERVERS.items()}}

    def __init__(self, strategy, extra_options="", client_networks=(CLIENT_NETWORK,)):
        self.strategy = strategy
        self.name = f"sasha-{strategy}"
        self.extra_options = extra_options
        self.client_networks = client_networks

    def config(self, bench):
        options = "interface: eth0, output_interface: eth1"
        if self.strategy == "l4-3":
            options += f", gateway: {GATEWAY}, client_networks: [{', '.join(self.client_networks)}]"
        if self.extra_options:
            options += f", {self.extra_options}"
        nodes = "\n".join([f"  {D1['address']}: {{ serve: false }}"] +
                          [f"  {address}: {{ dispatch: false }}" for address, _, _ in SERVERS.values()])
        return bench.write(f"{self.name}.yaml", f"""\
cluster: {{ name: l4-bench, vip: {VIP}, ports: [80] }}
ring: {{ port: {RING_PORT}, members: [{', '.join(self.members.values())}], {bench.ring_key()} }}
control: {{ dir: {bench.folder}/control }}
plugins: {{ paths: [{bench.release}] }}
dispatch: {{ strategy: {self.strategy}, policy: round-robin, strategy_options: {{ {options} }} }}
service: {{ port: 80, external_port: 80, health: /health }}
nodes:
{nodes}
""")

    def setup(self, bench):
        sasha = os.path.join(bench.release, "sasha")
        if not os.access(sasha, os.X_OK) or not os.path.exists(os.path.join(bench.release, f"lib{self.strategy}.so")):
            raise Unavailable(f"no release build in {bench.release} (swift build -c release)")
        self.path = self.config(bench)
        for host, address in self.members.items():
            bench.processes.start(f"{self.name}-{host}", on(host, [sasha, "run", "--config", self.path, "--node", address]), cwd=ROOT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = self.status(bench)
            members = (status or {}).get("ring") or {}
            healthy = [m for m in members.get("members", []) if m["role"] == "server" and m["healthy"]]
            if status and status["role"] == "dispatcher" and len(healthy) == 3 and (status.get("strategy_stats") or {}).get("running"):
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name}: no ring with d1 dispatching to three healthy servers in 30 s:\n"
                           f"{bench.processes.log_tail(f'{self.name}-d1')}")

    def status(self, bench):
        done = run([os.path.join(bench.release, "sasha"), "status", "--config", self.path, "--node", D1["address"], "--json"], check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def stats(self, bench):
        return (self.status(bench) or {}).get("strategy_stats") or {}

    def forwarded(self, bench):
        packets = self.stats(bench).get("packets", {})
        return packets.get("client_to_server", 0) + packets.get("server_to_client", 0)

    def dispatcher_seconds(self, bench):
        return process_seconds(bench.processes.running[f"{self.name}-d1"].pid)

    def teardown(self, bench):
        for host in reversed(list(self.members)):   # servers first; SIGTERM undoes their server side
            bench.processes.stop(f"{self.name}-{host}")


def front_end(name):
    kinds = {"direct": Direct, "kernel-l4-2": KernelMACRewrite, "kernel-l4-3": KernelNAT}
    return kinds[name]() if name in kinds else Sasha(name.removeprefix("sasha-"))


# -- the bench ----------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="sasha-l4-bench-")
        os.chmod(self.folder, 0o755)  # nginx workers run as nobody and read www/ from here
        self.processes = Processes(self.folder)
        self.release = os.path.join(ROOT, ".build", "release")

    def ring_key(self):
        """`key_file: PATH` for the ring: off loopback, `insecure: true` is refused."""
        path = os.path.join(self.folder, "ring.key")
        if not os.path.exists(path):
            subprocess.run([os.path.join(self.release, "sasha"), "keygen", "--out", path], check=True, stdout=subprocess.DEVNULL)
        return f"key_file: {path}"

    def write(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def make_www(self):
        www = os.path.join(self.folder, "www")
        os.makedirs(os.path.join(www, "images"))
        with open(os.path.join(www, "page-1k.html"), "wb") as f:
            f.write((b"<p>" + b"x" * 1017 + b"</p>\n")[:1024])
        with open(os.path.join(www, "images", "photo-64k.png"), "wb") as f:
            f.write(os.urandom(64 * 1024))
        return www

    def up(self):
        run(["bash", LAB_SCRIPT, "down", "--prefix", PREFIX], check=False)
        run(["bash", LAB_SCRIPT, "up", "--prefix", PREFIX, "--topology", "two"])
        www = self.make_www()
        for server, (_, _, number) in SERVERS.items():
            os.makedirs(os.path.join(self.folder, f"backend-{number}-temp"))
            config = self.write(f"{server}.conf", fill("backend.conf", DIR=self.folder, ID=number, ADDRESS="0.0.0.0", PORT=80, WWW=www))
            self.processes.start(f"nginx-{server}", on(server, ["nginx", "-c", config]))
            # The loss run's frames: counted and dropped before the server's stack sees them.
            nft(server, f"table netdev l4sink {{ chain ingress {{ type filter hook ingress device eth0 priority -20; "
                        f"tcp sport {SINK_PORTS[0]}-{SINK_PORTS[1]} counter drop; }}; }}")
        # wrk's ports stay below the loss run's; a wide range for the connection-per-request runs.
        sysctl("client", f"net.ipv4.ip_local_port_range=1024 {SINK_PORTS[0] - 1}")
        time.sleep(0.5)

    def down(self):
        self.processes.stop_all()
        run(["bash", LAB_SCRIPT, "down", "--prefix", PREFIX], check=False)

    def backends_seen(self, target, requests=30):
        """X-Backend of `requests` answers, each on a new connection from the client host; each
        must be a 200 with the page's 1,024 bytes."""
        script = (f"for i in $(seq {requests}); do curl -s -m 3 -o /dev/null -D - -w 'answer %{{http_code}} %{{size_download}}\\n' "
                  f"http://{target}/page-1k.html | tr -d '\\r' | sed -n 's/^X-Backend: //p; /^answer /p'; done")
        lines = run(on("client", ["bash", "-c", script])).stdout.splitlines()
        wrong = [line for line in lines if line.startswith("answer ") and line != "answer 200 1024"]
        if wrong or len(lines) != 2 * requests:
            raise RuntimeError(f"http://{target}/page-1k.html from the client: {wrong or lines}: want {requests} × 200 with 1024 bytes")
        return {line for line in lines if not line.startswith("answer ")}

    def wrk(self, url, close, duration, latency=True):
        argv = ["wrk", "-t1", f"-c{self.args.connections}", f"-d{duration}", "--timeout", "5s"]
        argv += ["--latency"] if latency else []
        argv += ["-H", "Connection: close"] if close else []
        done = run(on("client", argv + [url]))
        return parse_wrk(done.stdout, latency)

    def sink_received(self):
        return sum(sum(nft_counters(server, "l4sink").values()) for server in SERVERS)


def measure(bench, end, results):
    for object_name, (path, _, close) in OBJECTS.items():
        url = f"http://{end.target}{path}"
        bench.wrk(url, close, "2s", latency=False)   # warm-up: ARP, caches, the dispatcher's map
        busy, forwarded, own = machine_busy_seconds(), end.forwarded(bench), end.dispatcher_seconds(bench)
        result = bench.wrk(url, close, bench.args.duration)
        busy = machine_busy_seconds() - busy
        if forwarded is not None:
            result["forwarded"] = end.forwarded(bench) - forwarded
        if own is not None:
            user, system = end.dispatcher_seconds(bench)
            result["dispatcher_user_s"], result["dispatcher_system_s"] = user - own[0], system - own[1]
        result["machine_us_per_request"] = busy / max(result["requests"] or 1, 1) * 1e6
        if result["non2xx"]:
            raise RuntimeError(f"{end.name} {object_name}: {result['non2xx']} answers were not 2xx")
        if isinstance(end, Sasha):
            # Totals since the dispatcher started: cut frames mean offloads are on (a broken
            # setup); dropped ones are a result (TCP resends them), noted with the figures.
            capture = end.stats(bench).get("capture", {})
            if capture.get("truncated"):
                raise RuntimeError(f"{end.name} {object_name}: the dispatcher's captures cut frames (GRO on?): {capture}")
            result["capture_dropped_total"] = capture.get("dropped_by_kernel")
        if any(result["socket_errors"].values()):
            print(f"    note: {end.name} {object_name}: socket errors {result['socket_errors']}", file=sys.stderr)
        results.setdefault(end.name, {}).setdefault(object_name, []).append(result)
        extra = f", {result['forwarded'] / result['requests']:.1f} packets/request" if "forwarded" in result else ""
        print(f"    {end.name:12} {object_name:10} {result['rps']:10,.0f} req/s  p99 {result['p99']:.2f} ms{extra}")


ALLOCATORS = ["malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc"]


def count_allocations(bench, end, seconds=5):
    """Calls of libc's allocators on the dispatcher's capture threads (uprobes, `perf stat -t`)
    while wrk fetches the page, and the frames forwarded meanwhile; None without perf."""
    if not shutil.which("perf"):
        return None
    pid = bench.processes.running[f"{end.name}-d1"].pid
    with open(f"/proc/{pid}/maps") as f:
        libc = next(line.split()[-1] for line in f if "/libc.so" in line)
    threads = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as f:
            if f.read().strip() == "sasha-capture":
                threads.append(task)
    events = []
    for allocator in ALLOCATORS:
        added = run(["perf", "probe", "-q", "-x", libc, "--add", f"sasha_{allocator}={allocator}"], check=False)
        if added.returncode == 0 or "already exists" in added.stderr:
            events.append(f"probe_libc:sasha_{allocator}")
    try:
        perf = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(events), "-t", ",".join(threads), "--", "sleep", str(seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        before = end.forwarded(bench)
        bench.wrk(f"http://{end.target}/page-1k.html", False, f"{seconds + 1}s", latency=False)
        forwarded = end.forwarded(bench) - before
        report = perf.communicate()[1]
    finally:
        for event in events:
            run(["perf", "probe", "-q", "-d", event], check=False)
    counts = {}
    for line in report.splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2].startswith("probe_libc:sasha_"):
            counts[fields[2].removeprefix("probe_libc:sasha_")] = int(fields[0]) if fields[0].isdigit() else None
    return {"threads": len(threads), "calls": counts, "forwarded": forwarded}


def trafgen_config(bench, flags):
    return bench.write(f"segments-{flags}.trafgen", f"""{{
  eth(da={D1['front_mac']}, sa={CLIENT['mac']}),
  ipv4(saddr={CLIENT['address']}, daddr={VIP}, ttl=64),
  tcp(sp=dinc({SINK_PORTS[0]}, {SINK_PORTS[1]}), dp=80, {flags}, seq=1000, aseq=2000, win=512),
  fill(0x41, 6)
}}
""")


def trafgen(config, count, rate):
    """Sends `count` frames at `rate` per second from one CPU; returns the wall time it took."""
    start = time.monotonic()
    run(on("client", ["taskset", "-c", "0", "trafgen", "--dev", "eth0", "--conf", config, "-n", str(count), "-b", f"{rate}pps", "-P", "1", "-q"]))
    return time.monotonic() - start


def loss_run(bench, end, seconds):
    """The loss per stepped rate, until a step loses more than 1%."""
    flows = SINK_PORTS[1] - SINK_PORTS[0] + 1
    if isinstance(end, Sasha):
        # The dispatcher gets the core trafgen does not use, as it would have cores of its own on
        # a machine of its own; otherwise the scheduler may wake it on trafgen's busy core.
        run(["taskset", "-a", "-p", "-c", "1", str(bench.processes.running[f"{end.name}-d1"].pid)])
        before = bench.sink_received()
        trafgen(trafgen_config(bench, "syn"), flows, 20_000)
        time.sleep(0.5)
        if bench.sink_received() - before != flows:
            raise RuntimeError(f"{end.name}: {bench.sink_received() - before} of {flows} SYNs reached the servers")
    segments = trafgen_config(bench, "ack")
    steps = []
    for rate in RATES:
        count = rate * seconds
        before, dispatcher = bench.sink_received(), end.dispatcher_seconds(bench)
        wall = trafgen(segments, count, rate)
        time.sleep(0.5)
        received = bench.sink_received() - before
        step = {"rate": rate, "sent": count, "achieved": count / wall, "received": received, "lost": count - received}
        if dispatcher is not None:
            user, system = end.dispatcher_seconds(bench)
            step["dispatcher_us_per_packet"] = (user - dispatcher[0], system - dispatcher[1])
            step["dispatcher_us_per_packet"] = tuple(seconds / max(received, 1) * 1e6 for seconds in step["dispatcher_us_per_packet"])
        if isinstance(end, Sasha):
            step["pcap_dropped"] = end.stats(bench).get("capture", {}).get("dropped_by_kernel")
        steps.append(step)
        print(f"    {end.name:12} {rate:8,} pps asked, {step['achieved']:9,.0f} sent/s, lost {step['lost']:,} of {count:,}")
        if step["lost"] > count / 100:
            break
        if step["achieved"] < rate * 0.8:
            step["generator_limit"] = True   # trafgen cannot send faster on its one core
            break
    return steps


# -- the report ---------------------------------------------------------------------------------

def median(results, name, object_name, key):
    values = [r[key] for r in results.get(name, {}).get(object_name, []) if r.get(key) is not None]
    return statistics.median(values) if values else None


def report(results, losses, unavailable, allocations, args):
    lines = [] if not results else [f"{args.rounds} round(s), wrk -t1 -c{args.connections} -d{args.duration}; medians (range of req/s)", "",
             "| front end | 1 KiB req/s | p99 ms | 64 KiB req/s | p99 ms | 1 KiB, new connection each, req/s | p99 ms | machine CPU µs/request (1 KiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in FRONT_ENDS:
        if name in unavailable:
            lines.append(f"| {LABELS[name]} | not available: {unavailable[name]} |||||||")
            continue
        if name not in results:
            continue
        cells = []
        for object_name in OBJECTS:
            values = [r["rps"] for r in results[name].get(object_name, [])]
            rps = median(results, name, object_name, "rps")
            cells += [f"{rps:,.0f} ({min(values):,.0f}–{max(values):,.0f})", f"{median(results, name, object_name, 'p99'):.2f}"]
        cells.append(f"{median(results, name, 'page', 'machine_us_per_request'):.1f}")
        lines.append(f"| {LABELS[name]} | " + " | ".join(cells) + " |")
    lines += [] if not results else ["", "| ratio (goal) | 1 KiB | 64 KiB | 1 KiB, new connection each |", "|---|---:|---:|---:|"]
    for sasha, kernel, goal in (("sasha-l4-2", "kernel-l4-2", 0.9), ("sasha-l4-3", "kernel-l4-3", 0.7),
                                ("kernel-l4-2", "direct", None), ("sasha-l4-2", "direct", None)):
        if sasha in results and kernel in results:
            cells = []
            for object_name in OBJECTS:
                a, b = median(results, sasha, object_name, "rps"), median(results, kernel, object_name, "rps")
                cells.append(f"{a / b:.2f}×" if a and b else "–")
            label = f"{sasha} / {kernel}" + (f" (≥ {goal}×)" if goal else "")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [] if not any(name in results for name in ("sasha-l4-2", "sasha-l4-3")) else ["", "| Sasha dispatcher | packets/request (1 KiB / 64 KiB / new connection) | "
              "dispatcher CPU µs per forwarded packet, user + system (1 KiB / 64 KiB / new connection) |", "|---|---:|---:|"]
    for name in ("sasha-l4-2", "sasha-l4-3"):
        if name in results:
            per_packet, packets = [], []
            for object_name in OBJECTS:
                rows = results[name][object_name]
                user = statistics.median(r["dispatcher_user_s"] / max(r["forwarded"], 1) * 1e6 for r in rows)
                system = statistics.median(r["dispatcher_system_s"] / max(r["forwarded"], 1) * 1e6 for r in rows)
                per_packet.append(f"{user:.2f} + {system:.2f}")
                packets.append(f"{statistics.median(r['forwarded'] / r['requests'] for r in rows):.1f}")
            lines.append(f"| {LABELS[name]} | {' / '.join(packets)} | {' / '.join(per_packet)} |")
    if losses:
        lines += ["", "| front end | highest loss-free rate (packets/s) | first rate with loss: lost | dispatcher CPU µs/packet at the loss-free rate, user + system |",
                  "|---|---:|---:|---:|"]
        for name in FRONT_ENDS:
            steps = losses.get(name)
            if not steps:
                continue
            clean = [s for s in steps if s["lost"] == 0]
            lossy = next((s for s in steps if s["lost"] != 0), None)
            best = max(clean, key=lambda s: s["achieved"]) if clean else None
            limited = "≥ " if best and not lossy and any(s.get("generator_limit") for s in steps) else ""
            lines.append(f"| {LABELS[name]} | {limited}{best['achieved']:,.0f} |" if best else f"| {LABELS[name]} | none |")
            lines[-1] += (f" {lossy['achieved']:,.0f}: {lossy['lost'] / lossy['sent']:.2%} |" if lossy
                          else " none: trafgen could send no faster on its core |" if limited else " none up to the last step |")
            if best and "dispatcher_us_per_packet" in best:
                lines[-1] += " {:.2f} + {:.2f} |".format(*best["dispatcher_us_per_packet"])
            else:
                lines[-1] += " (kernel softirq) |"
    for name, counted in allocations.items():
        if counted is None:
            lines.append(f"\n{LABELS[name]}: allocations not counted (no perf: apt-get install linux-perf)")
        else:
            calls = ", ".join(f"{allocator} {count}" for allocator, count in counted["calls"].items())
            lines.append(f"\n{LABELS[name]}: allocator calls on its {counted['threads']} capture threads while forwarding "
                         f"{counted['forwarded']:,} frames: {calls}")
    print("\n".join(lines))


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="10s")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", help=f"comma-separated front ends of {','.join(FRONT_ENDS)}")
    parser.add_argument("--no-loss", action="store_true", help="skip the loss run")
    parser.add_argument("--loss-seconds", type=int, default=2, help="seconds per rate step")
    parser.add_argument("--keep", action="store_true", help="keep configs, logs and results.json")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("l4_bench.py: the lab needs root (network namespaces)")
    for tool in ("wrk", "nginx", "nft", "trafgen", "ethtool", "curl"):
        if not shutil.which(tool):
            raise SystemExit(f"l4_bench.py: {tool} is missing: apt-get install wrk nginx-light nftables netsniff-ng ethtool curl")
    names = args.only.split(",") if args.only else FRONT_ENDS
    for name in names:
        if name not in FRONT_ENDS:
            raise SystemExit(f"l4_bench.py: --only: no front end '{name}' (have {','.join(FRONT_ENDS)})")
    signal.signal(signal.SIGTERM, interrupted)
    bench = Bench(args)
    results, losses, unavailable, allocations = {}, {}, {}, {}
    try:
        bench.up()
        print(f"lab {PREFIX} up; files in {bench.folder}")
        for round_number in range(args.rounds):
            order = names[round_number % len(names):] + names[:round_number % len(names)]
            print(f"round {round_number + 1}: {', '.join(order)}")
            for name in order:
                if name in unavailable:
                    continue
                end = front_end(name)
                try:
                    end.setup(bench)
                    seen = bench.backends_seen(end.target)
                    if seen != end.backends:
                        raise RuntimeError(f"{name}: answers came from backends {sorted(seen)}, want {sorted(end.backends)}")
                    measure(bench, end, results)
                except Unavailable as reason:
                    unavailable[name] = str(reason)
                finally:
                    end.teardown(bench)
        if not args.no_loss:
            print("loss run")
            for name in names:
                if name == "direct" or name in unavailable:
                    continue
                end = front_end(name)
                try:
                    end.setup(bench)
                    if isinstance(end, Sasha):
                        allocations[name] = count_allocations(bench, end)
                        print(f"    {name:12} allocations on the capture threads: {allocations[name]}")
                    losses[name] = loss_run(bench, end, args.loss_seconds)
                finally:
                    end.teardown(bench)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    finally:
        bench.down()
        with open(os.path.join(bench.folder, "results.json"), "w") as f:
            json.dump({"results": results, "losses": losses, "unavailable": unavailable, "allocations": allocations}, f, indent=1)
    report(results, losses, unavailable, allocations, args)
    if args.keep:
        print(f"configs, logs and results.json in {bench.folder}")
    else:
        shutil.rmtree(bench.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
