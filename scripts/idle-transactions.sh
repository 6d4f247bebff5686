#!/usr/bin/env bash
# How much an idle daemon costs its database: starts `voisinage run` (console and email to
# files, nothing to send) on a fresh database, waits for it to settle, then counts the
# database's committed and rolled-back transactions over a window (pg_stat_database).
#
#   scripts/idle-transactions.sh [BINARY] [SECONDS]     (default target/debug/voisinage, 60)
#
# Needs PostgreSQL on 127.0.0.1:5432 as postgres without a password (as the test suite).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/voisinage}
window=${2:-60}
db="voisinage_idle_$$"
psql_() { psql -h 127.0.0.1 -U postgres -d postgres -Atc "$1"; }
psql_ "CREATE DATABASE $db" >/dev/null
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql_ "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# stdin stays open (the console channel reads it) until the daemon is stopped.
sleep $((window + 120)) | VOISINAGE__DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db" \
  VOISINAGE__GENERAL__DATA_DIR="$work" \
  VOISINAGE__HTTP__LISTEN="127.0.0.1:$port" \
  VOISINAGE__CHANNELS__EMAIL__ENABLED=true \
  VOISINAGE__CHANNELS__EMAIL__TRANSPORT=files \
  VOISINAGE__CHANNELS__EMAIL__FILES_DIR="$work/mail" \
  RUST_LOG=warn "$bin" run >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 1
done
sleep 15
count() { psql_ "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'"; }
before=$(count)
sleep "$window"
after=$(count)
n=$((after - before))
python3 -c "print(f'idle daemon: {$n} transactions in {$window} s = {$n / $window:.2f} per second')"
