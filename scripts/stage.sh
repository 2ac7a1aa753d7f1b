#!/usr/bin/env bash
# One stage of `make test`, timed: runs the command and prints "== stage NAME: N s (ok)", so that
# CI's log says where its minutes go (issue 19: CI under 15 minutes).
name=$1
shift
start=$(date +%s)
status=0
"$@" || status=$?
echo "== stage $name: $(( $(date +%s) - start )) s ($([ "$status" = 0 ] && echo ok || echo "failed, exit $status"))"
exit "$status"
