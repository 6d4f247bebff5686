#!/usr/bin/env bash
# The whole test suite: installs and starts what the tests need, then runs them.
# README.md's test command; .ci/run calls it too.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }

# Python 3 runs the corpus scorer (../shared/corpus/score.py).
if ! need python3; then
  echo "installing python3 (the corpus scorer needs it)"
  apt-get update -qq && apt-get install -y -qq python3 >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --all-targets
# The scorer's figures with the release binary, for the log (the thresholds are checked by
# tests/daemon/parse_corpus.rs above).
cargo build --release --locked --bin voisinage
python3 ../shared/corpus/score.py ../shared/corpus/dev.jsonl --run "target/release/voisinage parse"
