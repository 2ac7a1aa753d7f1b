#!/usr/bin/env bash
# Test hosts for the L4 strategies: network namespaces joined by veth pairs to Linux bridges that
# live in a namespace of their own, so nothing touches the root namespace's links. Root only.
# See README.md in this folder.
#
#   lab.sh up [--prefix P] [--topology one|two]   build the hosts, print and write lab.env
#   lab.sh down [--prefix P]                      remove everything (idempotent)
#   lab.sh status [--prefix P]                    hosts, addresses, running members
#   lab.sh exec [--prefix P] HOST CMD...          run CMD in HOST's namespace
#   lab.sh start [--prefix P] CONFIG              sasha run --config CONFIG --node ADDRESS per member
#   lab.sh stop [--prefix P]                      stop the members
set -Eeuo pipefail   # -E: the ERR trap that undoes a failed `up` also fires in functions

PREFIX=${SASHA_LAB_PREFIX:-sasha}
TOPOLOGY=two
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SASHA=${SASHA:-$ROOT/.build/debug/sasha}

die() { echo "lab.sh: $*" >&2; exit 1; }

command=${1:-}
[[ -n "$command" ]] || die "usage: lab.sh up|down|status|exec|start|stop [--prefix P] [--topology one|two] ..."
shift
args=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --prefix) PREFIX=${2:?--prefix needs a value}; shift 2 ;;
        --topology) TOPOLOGY=${2:?--topology needs one or two}; shift 2 ;;
        *) args+=("$@"); break ;;
    esac
done
[[ "$PREFIX" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$ ]] || die "prefix '$PREFIX': letters, digits, _ . - only"
[[ "$TOPOLOGY" == one || "$TOPOLOGY" == two ]] || die "topology '$TOPOLOGY': one or two"
LAB=/tmp/sasha-lab-$PREFIX
BRIDGES=$PREFIX-bridges   # the namespace that holds the bridges and the host-side veth ends

ns() { echo "$PREFIX-$1"; }

# MACs are predictable so a frame's dump reads easily: 02:5a:00:00:HOST:INTERFACE.
# "far" is no host of `up`: tests that need a host behind the client (a narrow link for path MTU
# discovery) make it, and `down` removes it with the rest.
declare -A HOST_NUMBER=([client]=10 [d1]=1 [d2]=2 [s1]=11 [s2]=12 [s3]=13 [router]=253 [far]=30)
mac() { printf '02:5a:00:00:%02x:%02x' "${HOST_NUMBER[$1]}" "$2"; }

# One host interface: a veth whose host end is HOST's INTERFACE and whose other end is on BRIDGE.
attach() {  # host interface-number bridge address/len
    local host=$1 number=$2 bridge=$3 address=$4 port="$1-$3"
    ip -n "$BRIDGES" link add "$port" type veth peer name "eth$number" netns "$(ns "$host")"
    ip -n "$(ns "$host")" link set "eth$number" address "$(mac "$host" "$number")"
    ip -n "$BRIDGES" link set "$port" master "$bridge" up
    ip -n "$(ns "$host")" addr add "$address" dev "eth$number"
    ip -n "$(ns "$host")" link set "eth$number" up
    # veth offloads TX checksums: captured frames would carry partial TCP checksums (DESIGN.md).
    ip netns exec "$BRIDGES" ethtool -K "$port" tx off >/dev/null
    ip netns exec "$(ns "$host")" ethtool -K "eth$number" tx off >/dev/null
    ENV+=("LAB_${host}_eth${number}=${address%/*}" "LAB_${host}_eth${number}_MAC=$(mac "$host" "$number")")
}

add_host() {  # host
    ip netns add "$(ns "$1")"
    ip -n "$(ns "$1")" link set lo up
    ENV+=("LAB_${1}_NS=$(ns "$1")")
}

add_bridge() {  # name
    ip -n "$BRIDGES" link add "$1" type bridge stp_state 0 forward_delay 0
    ip -n "$BRIDGES" link set "$1" up
}

up() {
    command -v ethtool >/dev/null || die "ethtool is missing: apt-get install -y ethtool"
    [[ $EUID -eq 0 ]] || die "the lab needs root (network namespaces)"
    if ip netns list | grep -q "^$BRIDGES\b"; then die "a lab with prefix $PREFIX exists: lab.sh down --prefix $PREFIX"; fi
    trap 'echo "lab.sh: up failed; removing the partial lab" >&2; down >/dev/null 2>&1' ERR
    mkdir -p "$LAB"
    ENV=("LAB_PREFIX=$PREFIX" "LAB_TOPOLOGY=$TOPOLOGY" "LAB_DIR=$LAB")
    ip netns add "$BRIDGES"
    ip -n "$BRIDGES" link set lo up
    # With br_netfilter loaded (Docker loads it), bridged frames would also cross the bridge
    # namespace's iptables hooks: a sixth of the CPU a frame costs here. The lab's switches switch.
    if [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
        ip netns exec "$BRIDGES" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
            net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0
    fi
    local host
    if [[ $TOPOLOGY == one ]]; then
        HOSTS="client d1 d2 s1 s2 s3"; MEMBERS="d1 d2 s1 s2 s3"
        add_bridge lan
        for host in $HOSTS; do
            add_host "$host"
            attach "$host" 0 lan "198.18.0.${HOST_NUMBER[$host]}/24"
            ENV+=("LAB_${host}_ADDRESS=198.18.0.${HOST_NUMBER[$host]}")
        done
        ENV+=("LAB_VIP=198.18.0.100" "LAB_GATEWAY=198.18.0.254" "LAB_CLIENT_NETWORK=198.18.0.0/24")
    else
        HOSTS="client d1 d2 s1 s2 s3 router"; MEMBERS="d1 d2 s1 s2 s3"
        add_bridge front
        add_bridge back
        for host in $HOSTS; do add_host "$host"; done
        attach client 0 front 198.18.1.10/24
        ip -n "$(ns client)" route add 198.18.2.0/24 via 198.18.1.253
        ENV+=("LAB_client_ADDRESS=198.18.1.10")
        for host in d1 d2; do
            attach "$host" 0 front "198.18.1.${HOST_NUMBER[$host]}/24"
            attach "$host" 1 back "198.18.2.${HOST_NUMBER[$host]}/24"
            ENV+=("LAB_${host}_ADDRESS=198.18.2.${HOST_NUMBER[$host]}")
        done
        for host in s1 s2 s3; do
            attach "$host" 0 back "198.18.2.${HOST_NUMBER[$host]}/24"
            # The l4-2 direct-return path: replies to clients go through the router, not back
            # through the dispatcher.
            ip -n "$(ns "$host")" route add 198.18.1.0/24 via 198.18.2.253
            ENV+=("LAB_${host}_ADDRESS=198.18.2.${HOST_NUMBER[$host]}")
        done
        attach router 0 front 198.18.1.253/24
        attach router 1 back 198.18.2.253/24
        ip netns exec "$(ns router)" sysctl -qw net.ipv4.ip_forward=1
        ENV+=("LAB_router_ADDRESS=198.18.1.253")
        ENV+=("LAB_VIP=198.18.1.100" "LAB_GATEWAY=198.18.2.254" "LAB_CLIENT_NETWORK=198.18.1.0/24")
    fi
    ENV+=("LAB_HOSTS=\"$HOSTS\"" "LAB_MEMBERS=\"$MEMBERS\"")
    printf '%s\n' "${ENV[@]}" > "$LAB/lab.env"
    trap - ERR
    status
}

status() {
    [[ -f "$LAB/lab.env" ]] || { echo "no lab with prefix $PREFIX (lab.sh up --prefix $PREFIX)"; return 0; }
    # shellcheck disable=SC1091
    source "$LAB/lab.env"
    echo "lab $PREFIX, topology $LAB_TOPOLOGY, VIP $LAB_VIP (no host has it), gateway $LAB_GATEWAY, files in $LAB"
    local host variable pid state
    for host in $LAB_HOSTS; do
        local line; line=$(printf '  %-7s %-16s' "$host" "$(ns "$host")")
        for variable in $(compgen -v "LAB_${host}_eth" | grep -v _MAC); do
            line+=" ${variable#LAB_${host}_}=${!variable} ($(eval echo "\$${variable}_MAC"))"
        done
        state=""
        if [[ -f "$LAB/$host.pid" ]]; then
            pid=$(<"$LAB/$host.pid")
            if kill -0 "$pid" 2>/dev/null; then state="  sasha pid $pid"; else state="  sasha exited (see $LAB/$host.log)"; fi
        fi
        echo "$line$state"
    done
    echo "  members (ring on their LAB_<host>_ADDRESS): $LAB_MEMBERS"
}

stop_members() {
    local file pid
    for file in "$LAB"/*.pid; do
        [[ -f "$file" ]] || continue
        pid=$(<"$file")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        rm -f "$file"
    done
}

down() {
    stop_members
    local name pid
    # Every namespace a lab of this prefix can have, including what a failed `up` left behind
    # (by exact name: prefix "sasha" must not take prefix "sasha-t1"'s namespaces).
    local wanted=" $BRIDGES $(for name in "${!HOST_NUMBER[@]}"; do echo -n "$(ns "$name") "; done)"
    for name in $(ip netns list | awk '{print $1}'); do
        [[ "$wanted" == *" $name "* ]] || continue
        for pid in $(ip netns pids "$name" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$name" 2>/dev/null || true
    done
    rm -f "$LAB/lab.env"
    rmdir "$LAB" 2>/dev/null || true   # kept if it holds member logs
    echo "lab $PREFIX removed"
}

lab_env() {
    [[ -f "$LAB/lab.env" ]] || die "no lab with prefix $PREFIX: lab.sh up --prefix $PREFIX"
    # shellcheck disable=SC1091
    source "$LAB/lab.env"
}

exec_in() {
    [[ ${#args[@]} -ge 2 ]] || die "usage: lab.sh exec [--prefix P] HOST CMD..."
    lab_env
    local host=${args[0]}
    [[ " $LAB_HOSTS " == *" $host "* ]] || die "no host $host in lab $PREFIX (hosts: $LAB_HOSTS)"
    exec ip netns exec "$(ns "$host")" "${args[@]:1}"
}

start() {
    [[ ${#args[@]} -eq 1 ]] || die "usage: lab.sh start [--prefix P] CONFIG"
    lab_env
    local config; config=$(realpath "${args[0]}")
    [[ -x "$SASHA" ]] || die "no sasha at $SASHA: swift build, or set SASHA=path"
    # The lab's configs name this key: a ring off loopback may not run without one.
    [[ -f /tmp/sasha-lab.key ]] || "$SASHA" keygen --out /tmp/sasha-lab.key >/dev/null
    local host address variable
    for host in $LAB_MEMBERS; do
        variable="LAB_${host}_ADDRESS"; address=${!variable}
        # Run from the package root, where configs' relative paths (plugins, www) point.
        (cd "$ROOT" && exec ip netns exec "$(ns "$host")" "$SASHA" run --config "$config" --node "$address") \
            >"$LAB/$host.log" 2>&1 &
        echo $! > "$LAB/$host.pid"
        echo "started $host ($address), log $LAB/$host.log"
    done
}

case "$command" in
    up) up ;;
    down) down ;;
    status) status ;;
    exec) exec_in ;;
    start) start ;;
    stop) lab_env; stop_members; echo "members stopped" ;;
    *) die "unknown command $command: up, down, status, exec, start or stop" ;;
esac
