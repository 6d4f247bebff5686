#!/usr/bin/env bash
# The whole test suite: installs and starts what the tests need, then runs them.
# README.md's test command; .ci/run calls it too.
#
# Needs: a Rust toolchain; PostgreSQL (server binaries for `voisinage try`'s private cluster,
# and a server on 127.0.0.1:5432 for the integration tests, or VOISINAGE_TEST_DATABASE_URL);
# python3 (the corpus scorer, and Synapse from PyPI for the Matrix tests). Missing pieces are
# installed from Debian's packages and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing: $* (install it, or run as root so this script can)" >&2
    exit 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need python3 || apt_install python3
# The server binaries (initdb, pg_ctl) and contrib (btree_gin) come with Debian's postgresql.
if ! need pg_ctlcluster && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

export VOISINAGE_TEST_DATABASE_URL="${VOISINAGE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [[ "$VOISINAGE_TEST_DATABASE_URL" == postgres://postgres@127.0.0.1:5432/* ]]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "starting the local PostgreSQL cluster"
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$version" ]; then
      pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -n 1)" main >/dev/null
      version=$(ls /etc/postgresql | sort -V | tail -n 1)
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  # The tests connect as postgres over TCP without a password (trust), as on the CI machines.
  if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
    echo "cannot connect as postgres@127.0.0.1:5432 without a password: set VOISINAGE_TEST_DATABASE_URL" >&2
    exit 1
  fi
fi

# The Matrix tests start their own Synapse (tests/peers/synapse.sh); install it once here
# (a virtualenv under ~/.cache/voisinage-peers, about 35 s the first time).
need curl || apt_install curl ca-certificates
# Matrix's end-to-end encryption keeps its stores in SQLite (matrix-sdk's sqlite stores link the
# system library).
ls /usr/lib/*/libsqlite3.so /usr/lib/libsqlite3.so >/dev/null 2>&1 || apt_install libsqlite3-dev
tests/peers/synapse.sh install
# The email tests send through a real SMTP server (aiosmtpd from PyPI, tests/peers/smtp.sh).
tests/peers/smtp.sh install
# ... and read a real IMAP mailbox (Debian's dovecot-imapd, tests/peers/dovecot.sh).
tests/peers/dovecot.sh install
# The page and email screenshots (the municipal report, poll results, email renders) use headless
# Chromium: install it before the tests, not from inside one of them while others already need it.
need chromium || need chromium-browser || need google-chrome || apt_install chromium

cargo fmt --all -- --check
# The module graph and function sizes ARCHITECTURE.md promises.
python3 scripts/check-layout.py
cargo clippy --all-targets --locked -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked --all-targets 2>&1 | tee "$log"
# The parser's figures with the release binary, for the log (the thresholds are checked by
# tests/daemon/parse_corpus.rs above); and on the independent held-out set.
cargo build --release --locked --bin voisinage
python3 ../shared/corpus/score.py ../shared/corpus/dev.jsonl --run "target/release/voisinage parse"
python3 ../shared/corpus/score.py tests/data/holdout.jsonl --run "target/release/voisinage parse"

# One closing line for the whole suite.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s += $1} END {print s + 0}')
echo "voisinage: $passed passed, $failed failed"
