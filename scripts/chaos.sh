#!/usr/bin/env bash
# The chaos run of issue 19, by hand: two daemons relay a Telegram group (the Bot API fake) to
# its Matrix room (Synapse) and to an email subscriber (aiosmtpd) while one of them is killed
# with SIGKILL at random moments KILLS times; then every message is counted in the room and
# the mailbox. The test suite runs the same test with 6 kills.
#
#   scripts/chaos.sh [KILLS]      (default 1000: about 25 minutes)
#
# Needs what the test suite needs (PostgreSQL, Synapse and aiosmtpd installed by
# scripts/test.sh). Prints one line: messages, kills, lost, doubled and reordered per reader.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-1000}
CHAOS_KILLS=$kills cargo test --locked --test daemon -- chaos --nocapture --test-threads 1 2>&1 |
  grep -E '^chaos:|panicked|test result' || true
