#!/usr/bin/env bash
# CPU per TRC triage page, split by process, for comparing builds in turn on a noisy machine:
# one instance on the million `bench_queue` grew (and kept: BENCH_KEEP=1), wrk at 16
# connections after a 5 s warm-up, each process's CPU read from /proc before and after.
#   bench/page_cpu.sh --pg postgres://USER:PASS@127.0.0.1:5433/tanggap_bench_queue \
#     [--seconds 8] BINARY [BINARY…]
# Each binary is run once per round, the rounds alternating (BENCH_ROUNDS, default 3); compare
# medians of each column. Needs wrk (`apt-get install wrk`).
set -euo pipefail
cd "$(dirname "$0")/.."
url="" secs=8
while [ $# -gt 0 ]; do
    case "$1" in
        --pg) url=$2; shift 2 ;;
        --seconds) secs=$2; shift 2 ;;
        *) break ;;
    esac
done
[ -n "$url" ] && [ $# -gt 0 ] || { echo "usage: $0 --pg URL [--seconds N] BINARY…" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[demo]\nseed = false\n[log]\nlevel = "warn"\n[mail]\nfile_dir = "%s/mail"\n[server]\nbind = "127.0.0.1:%s"\n' "$dir" "$port" > "$dir/o.toml"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
page="http://127.0.0.1:$port/api/v1/queues/triage?limit=50"
ticks_pg() { # CPU ticks of every PostgreSQL process on the machine
    local t=0 p
    for p in $(pgrep -u postgres postgres); do
        t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
    done
    echo "$t"
}
ticks_all() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
one() { # binary
    DATABASE_URL=$url TANGGAP_CONFIG="$dir/o.toml" "$1" serve > "$dir/log" 2>&1 &
    local pid=$!
    until curl -sf -o /dev/null "127.0.0.1:$port/readyz"; do
        kill -0 "$pid" 2> /dev/null || { echo "$1 did not start:" >&2; cat "$dir/log" >&2; exit 1; }
        sleep 0.1
    done
    local token
    token=$(curl -s "127.0.0.1:$port/api/v1/auth/token" -H 'content-type: application/json' \
        -d '{"email":"trc@bench.id","password":"bench-password-2026"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    wrk -t2 -c16 -d5s -H "authorization: Bearer $token" "$page" > /dev/null
    local pg0 sv0 all0 pg1 sv1 all1
    pg0=$(ticks_pg); sv0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); all0=$(ticks_all)
    wrk -t2 -c16 -d"${secs}s" --latency -H "authorization: Bearer $token" "$page" > "$dir/wrk"
    pg1=$(ticks_pg); sv1=$(awk '{print $14 + $15}' "/proc/$pid/stat"); all1=$(ticks_all)
    kill -TERM "$pid"; wait "$pid" || true
    python3 - "$1" "$dir/wrk" $((pg1 - pg0)) $((sv1 - sv0)) $((all1 - all0)) <<'PY'
import re, sys, os
name, wrk, pg, sv, all_ = sys.argv[1], open(sys.argv[2]).read(), *map(int, sys.argv[3:])
hz = os.sysconf("SC_CLK_TCK")
n = int(re.search(r"(\d+) requests in", wrk).group(1))
lat = dict(re.findall(r"(50|99)%\s+(\S+)", wrk))
us = lambda t: t / hz / n * 1e6
print(f"{name}: {n} pages, p50 {lat['50']} p99 {lat['99']}; CPU per page µs: "
      f"machine {us(all_):.0f}, postgres {us(pg):.0f}, service {us(sv):.0f}")
PY
}
for _ in $(seq "${BENCH_ROUNDS:-3}"); do
    for b in "$@"; do one "$b"; done
done
