#!/usr/bin/env bash
# A stage of `make test` that runs beside the others, on CPU they leave idle (issue 19: CI under
# 15 minutes). The lab and chaos suites spend most of their time waiting for real hosts, rings and
# timeouts; a build or the ring simulator (deterministic, virtual time) can use those cycles. It
# runs at the lowest priority the kernel has (SCHED_IDLE, and nice 19 where that is refused), so
# that a suite in the foreground never waits for it and its timing stays what it is when alone.
#
#   scripts/background.sh start [--normal] NAME COMMAND...
#                                                 start it; its output goes to .build/stages/NAME.log;
#                                                 --normal: at normal priority, for a suite that runs
#                                                 beside another on purpose
#   scripts/background.sh wait NAME               wait for it, print its output and its stage line,
#                                                 and exit with its status
#   scripts/background.sh stop                    end every stage still running (make test's exit)
set -euo pipefail
cd "$(dirname "$0")/.."
folder=.build/stages

case "${1:-}" in
    start)
        shift
        priority=idle
        if [[ ${1:-} == --normal ]]; then
            priority=normal
            shift
        fi
        name=$1
        shift
        mkdir -p "$folder"
        rm -f "$folder/$name.status"
        # setsid: its own session, so that stop ends the whole command (swift test and the
        # processes it starts) and a Ctrl-C of make reaches it too through stop.
        setsid bash -c '
            name=$1; folder=$2; priority=$3; shift 3
            start=$(date +%s)
            status=0
            if [[ $priority == normal ]]; then
                "$@" >"$folder/$name.log" 2>&1 || status=$?
            elif chrt --idle 0 true 2>/dev/null; then
                chrt --idle 0 nice -n 19 "$@" >"$folder/$name.log" 2>&1 || status=$?
            else
                nice -n 19 "$@" >"$folder/$name.log" 2>&1 || status=$?
            fi
            echo "$status $(( $(date +%s) - start ))" >"$folder/$name.status"
        ' background "$name" "$folder" "$priority" "$@" </dev/null &
        echo $! >"$folder/$name.pid"
        echo "== stage $name: started in the background ($priority priority)"
        ;;
    wait)
        name=$2
        waited=$(date +%s)
        while [[ ! -s "$folder/$name.status" ]]; do
            if ! kill -0 "$(cat "$folder/$name.pid")" 2>/dev/null && [[ ! -s "$folder/$name.status" ]]; then
                echo "== stage $name: ended without a status (killed?)"
                exit 1
            fi
            sleep 1
        done
        read -r status seconds <"$folder/$name.status"
        cat "$folder/$name.log"
        echo "== stage $name: $seconds s in the background, $(( $(date +%s) - waited )) s waited for ($([ "$status" = 0 ] && echo ok || echo "failed, exit $status"))"
        rm -f "$folder/$name.pid"
        exit "$status"
        ;;
    stop)
        shopt -s nullglob
        for pidfile in "$folder"/*.pid; do
            # The whole session: the compilers a build starts may sit in process groups of their own.
            pkill -TERM -s "$(cat "$pidfile")" 2>/dev/null || true
            rm -f "$pidfile"
        done
        ;;
    *)
        echo "usage: scripts/background.sh start [--normal] NAME COMMAND... | wait NAME | stop" >&2
        exit 2
        ;;
esac
