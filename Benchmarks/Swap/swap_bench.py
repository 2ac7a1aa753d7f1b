#!/usr/bin/env python3
"""Time for a policy change to be live, for issue 6: Sasha's `sasha policy set` on a five-member
ring against nginx's `nginx -s reload` of its upstream's balancing method, side by side, idle and
under wrk load.

    swift build -c release
    python3 Benchmarks/Swap/swap_bench.py --swaps 20      # about 3 minutes

Sasha: five members on 127.0.2.1-5 (ring port 7480, `l7` with the cache off, VIP 127.0.2.100:8480);
127.0.2.1 dispatches, 127.0.2.2-5 serve examples/www on port 8481. Each swap cycles round-robin,
least-connections, maglev and two-choices, asked of each member in turn. The figure is the
daemon's own: from the request reaching the proposer to the last member's acknowledgement of the
commit (both ring rounds and the plugin loaded on every member). The command's wall time, which
adds process start-up, is reported beside it.

nginx: one master and one worker on 127.0.2.200:8482 in front of the same four servers. Each
change rewrites the upstream block (round-robin, `least_conn`, `hash $request_uri consistent`,
`random two`) with an `X-Policy` header naming it, runs `nginx -s reload`, then asks for a page on
a fresh connection every millisecond until the new header comes back. The figure runs from the
reload command to that answer.

Under load, wrk (-t1 -c8, keep-alive) drives each front end while its changes run; socket errors
and non-2xx are reported. Medians, 90th percentiles and maxima of the runs."""
import argparse, http.client, json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "L7"))
from l7_bench import Processes, parse_wrk, wait_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MEMBERS = [f"127.0.2.{n}" for n in range(1, 6)]
SERVERS = MEMBERS[1:]
VIP, VIP_PORT, SERVICE_PORT, RING_PORT = "127.0.2.100", 8480, 8481, 7480
NGINX, NGINX_PORT = "127.0.2.200", 8482
POLICIES = ["round-robin", "least-connections", "maglev", "two-choices"]
NGINX_METHODS = {"round-robin": "", "least_conn": "least_conn;", "hash": "hash $request_uri consistent;",
                 "random": "random two;"}

SASHA_YAML = """
cluster: {{ name: swap-bench, vip: {vip}, ports: [{vip_port}] }}
ring:
  port: {ring_port}
  members: [{members}]
  insecure: true
control: {{ dir: {control} }}
plugins: {{ paths: [{plugins}] }}
dispatch:
  strategy: l7
  policy: round-robin
  strategy_options: {{ cache: {{ enabled: false }} }}
service: {{ port: {service_port}, root: {www} }}
nodes:
  127.0.2.1: {{ serve: false }}
"""

NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    upstream members {{
        {method}
{servers}
        keepalive 32;
    }}
    server {{
        listen {address}:{port};
        location / {{
            proxy_pass http://members;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            add_header X-Policy {name} always;
        }}
    }}
}}
"""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(values):
    return {"median": statistics.median(values), "p90": percentile(values, 0.9), "max": max(values), "runs": len(values)}


class Bench:
    def __init__(self, args):
        self.args = args
        self.folder = tempfile.mkdtemp(prefix="sasha-swap-")
        os.chmod(self.folder, 0o755)
        self.control = tempfile.mkdtemp(prefix="swc-", dir="/tmp")
        self.processes = Processes(self.folder)
        self.sasha = os.path.abspath(args.sasha)
        self.config = os.path.join(self.folder, "sasha.yaml")
        with open(self.config, "w") as f:
            f.write(SASHA_YAML.format(vip=VIP, vip_port=VIP_PORT, ring_port=RING_PORT, members=", ".join(MEMBERS),
                                      control=self.control, plugins=os.path.abspath(args.plugins),
                                      service_port=SERVICE_PORT, www=os.path.join(ROOT, "examples", "www")))

    # -- Sasha ---------------------------------------------------------------------------------

    def status(self, member):
        run = subprocess.run([self.sasha, "status", "--config", self.config, "--node", member, "--json"],
                             capture_output=True, text=True)
        return json.loads(run.stdout) if run.returncode == 0 else None

    def start_sasha(self):
        self.processes.start("sasha-1", [self.sasha, "run", "--config", self.config, "--node", MEMBERS[0]])
        time.sleep(1.5)  # the first member forms the ring and dispatches
        for n, member in enumerate(MEMBERS[1:], 2):
            self.processes.start(f"sasha-{n}", [self.sasha, "run", "--config", self.config, "--node", member])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reports = [self.status(m) for m in MEMBERS]
            if all(r and r.get("ring") and len(r["ring"]["members"]) == 5 for r in reports):
                if wait_port(VIP, VIP_PORT, 5):
                    return
            time.sleep(0.2)
        raise SystemExit("the five Sasha members did not form one ring: " + self.processes.log_tail("sasha-1"))

    def sasha_swaps(self, count):
        daemon, wall, votes = [], [], []
        for swap in range(count):
            policy = POLICIES[swap % len(POLICIES)]
            member = MEMBERS[swap % len(MEMBERS)]
            started = time.monotonic()
            run = subprocess.run([self.sasha, "policy", "set", policy, "--config", self.config, "--node", member, "--json"],
                                 capture_output=True, text=True)
            wall.append((time.monotonic() - started) * 1000)
            if run.returncode != 0:
                raise SystemExit(f"swap to {policy} via {member} failed: {run.stdout}{run.stderr}")
            outcome = json.loads(run.stdout)
            if outcome["members"] != 5:
                raise SystemExit(f"swap reached {outcome['members']} members, not 5: {run.stdout}")
            daemon.append(outcome["totalMilliseconds"])
            votes.append(outcome["voteMilliseconds"])
            time.sleep(0.2)
        return {"live": summary(daemon), "votes": summary(votes), "command": summary(wall)}

    # -- nginx ---------------------------------------------------------------------------------

    def write_nginx(self, name):
        servers = "\n".join(f"        server {s}:{SERVICE_PORT};" for s in SERVERS)
        with open(os.path.join(self.folder, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(folder=self.folder, method=NGINX_METHODS[name], servers=servers,
                                      address=NGINX, port=NGINX_PORT, name=name))

    def start_nginx(self):
        self.write_nginx("round-robin")
        self.processes.start("nginx", ["nginx", "-c", os.path.join(self.folder, "nginx.conf"), "-g", "daemon off;"])
        if not wait_port(NGINX, NGINX_PORT, 10):
            raise SystemExit("nginx did not start: " + self.processes.log_tail("nginx"))

    @staticmethod
    def policy_header():
        connection = http.client.HTTPConnection(NGINX, NGINX_PORT, timeout=2)
        try:
            connection.request("GET", "/index.html")
            response = connection.getresponse()
            response.read()
            return response.getheader("X-Policy")
        except OSError:
            return None
        finally:
            connection.close()

    def nginx_swaps(self, count):
        names = list(NGINX_METHODS)
        times = []
        for swap in range(count):
            name = names[(swap + 1) % len(names)]
            self.write_nginx(name)
            started = time.monotonic()
            subprocess.run(["nginx", "-c", os.path.join(self.folder, "nginx.conf"), "-s", "reload"], check=True,
                           capture_output=True)
            deadline = started + 10
            while self.policy_header() != name:
                if time.monotonic() > deadline:
                    raise SystemExit(f"nginx did not serve {name} within 10 s of the reload")
                time.sleep(0.001)
            times.append((time.monotonic() - started) * 1000)
            time.sleep(0.2)
        return {"live": summary(times)}

    # -- load ----------------------------------------------------------------------------------

    def under_load(self, url, run):
        wrk = subprocess.Popen(["wrk", "-t1", "-c8", "-d600s", "--timeout", "5s", url], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        try:
            result = run()
        finally:
            wrk.send_signal(2)  # wrk prints its summary on SIGINT
            output = wrk.communicate(timeout=30)[0]
        load = parse_wrk(output, latency=False)
        result["wrk"] = {"requests": load["requests"], "non2xx": load["non2xx"], "socket_errors": load["socket_errors"]}
        return result

    def run(self):
        results = {}
        try:
            self.start_sasha()
            self.start_nginx()
            swaps = self.args.swaps
            results["sasha idle"] = self.sasha_swaps(swaps)
            results["nginx idle"] = self.nginx_swaps(swaps)
            results["sasha under load"] = self.under_load(f"http://{VIP}:{VIP_PORT}/index.html", lambda: self.sasha_swaps(swaps))
            results["nginx under load"] = self.under_load(f"http://{NGINX}:{NGINX_PORT}/index.html", lambda: self.nginx_swaps(swaps))
        finally:
            self.processes.stop_all()
        return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swaps", type=int, default=20, help="changes per front end and condition")
    parser.add_argument("--sasha", default=os.path.join(ROOT, ".build/release/sasha"))
    parser.add_argument("--plugins", default=os.path.join(ROOT, ".build/release"))
    args = parser.parse_args()
    results = Bench(args).run()
    print(json.dumps(results, indent=2))
    print()
    print("| front end, condition | live (median) | p90 | max | command wall time (median) | wrk errors / non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, result in results.items():
        live = result["live"]
        wall = result.get("command", {}).get("median")
        load = result.get("wrk")
        errors = f"{sum(load['socket_errors'].values())} / {load['non2xx']} of {load['requests']}" if load else "-"
        print(f"| {name} | {live['median']:.1f} ms | {live['p90']:.1f} ms | {live['max']:.1f} ms | "
              f"{f'{wall:.1f} ms' if wall else '-'} | {errors} |")


if __name__ == "__main__":
    main()
