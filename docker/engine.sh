#!/usr/bin/env bash
# Start or stop a Docker engine on the standard socket (/var/run/docker.sock), so that plain
# `docker` commands work afterwards.
#
#   docker/engine.sh start   start dockerd unless an engine already answers; record that we did
#   docker/engine.sh stop    stop dockerd only if `start` started it (the marker file says so)
#
# The marker (.stack/dockerd.pid, the daemon's pid) is what separates "an engine this checkout
# started" from "the engine the machine already had": `stop` never touches the latter.
# Needs root (dockerd does): run as root or with password-less sudo (`sudo -n`).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
state="$here/.stack"
marker="$state/dockerd.pid"
log="$state/dockerd.log"
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo -n); fi

engine_answers() {
    "${sudo[@]}" docker version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start() {
    if engine_answers; then
        echo "docker engine: already running ($("${sudo[@]}" docker version --format '{{.Server.Version}}'))"
        return 0
    fi
    if ! command -v dockerd >/dev/null 2>&1; then
        echo "docker engine: dockerd is not installed (make docker-up installs Debian's docker.io)" >&2
        return 2
    fi
    if [ ${#sudo[@]} -gt 0 ] && ! sudo -n true 2>/dev/null; then
        echo "docker engine: starting dockerd needs root or password-less sudo" >&2
        return 2
    fi
    mkdir -p "$state"
    # setsid: the daemon must outlive make and the shell that started it. Started through sudo,
    # the socket's group is the caller's own, so that the caller's plain `docker` commands (the
    # tests, Compose) reach it without root.
    local group=()
    if [ ${#sudo[@]} -gt 0 ]; then group=(--group "$(id -gn)"); fi
    "${sudo[@]}" setsid dockerd --host=unix:///var/run/docker.sock "${group[@]}" >"$log" 2>&1 </dev/null &
    local pid=$!
    for _ in $(seq 1 120); do
        if engine_answers; then
            # $! is the daemon itself (setsid execs it when it is not a group leader), or the
            # sudo in front of it; either way killing it stops dockerd.
            echo "$pid" >"$marker"
            echo "docker engine: started dockerd (pid $pid, log $log)"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "docker engine: dockerd exited during start-up; last lines of $log:" >&2
            tail -n 20 "$log" >&2
            return 2
        fi
        sleep 0.5
    done
    echo "docker engine: dockerd did not answer within 60 s; see $log" >&2
    return 2
}

stop() {
    if [ ! -f "$marker" ]; then
        echo "docker engine: not started by docker-up, left running"
        return 0
    fi
    local pid
    pid=$(cat "$marker")
    if kill -0 "$pid" 2>/dev/null || "${sudo[@]}" kill -0 "$pid" 2>/dev/null; then
        "${sudo[@]}" kill -TERM "$pid"
        for _ in $(seq 1 60); do
            "${sudo[@]}" kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
    fi
    rm -f "$marker"
    echo "docker engine: stopped dockerd (pid $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
