#!/usr/bin/env bash
# Launcher for an SMTP sink (aiosmtpd from PyPI, tests/peers/smtp_sink.py) used as a test peer.
#
#   tests/peers/smtp.sh install
#   tests/peers/smtp.sh start   DIR PORT [USER PASS]  # prints "ready smtp://127.0.0.1:PORT"
#   tests/peers/smtp.sh stop    DIR
#   tests/peers/smtp.sh restart DIR                   # same port, credentials and maildir
#   tests/peers/smtp.sh status  DIR                   # exit 0 when running and answering
#   tests/peers/smtp.sh count   DIR                   # number of messages in DIR/maildir/new
#
# Listens on 127.0.0.1:PORT only, plain SMTP (no TLS), SMTPUTF8 and 8BITMIME, SIZE 10 MiB.
# Each message is stored as one file in DIR/maildir/new: the DATA bytes as received, after two
# added header lines "X-Envelope-To: a, b" and "X-Envelope-From: c". With USER PASS: EHLO offers
# "AUTH LOGIN PLAIN" and MAIL before AUTH gets 530. While DIR/refuse exists every MAIL FROM gets
# "451 4.3.0 try again later" (or the first line of DIR/refuse if not empty).
# See tests/peers/mail-peers-README.md.
#
# Environment:
#   VOISINAGE_PEERS_DIR   cache dir for the venv (default $HOME/.cache/voisinage-peers)
#   SMTP_PYTHON           python used to create the venv (default python3)
#   SMTP_VERSION_SPEC     pip requirement (default aiosmtpd==1.4.*)
#   SMTP_MAX_SIZE         SIZE limit in bytes, read by start (default 10485760)
#   SMTP_READY_TIMEOUT    seconds to wait for the greeting (default 20)
#   SMTP_WATCH_PID        if set (start/restart): the sink is sent TERM when this pid exits
#                         (e.g. the test process), so a crashed test does not leak it
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$HERE/common.sh"

VENV=$PEERS_DIR/smtp-venv
SPEC=${SMTP_VERSION_SPEC:-aiosmtpd==1.4.*}
READY_TIMEOUT=${SMTP_READY_TIMEOUT:-20}
SINK=$HERE/smtp_sink.py

# ---------------------------------------------------------------------------- install

installed() { venv_ok "$VENV" "$SPEC" aiosmtpd.smtp; }

install_aiosmtpd() {
    local py
    py=$(venv_python "${SMTP_PYTHON:-python3}")
    log "installing $SPEC into $VENV (about 12 s)"
    venv_install "$VENV" "$py" "$SPEC" \
        || die "pip install $SPEC failed (try SMTP_VERSION_SPEC=aiosmtpd for the latest)"
    "$VENV/bin/python" -c 'import aiosmtpd.smtp' || die "aiosmtpd does not import after install"
    venv_mark "$VENV" "$SPEC"
    log "installed aiosmtpd $("$VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
}

cmd_install() { install_locked smtp installed install_aiosmtpd; }

# ---------------------------------------------------------------------------- helpers

# True when 127.0.0.1:PORT answers with an SMTP "220" greeting within 2 s.
smtp_greets() { [[ $(greeting "$1" QUIT) == 220* ]]; }

# pid from DIR/smtp.pid if that process is alive and is this DIR's sink.
running_pid() { pid_matching "$1/smtp.pid" "smtp_sink.py $1 "; }

launch() {
    local dir=$1 logf=$1/smtp.log port pid rc=0
    port=$(cat "$dir/port")
    if running_pid "$dir" >/dev/null; then
        die "already running in $dir (pid $(cat "$dir/smtp.pid")); use stop or restart"
    fi
    die_if_port_used "$port"
    echo "---- $(date '+%F %T') starting" >>"$logf"
    # All fds redirected so a caller reading our stdout through a pipe is not held open.
    "$VENV/bin/python" -u "$SINK" "$dir" </dev/null >>"$logf" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/smtp.pid"
    start_watchdog "${SMTP_WATCH_PID:-}" "$pid"
    wait_ready "$pid" "$READY_TIMEOUT" smtp_greets "$port" || rc=$?
    case $rc in
        1) rm -f "$dir/smtp.pid"
           die_tail 30 "the SMTP sink exited during startup; last lines of $logf:" -- "$logf" ;;
        2) die_tail 30 "SMTP sink not ready after ${READY_TIMEOUT}s (pid $pid, still running);" \
               "last lines of $logf:" -- "$logf" ;;
    esac
    echo "ready smtp://127.0.0.1:$port"
}

# ---------------------------------------------------------------------------- commands

cmd_start() {
    [[ $# == 2 || $# == 4 ]] || usage
    local dir port=$2
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
    dir=$(abs_dir "$1")
    [[ -e $dir/port ]] && die "$dir already holds an SMTP sink; use restart to reuse it, or remove it first"
    die_if_port_used "$port"
    cmd_install
    mkdir -p "$dir/maildir/tmp" "$dir/maildir/new" "$dir/maildir/cur"
    echo "$port" >"$dir/port"
    echo "${SMTP_MAX_SIZE:-10485760}" >"$dir/max_size"
    rm -f "$dir/credentials"
    if [[ $# == 4 ]]; then
        [[ $3 != *$'\n'* && $4 != *$'\n'* ]] || die "USER and PASS must not contain newlines"
        (umask 077; printf '%s\n%s\n' "$3" "$4" >"$dir/credentials")
    fi
    launch "$dir"
}

cmd_restart() {
    [[ $# == 1 ]] || usage
    local dir
    dir=$(abs_dir "$1")
    [[ -f $dir/port ]] || die "$dir holds no SMTP sink (use start)"
    cmd_stop "$dir"
    cmd_install
    launch "$dir"
}

cmd_stop() {
    [[ $# == 1 ]] || usage
    local dir pid port
    dir=$(abs_dir "$1")
    port=$(cat "$dir/port" 2>/dev/null || true)
    if pid=$(running_pid "$dir"); then
        stop_pid "$pid"
    fi
    rm -f "$dir/smtp.pid"
    [[ -z $port ]] || wait_port_closed "$port"
}

cmd_status() {
    [[ $# == 1 ]] || usage
    local dir pid port
    dir=$(abs_dir "$1")
    port=$(cat "$dir/port" 2>/dev/null) || { echo "no SMTP sink in $dir"; return 1; }
    if pid=$(running_pid "$dir") && smtp_greets "$port"; then
        echo "running pid $pid smtp://127.0.0.1:$port"
    else
        echo "stopped"
        return 1
    fi
}

cmd_count() {
    [[ $# == 1 ]] || usage
    local dir=$1
    [[ -d $dir/maildir/new ]] || die "$dir/maildir/new does not exist"
    find "$dir/maildir/new" -mindepth 1 -maxdepth 1 -type f | wc -l
}

case ${1:-} in
    install) shift; [[ $# == 0 ]] || usage; cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    restart) shift; cmd_restart "$@" ;;
    status) shift; cmd_status "$@" ;;
    count) shift; cmd_count "$@" ;;
    *) usage ;;
esac
