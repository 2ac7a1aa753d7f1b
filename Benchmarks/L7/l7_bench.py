#!/usr/bin/env python3
"""L7 proxy figures for Benchmarks/README.md (issue 4): Sasha's `l7` dispatcher against HAProxy 2.6
and nginx in front of the same three nginx backends, and direct to one backend.

    python3 Benchmarks/L7/l7_bench.py --rounds 3
    python3 Benchmarks/L7/l7_bench.py --rounds 1 --duration 3s --only direct,haproxy   # a quick look

Backends: three nginx (one worker each) on 127.0.1.2-4:8081 serving a 1 KiB page and a 64 KiB
image with `Cache-Control: max-age=60` and `X-Backend: 2|3|4`. Front ends, started one at a time
on 127.0.1.1 (so none competes for the 2 cores while another is measured), two workers each:
HAProxy (`mode http`, `http-reuse always`), nginx (upstream keep-alive), nginx with `proxy_cache`
on tmpfs, and a four-member Sasha cluster (the dispatcher on 127.0.1.1, VIP 127.0.1.100) with the
l7 cache off and on. Each round runs wrk once per front end and object, the front ends in a rotated
order; the tables give medians over rounds. Then each proxy holds 1,000 keep-alive connections
while its resident memory is sampled every 200 ms.

Needs wrk, haproxy and nginx (`apt-get install wrk haproxy nginx-light`); the Sasha rows need
`.build/release/sasha` and `.build/release/libl7.so` (`swift build -c release`) and are reported
as not available otherwise."""
import argparse, http.client, json, os, re, resource, shutil, signal, socket, statistics, subprocess
import sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
FRONT = "127.0.1.1"
BACKENDS = ["127.0.1.2", "127.0.1.3", "127.0.1.4"]
VIP = "127.0.1.100"
BACKEND_PORT = 8081
OBJECTS = {"page": ("/page-1k.html", 1024), "image": ("/images/photo-64k.png", 64 * 1024)}
FRONT_ENDS = ["direct", "haproxy", "nginx", "nginx-cache", "sasha", "sasha-cache"]
PROXIES = ["haproxy", "nginx", "nginx-cache", "sasha", "sasha-cache"]  # the memory runs
LABELS = {"direct": "direct to one backend", "haproxy": "HAProxy 2.6", "nginx": "nginx",
          "nginx-cache": "nginx `proxy_cache`", "sasha": "Sasha `l7`, cache off",
          "sasha-cache": "Sasha `l7`, cache on"}


class Unavailable(Exception):
    """A front end that cannot run here; its rows say why instead of giving figures."""


def fill(template, **values):
    with open(os.path.join(HERE, template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise SystemExit(f"{template}: no value for {', '.join(sorted(set(left)))}")
    return text


class Processes:
    """Every process the benchmark starts, each in its own process group, so that its children
    (nginx workers) end with it; all of them are stopped on exit, Ctrl-C or failure."""

    def __init__(self, folder):
        self.folder = folder
        self.running = {}

    def start(self, name, argv, cwd=None):
        log = open(os.path.join(self.folder, f"{name}.log"), "ab")
        process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=cwd,
                                   start_new_session=True)
        log.close()
        self.running[name] = process
        return process

    def stop(self, name):
        process = self.running.pop(name, None)
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                # The leader is gone; its group may still hold workers for a moment.
                deadline = time.monotonic() + wait
                while group_alive(process.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if not group_alive(process.pid):
                    break
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self):
        for name in reversed(list(self.running)):
            self.stop(name)

    def log_tail(self, name, lines=10):
        try:
            with open(os.path.join(self.folder, f"{name}.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:]).strip()
        except OSError:
            return ""


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def descendants(pid):
    """pid and every process below it (nginx master, workers, cache manager)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_kib(pids):
    """(sum of VmRSS, sum of Pss) in KiB over `pids`; Pss shares each page among the processes
    mapping it, so it does not count the shared pages of nginx's master and workers twice."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                rss += next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
        except OSError:
            pass
    return rss, pss


def wait_port(address, port, limit=10.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def fetch(connection, path):
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def verify(address, port, path, size, backends, cache_header=None, requests=9):
    """Fetches `path` `requests` times (a new connection each time, so that a proxy choosing a
    backend per connection spreads them too): every answer is 200 with `size` bytes, the backends
    named by X-Backend are `backends`, and (with `cache_header`) the answers after the first two
    are cache hits. Returns what it saw; raises RuntimeError otherwise."""
    seen, hits = set(), []
    for _ in range(requests):
        connection = http.client.HTTPConnection(address, port, timeout=5)
        try:
            status, headers, body = fetch(connection, path)
        finally:
            connection.close()
        if status != 200 or len(body) != size:
            raise RuntimeError(f"http://{address}:{port}{path}: status {status}, {len(body)} bytes (want 200, {size})")
        if "x-backend" not in headers:
            raise RuntimeError(f"http://{address}:{port}{path}: no X-Backend header: not from a backend")
        seen.add(headers["x-backend"])
        if cache_header:
            hits.append(headers.get(cache_header, "-"))
    if cache_header:
        if any(h.upper() != "HIT" for h in hits[2:]):
            raise RuntimeError(f"http://{address}:{port}{path}: {cache_header} {hits}: the cache does not hit")
    elif seen != set(backends):
        raise RuntimeError(f"http://{address}:{port}{path}: answers came from backends {sorted(seen)}, want {sorted(backends)}")
    return {"backends": sorted(seen), "cache": hits}


# -- wrk ----------------------------------------------------------------------------------------

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text, latency=True):
    """requests/s and p50/p99 latency (ms) from `wrk --latency` output, plus errors."""
    def number(pattern):
        match = re.search(pattern, text, re.M)
        return match.groups() if match else None

    rps = number(r"^Requests/sec:\s+([\d.]+)")
    if not rps:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{text}")
    result = {"rps": float(rps[0])}
    for percent in ("50", "99") if latency else ():
        value = number(rf"^\s+{percent}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$")
        if not value:
            raise RuntimeError(f"no {percent}% latency in wrk output:\n{text}")
        result[f"p{percent}"] = float(value[0]) * UNITS[value[1]]
    total = number(r"(\d+) requests in")
    result["requests"] = int(total[0]) if total else None
    non2xx = number(r"Non-2xx or 3xx responses:\s+(\d+)")
    result["non2xx"] = int(non2xx[0]) if non2xx else 0
    errors = number(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    result["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"), map(int, errors))) if errors else {}
    return result


def wrk(url, connections, duration, latency=True, threads=1):
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--timeout", "5s"]
    if latency:
        argv.append("--latency")
    run = subprocess.run(argv + [url], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stderr.strip() or run.stdout.strip()}")
    return parse_wrk(run.stdout, latency), run.stdout


# -- the servers --------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="sasha-l7-")
        os.chmod(self.folder, 0o755)  # nginx workers run as nobody and read www/ from here
        self.shm = tempfile.mkdtemp(prefix="sasha-l7-cache-", dir="/dev/shm")
        os.chmod(self.shm, 0o755)
        # A unix socket path is limited to 107 bytes: the control folder lives straight under /tmp.
        self.control = tempfile.mkdtemp(prefix="l7c-", dir="/tmp")
        self.processes = Processes(self.folder)
        self.www = os.path.join(self.folder, "www")
        self.sasha = os.path.abspath(args.sasha)
        self.plugins = os.path.abspath(args.plugins)
        self.front = {}  # name -> (address, port, main pid whose tree is the dispatcher)

    # The files every backend serves: a 1 KiB page and a 64 KiB image (random bytes behind a PNG
    # signature: nothing compresses it on the way).
    def make_www(self):
        os.makedirs(os.path.join(self.www, "images"))
        head = "<!doctype html>\n<html><head><title>Sasha L7 benchmark</title></head><body>\n<p>"
        tail = "</p>\n</body></html>\n"
        page = head + "x" * (1024 - len(head) - len(tail)) + tail
        assert len(page.encode()) == 1024
        with open(os.path.join(self.www, "page-1k.html"), "w") as f:
            f.write(page)
        with open(os.path.join(self.www, "images", "photo-64k.png"), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(64 * 1024 - 8))

    def write(self, name, text):
        path = os.path.join(self.folder, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_nginx(self, name, config):
        path = self.write(f"{name}.conf", config)
        os.makedirs(os.path.join(self.folder, f"{name}-temp"), exist_ok=True)
        check = subprocess.run(["nginx", "-t", "-q", "-p", self.folder, "-c", path, "-e", os.path.join(self.folder, f"{name}.error.log")],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise SystemExit(f"nginx -t {path}: {check.stderr.strip()}")
        return self.processes.start(name, ["nginx", "-p", self.folder, "-c", path, "-e", os.path.join(self.folder, f"{name}.error.log")])

    def start_backends(self):
        self.make_www()
        for address in BACKENDS:
            ident = address.rsplit(".", 1)[1]
            self.start_nginx(f"backend-{ident}", fill("backend.conf", DIR=self.folder, ID=ident, ADDRESS=address,
                                                      PORT=BACKEND_PORT, WWW=self.www))
        for address in BACKENDS:
            if not wait_port(address, BACKEND_PORT):
                raise SystemExit(f"backend {address}:{BACKEND_PORT} does not answer: "
                                 f"{self.processes.log_tail('backend-' + address.rsplit('.', 1)[1])}")
            for path, size in OBJECTS.values():
                verify(address, BACKEND_PORT, path, size, [address.rsplit(".", 1)[1]], requests=2)
        print(f"backends: {', '.join(f'{a}:{BACKEND_PORT}' for a in BACKENDS)} answer", flush=True)

    def start_front(self, name):
        """Starts front end `name`; returns (address, port, pid of its process tree or None)."""
        if name == "direct":
            return BACKENDS[0], BACKEND_PORT, None
        if name == "haproxy":
            port = 8082
            path = self.write("haproxy.cfg", fill("haproxy.cfg", DIR=self.folder, ADDRESS=FRONT, PORT=port,
                                                  BACKEND_PORT=BACKEND_PORT))
            check = subprocess.run(["haproxy", "-c", "-q", "-f", path], capture_output=True, text=True)
            if check.returncode != 0:
                raise SystemExit(f"haproxy -c {path}: {check.stdout.strip()} {check.stderr.strip()}")
            process = self.processes.start(name, ["haproxy", "-db", "-f", path])
        elif name in ("nginx", "nginx-cache"):
            port = 8083 if name == "nginx" else 8084
            cache_http = cache_location = ""
            if name == "nginx-cache":
                cache_http = (f"    proxy_cache_path {self.shm} levels=1:2 keys_zone=l7:16m max_size=256m "
                              f"inactive=10m use_temp_path=off;\n"
                              f"    open_file_cache max=1000 inactive=60s;")
                cache_location = ("            proxy_cache l7;\n"
                                  "            proxy_cache_valid 200 60s;\n"
                                  "            add_header X-Cache-Status $upstream_cache_status always;")
            process = self.start_nginx(name, fill("nginx-proxy.conf", DIR=self.folder, NAME=name, ADDRESS=FRONT,
                                                  PORT=port, BACKEND_PORT=BACKEND_PORT, CACHE_HTTP=cache_http,
                                                  CACHE_LOCATION=cache_location))
        else:
            return self.start_sasha(name)
        if not wait_port(FRONT, port):
            raise SystemExit(f"{name} does not listen on {FRONT}:{port}: {self.processes.log_tail(name)}")
        return FRONT, port, process.pid

    def sasha_available(self):
        if not os.access(self.sasha, os.X_OK):
            return f"{self.sasha} is not built (swift build -c release)"
        if not os.path.exists(os.path.join(self.plugins, "libl7.so")):
            return f"no libl7.so in {self.plugins}: the l7 proxy is not built"
        return None

    def start_sasha(self, name):
        reason = self.sasha_available()
        if reason:
            raise Unavailable(reason)
        port = 8090
        config = self.write(f"{name}.yaml", fill("sasha.yaml", VIP=VIP, PORT=port, RING_PORT=self.args.ring_port,
                                                 CONTROL=self.control, PLUGINS=self.plugins,
                                                 CACHE="true" if name == "sasha-cache" else "false",
                                                 BACKEND_PORT=BACKEND_PORT))
        check = subprocess.run([self.sasha, "check", "--config", config], capture_output=True, text=True)
        if check.returncode != 0:
            raise Unavailable(f"sasha check rejects the configuration: {(check.stderr or check.stdout).strip()}")
        members = [FRONT] + BACKENDS
        for address in members:
            self.processes.start(f"{name}-{address}", [self.sasha, "run", "--config", config, "--node", address])
        end = time.monotonic() + 30
        status = None
        while time.monotonic() < end:
            run = subprocess.run([self.sasha, "status", "--config", config, "--node", FRONT, "--json"],
                                 capture_output=True, text=True)
            try:
                status = json.loads(run.stdout) if run.returncode == 0 else None
            except ValueError:
                status = None
            ring = (status or {}).get("ring") or {}
            if (status or {}).get("role") == "dispatcher" and len(ring.get("members", [])) == len(members) \
                    and all(m.get("healthy", True) for m in ring["members"] if m.get("address") != FRONT) \
                    and wait_port(VIP, port, 0.2):
                return VIP, port, self.processes.running[f"{name}-{FRONT}"].pid
            for address in members:
                if self.processes.running[f"{name}-{address}"].poll() is not None:
                    raise Unavailable(f"sasha run --node {address} exited: {self.processes.log_tail(f'{name}-{address}', 3)}")
            time.sleep(0.2)
        raise Unavailable(f"no dispatcher with 4 healthy members on {VIP}:{port} within 30 s; last status: "
                          f"{json.dumps(status)[:300]}; log: {self.processes.log_tail(f'{name}-{FRONT}', 3)}")

    def stop_front(self, name):
        for process in [p for p in self.processes.running if p == name or p.startswith(f"{name}-127.")]:
            self.processes.stop(process)
        if name == "nginx-cache":
            for entry in os.listdir(self.shm):
                shutil.rmtree(os.path.join(self.shm, entry), ignore_errors=True)

    def cleanup(self, keep):
        self.processes.stop_all()
        shutil.rmtree(self.shm, ignore_errors=True)
        shutil.rmtree(self.control, ignore_errors=True)
        if keep:
            print(f"configurations, logs and raw results kept in {self.folder}")
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


# -- the runs -----------------------------------------------------------------------------------

def cache_header(name):
    return {"nginx-cache": "x-cache-status", "sasha-cache": "x-cache"}.get(name)


def check_front(name, address, port):
    """The front end proxies: answers come from all three backends (or, with a cache, are hits)."""
    backends = ["2"] if name == "direct" else ["2", "3", "4"]
    return {kind: verify(address, port, path, size, backends, cache_header(name))
            for kind, (path, size) in OBJECTS.items()}


def cpu_seconds(pids):
    """User plus system CPU time of `pids` so far, in seconds (from /proc/PID/stat)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def measure_round(bench, args, order, results, unavailable):
    for name in order:
        if name in unavailable:
            continue
        try:
            address, port, pid = bench.start_front(name)
            checked = check_front(name, address, port)
            for kind, (path, size) in OBJECTS.items():
                url = f"http://{address}:{port}{path}"
                if args.warmup:
                    wrk(url, args.connections, args.warmup, latency=False)
                # The front end's own CPU per request (its processes only: not wrk, not the backends).
                processes = descendants(pid)
                cpu_before = cpu_seconds(processes)
                figures, raw = wrk(url, args.connections, args.duration)
                figures["cpu_us"] = (cpu_seconds(processes) - cpu_before) * 1e6 / (figures["requests"] or 1)
                figures["checked"] = checked[kind]
                if cache_header(name):  # still hits after the run
                    figures["after"] = verify(address, port, path, size, [], cache_header(name), requests=3)
                results.setdefault(name, {}).setdefault(kind, []).append(figures)
                print(f"  {name:12} {kind:6} {figures['rps']:10.0f} req/s  p50 {figures['p50']:7.2f} ms  "
                      f"p99 {figures['p99']:7.2f} ms  cpu {figures['cpu_us']:6.1f} µs/req" + (f"  non-2xx {figures['non2xx']}" if figures["non2xx"] else "")
                      + (f"  socket errors {figures['socket_errors']}" if any(figures["socket_errors"].values()) else ""),
                      flush=True)
        except Unavailable as reason:
            unavailable[name] = str(reason)
            print(f"  {name:12} not available ({reason})", flush=True)
        except RuntimeError as error:
            unavailable[name] = f"failed: {error}"
            print(f"  {name:12} FAILED: {error}", flush=True)
        finally:
            bench.stop_front(name)
            time.sleep(args.pause)


def measure_memory(bench, args, name):
    """Resident memory of the dispatcher's processes, idle and at its peak while wrk holds
    `args.memory_connections` keep-alive connections busy."""
    address, port, pid = bench.start_front(name)
    try:
        check_front(name, address, port)
        pids = descendants(pid)
        idle_rss, idle_pss = memory_kib(pids)
        samples = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append(memory_kib(descendants(pid)))
                done.wait(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            figures, _ = wrk(f"http://{address}:{port}{OBJECTS['page'][0]}", args.memory_connections,
                             args.memory_duration, latency=False)
        finally:
            done.set()
            sampler.join()
        return {"processes": len(pids), "idle_rss_kib": idle_rss, "idle_pss_kib": idle_pss,
                "peak_rss_kib": max(s[0] for s in samples), "peak_pss_kib": max(s[1] for s in samples),
                "rps": figures["rps"], "socket_errors": figures["socket_errors"], "samples": len(samples)}
    finally:
        bench.stop_front(name)
        time.sleep(args.pause)


def measure_profile(bench, args, name):
    """Where the dispatcher's CPU goes while wrk runs the 1 KiB page at the benchmark's
    concurrency: `perf record` on its processes, then the hottest symbols (self time)."""
    if not shutil.which("perf"):
        raise Unavailable("perf is not installed (apt-get install linux-perf)")
    address, port, pid = bench.start_front(name)
    data = os.path.join(bench.folder, f"{name}.perf.data")
    try:
        check_front(name, address, port)
        url = f"http://{address}:{port}{OBJECTS['page'][0]}"
        wrk(url, args.connections, "2s", latency=False)
        seconds = max(1, int(re.sub(r"[^0-9]", "", args.duration) or "10") - 1)
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", data,
                                 "-p", ",".join(map(str, descendants(pid))), "--", "sleep", str(seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            figures, _ = wrk(url, args.connections, args.duration)
        finally:
            perf.wait()
    finally:
        bench.stop_front(name)
        time.sleep(args.pause)
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,symbol",
                             "-g", "none", "--percent-limit", "0.7"], capture_output=True, text=True)
    rows = [re.sub(r"\s{2,}", "  ", re.sub(r"(\s+-)+\s*$", "", line)).strip()[:140]
            for line in report.stdout.splitlines() if line.strip() and not line.startswith("#")]
    with open(os.path.join(bench.folder, f"{name}.perf.txt"), "w") as f:
        f.write(report.stdout)
    return {"rps": figures["rps"], "p99": figures["p99"], "top": rows[:args.profile_lines]}


# -- the report ---------------------------------------------------------------------------------

def median(results, name, kind, key):
    values = [r[key] for r in results.get(name, {}).get(kind, [])]
    return statistics.median(values) if values else None


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "—"


def goals(results, memory):
    """One line per goal of the issue: met, missed (by how much) or not measured."""
    lines = []

    def line(text, value, wanted, higher_is_better=True):
        if value is None:
            lines.append(f"- {text}: not measured")
            return
        met = value >= wanted if higher_is_better else value <= wanted
        lines.append(f"- {text}: {value:.2f}× — " + ("met" if met else
                     f"MISSED by {abs(1 - value / wanted) * 100:.0f}%"))

    def quotient(a, b, kind, key):
        x, y = median(results, a, kind, key), median(results, b, kind, key)
        return x / y if x is not None and y else None

    for other in ("haproxy", "nginx"):
        for kind, size in (("page", "1 KiB"), ("image", "64 KiB")):
            line(f"Sasha ≥ 1.0× {LABELS[other]} in requests/s, {size}", quotient("sasha", other, kind, "rps"), 1.0)
            line(f"Sasha's p99 no worse than {LABELS[other]}'s, {size} (ratio of p99)",
                 quotient("sasha", other, kind, "p99"), 1.0, higher_is_better=False)
    for kind, size in (("page", "1 KiB"), ("image", "64 KiB")):
        line(f"Sasha cache hits ≥ 1.0× nginx `proxy_cache` in requests/s, {size}",
             quotient("sasha-cache", "nginx-cache", kind, "rps"), 1.0)
    rss = memory.get("sasha", {}).get("peak_rss_kib")
    lines.append("- Sasha dispatcher's resident memory with the cache off at 1,000 connections ≤ 64 MiB: " +
                 ("not measured" if rss is None else f"{rss / 1024:.1f} MiB — " +
                  ("met" if rss <= 64 * 1024 else f"MISSED by {rss / 1024 - 64:.1f} MiB")))
    return lines


def report(results, memory, unavailable, args):
    lines = [f"{args.rounds} round(s), wrk -t1 -c{args.connections} -d{args.duration}; median over rounds "
             f"(range of requests/s in brackets); latency in ms. Load average at the start "
             f"{args.load_before[0]:.1f}, at the end {os.getloadavg()[0]:.1f} (1 min).", "",
             "| front end | 1 KiB req/s | p50 | p99 | 64 KiB req/s | p50 | p99 | req/s vs direct (1 KiB / 64 KiB) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name in FRONT_ENDS:
        if name not in results:
            reason = unavailable.get(name, "not run")
            lines.append(f"| {LABELS[name]} | not available ({reason[:160]}) | | | | | | |")
            continue
        cells = [LABELS[name]]
        for kind in OBJECTS:
            rps = [r["rps"] for r in results[name][kind]]
            cells += [f"{statistics.median(rps):,.0f} ({min(rps):,.0f}–{max(rps):,.0f})",
                      f"{median(results, name, kind, 'p50'):.2f}", f"{median(results, name, kind, 'p99'):.2f}"]
        cells.append(" / ".join(ratio(median(results, name, k, "rps"), median(results, "direct", k, "rps")) for k in OBJECTS))
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "| ratio (goal) | 1 KiB req/s | 1 KiB p99 | 64 KiB req/s | 64 KiB p99 |", "|---|---:|---:|---:|---:|"]
    for a, b, goal in (("sasha", "haproxy", "req/s ≥ 1.0×, p99 ≤ 1.0×"), ("sasha", "nginx", "req/s ≥ 1.0×, p99 ≤ 1.0×"),
                       ("sasha-cache", "nginx-cache", "req/s ≥ 1.0×"), ("nginx", "haproxy", "—"),
                       ("nginx-cache", "nginx", "—")):
        cells = [f"{LABELS[a]} / {LABELS[b]} ({goal})"]
        for kind in OBJECTS:
            cells += [ratio(median(results, a, kind, "rps"), median(results, b, kind, "rps")),
                      ratio(median(results, a, kind, "p99"), median(results, b, kind, "p99"))]
        lines.append("| " + " | ".join(cells) + " |")

    lines += ["", "Goals:"] + goals(results, memory)
    lines += ["", f"Resident memory of the dispatcher's processes, wrk -t1 -c{args.memory_connections} "
                  f"-d{args.memory_duration} on the 1 KiB page, sampled every 200 ms (MiB; RSS summed over "
                  f"processes, PSS counts shared pages once):", "",
              "| proxy | processes | idle RSS | peak RSS at {:,} connections | peak PSS | req/s during |".format(args.memory_connections),
              "|---|---:|---:|---:|---:|---:|"]
    for name in PROXIES:
        m = memory.get(name)
        if not m:
            lines.append(f"| {LABELS[name]} | not available ({unavailable.get(name, 'not run')[:160]}) | | | | |")
            continue
        lines.append(f"| {LABELS[name]} | {m['processes']} | {m['idle_rss_kib'] / 1024:.1f} | {m['peak_rss_kib'] / 1024:.1f} | "
                     f"{m['peak_pss_kib'] / 1024:.1f} | {m['rps']:,.0f} |")
    return "\n".join(lines)


def interrupted(signum, frame):
    raise KeyboardInterrupt()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", default="10s", help="wrk -d for each measurement")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c for the throughput runs")
    parser.add_argument("--warmup", default="2s", help="an unmeasured wrk run before each measurement ('' for none)")
    parser.add_argument("--memory-connections", type=int, default=1000)
    parser.add_argument("--memory-duration", default="10s")
    parser.add_argument("--no-memory", action="store_true", help="skip the 1,000-connection memory runs")
    parser.add_argument("--profile", default="", help="comma-separated front ends to profile with perf after the "
                        "rounds (e.g. sasha,haproxy): the hottest symbols while wrk runs the 1 KiB page")
    parser.add_argument("--profile-lines", type=int, default=25)
    parser.add_argument("--only", default=",".join(FRONT_ENDS), help="comma-separated front ends: " + ",".join(FRONT_ENDS))
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between front ends")
    parser.add_argument("--sasha", default=".build/release/sasha")
    parser.add_argument("--plugins", default=".build/release", help="where libl7.so and the policies are")
    parser.add_argument("--ring-port", type=int, default=7420)
    parser.add_argument("--keep", action="store_true", help="keep configurations, logs and results.json")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args()
    chosen = [n.strip() for n in args.only.split(",") if n.strip()]
    for name in chosen:
        if name not in FRONT_ENDS:
            parser.error(f"--only: unknown front end {name!r}; choose from {', '.join(FRONT_ENDS)}")
    for tool in ("wrk", "nginx", "haproxy"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed: apt-get install wrk haproxy nginx-light")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(args.memory_connections * 4 + 1024, 16384)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted, hard))

    args.load_before = os.getloadavg()
    bench = Bench(args)
    # SIGTERM ends the run like Ctrl-C: through the finally below.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    results, memory, unavailable, rounds = {}, {}, {}, []
    started = time.time()
    try:
        bench.start_backends()
        for index in range(args.rounds):
            # Rotate the order each round, so no front end is always measured first or last.
            order = chosen[index % len(chosen):] + chosen[:index % len(chosen)]
            print(f"round {index + 1}/{args.rounds}: {', '.join(order)}", flush=True)
            measure_round(bench, args, order, results, unavailable)
        if not args.no_memory:
            print(f"memory at {args.memory_connections} connections:", flush=True)
            for name in [n for n in PROXIES if n in chosen and n not in unavailable]:
                try:
                    memory[name] = m = measure_memory(bench, args, name)
                    print(f"  {name:12} idle {m['idle_rss_kib'] / 1024:6.1f} MiB, peak RSS {m['peak_rss_kib'] / 1024:6.1f} MiB, "
                          f"peak PSS {m['peak_pss_kib'] / 1024:6.1f} MiB ({m['processes']} processes, {m['rps']:,.0f} req/s)"
                          + (f"  socket errors {m['socket_errors']}" if any(m["socket_errors"].values()) else ""),
                          flush=True)
                except (Unavailable, RuntimeError) as error:
                    unavailable[name] = str(error)
                    print(f"  {name:12} not available ({error})", flush=True)
        profiles = {}
        for name in [n.strip() for n in args.profile.split(",") if n.strip()]:
            print(f"profile of {name} (perf, 1 KiB page, wrk -c{args.connections} -d{args.duration}):", flush=True)
            try:
                profiles[name] = measure_profile(bench, args, name)
                print(f"  {profiles[name]['rps']:,.0f} req/s, p99 {profiles[name]['p99']:.2f} ms while profiled; "
                      f"self time by symbol (full report in {name}.perf.txt with --keep):", flush=True)
                print("\n".join("    " + row for row in profiles[name]["top"]), flush=True)
            except (Unavailable, RuntimeError) as error:
                print(f"  not available ({error})", flush=True)
        table = report(results, memory, unavailable, args)
        print()
        print(table)
        raw = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), "seconds": round(time.time() - started),
               "arguments": vars(args), "load_average_after": os.getloadavg(), "results": results, "memory": memory,
               "profiles": profiles, "unavailable": unavailable, "table": table}
        for path in ([os.path.join(bench.folder, "results.json")] if args.keep else []) + ([args.json] if args.json else []):
            with open(path, "w") as f:
                json.dump(raw, f, indent=1)
            print(f"raw results: {path}")
    except KeyboardInterrupt:
        print("interrupted; stopping everything", file=sys.stderr)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        bench.cleanup(args.keep)


if __name__ == "__main__":
    main()
