#!/usr/bin/env bash
# Start-up time (process start → first 200 from /readyz) and idle RSS five seconds later, on a
# new database (migrations and demo data) and on a restart, for SQLite and (with --pg URL, a
# server where a database may be created) PostgreSQL.
#   cargo build --release --bin tanggap && bench/footprint.sh [--pg postgres://USER:PASS@127.0.0.1:5432/postgres]
# TANGGAP_BIN names another binary (the CI smoke run uses the debug one); FOOTPRINT_IDLE the
# seconds to wait before reading the idle RSS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${TANGGAP_BIN:-target/release/tanggap}
idle=${FOOTPRINT_IDLE:-5}
pg=""
[ "${1:-}" = "--pg" ] && pg="${2:-}"
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[database]\nurl = "sqlite://%s/t.db"\n[mail]\nfile_dir = "%s/mail"\n[server]\nbind = "127.0.0.1:%s"\n' "$dir" "$dir" "$port" > "$dir/o.toml"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"

measure() { # label, extra env...
    local label=$1; shift
    local start ready rss pid
    start=$(date +%s%N)
    env "$@" TANGGAP_CONFIG="$dir/o.toml" "$bin" serve >"$dir/log" 2>&1 &
    pid=$!
    until curl -s -o /dev/null "127.0.0.1:$port/readyz"; do sleep 0.01; done
    ready=$(date +%s%N)
    sleep "$idle"
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"; wait "$pid"
    printf '%-36s ready after %5d ms   idle RSS %6d kB\n' "$label" $(( (ready - start) / 1000000 )) "$rss"
}

measure "sqlite, new database (demo seeded)" TANGGAP_PROFILE=default
measure "sqlite, restart" TANGGAP_PROFILE=default
if [ -n "$pg" ]; then
    base=${pg%/*}
    psql -q "$pg" -c "DROP DATABASE IF EXISTS tanggap_footprint WITH (FORCE)" -c "CREATE DATABASE tanggap_footprint"
    measure "postgres, new database (demo seeded)" DATABASE_URL="$base/tanggap_footprint"
    measure "postgres, restart" DATABASE_URL="$base/tanggap_footprint"
    psql -q "$pg" -c "DROP DATABASE IF EXISTS tanggap_footprint WITH (FORCE)"
fi
rm -rf "$dir"
