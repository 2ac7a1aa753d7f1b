#!/usr/bin/env bash
# The ring on one machine: five members on 127.0.0.1-127.0.0.5 (examples/loopback.yaml), their
# view of the ring, then a kill -9 of the dispatcher and the survivors' new view. Run from the
# package root after `swift build` (make demo does both). Until the l7 strategy lands (issue 4) the
# members form the ring and elect a dispatcher but serve no HTTP yet.
set -euo pipefail
cd "$(dirname "$0")/.."
SASHA=${SASHA:-.build/debug/sasha}
CONFIG=examples/loopback.yaml
LOGS=$(mktemp -d /tmp/sasha-demo.XXXXXX)
declare -A PIDS

stop_all() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "stopped; member logs are in $LOGS"
}
trap stop_all EXIT

dispatcher() {
    "$SASHA" status --config "$CONFIG" --node "$1" --json 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["ring"]["dispatcher"] or "")' 2>/dev/null || true
}

wait_for_dispatcher() {  # $1: a member to ask, $2: a dispatcher that must not be named
    for _ in $(seq 100); do
        local named; named=$(dispatcher "$1")
        if [[ -n "$named" && "$named" != "${2:-}" ]]; then echo "$named"; return; fi
        sleep 0.1
    done
    echo "no dispatcher named; logs in $LOGS" >&2; exit 1
}

for i in 1 2 3 4 5; do
    "$SASHA" run --config "$CONFIG" --node "127.0.0.$i" 2>"$LOGS/127.0.0.$i.log" &
    PIDS[127.0.0.$i]=$!
done
first=$(wait_for_dispatcher 127.0.0.3)
sleep 0.3
echo "== five members on loopback, as 127.0.0.3 sees the ring"
"$SASHA" status --config "$CONFIG" --node 127.0.0.3
echo
echo "== kill -9 of the dispatcher, $first"
started=$(date +%s%N)
{ kill -9 "${PIDS[$first]}"; wait "${PIDS[$first]}"; } 2>/dev/null || true
unset "PIDS[$first]"
survivor=127.0.0.3; [[ "$first" == 127.0.0.3 ]] && survivor=127.0.0.4
second=$(wait_for_dispatcher "$survivor" "$first")
echo "$survivor names $second the new dispatcher after $(( ($(date +%s%N) - started) / 1000000 )) ms"
sleep 0.3
"$SASHA" status --config "$CONFIG" --node "$survivor" | head -12
echo
echo "== what the new dispatcher logged"
grep -E "fault|membership|role" "$LOGS/$second.log" | tail -4
