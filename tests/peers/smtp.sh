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

PEERS_DIR=${VOISINAGE_PEERS_DIR:-$HOME/.cache/voisinage-peers}
VENV=$PEERS_DIR/smtp-venv
SPEC=${SMTP_VERSION_SPEC:-aiosmtpd==1.4.*}
READY_TIMEOUT=${SMTP_READY_TIMEOUT:-20}
MARKER=$VENV/.voisinage-installed   # contains the pip spec it was installed with
SINK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/smtp_sink.py

die() { echo "smtp.sh: $*" >&2; exit 1; }
log() { echo "smtp.sh: $*" >&2; }

usage() {
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# ---------------------------------------------------------------------------- install

venv_ok() {
    [[ -f $MARKER && $(cat "$MARKER") == "$SPEC" && -x $VENV/bin/python ]] \
        && "$VENV/bin/python" -c 'import aiosmtpd.smtp' 2>/dev/null
}

ensure_python_venv() {
    local py=$1
    if "$py" -c 'import venv, ensurepip' 2>/dev/null; then
        return 0
    fi
    log "$py cannot create venvs (venv/ensurepip missing): installing python3-venv with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends python3-venv >&2
    "$py" -c 'import venv, ensurepip' 2>/dev/null && return 0
    # A python outside Debian's (pyenv, ...) is not fixed by python3-venv: fall back to Debian's.
    if [[ $py != /usr/bin/python3 ]] && /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
        return 10
    fi
    die "$py still cannot create a venv after installing python3-venv"
}

cmd_install() {
    venv_ok && return 0
    mkdir -p "$PEERS_DIR"
    # Serialise concurrent installs (parallel tests calling install at once).
    exec 9>"$PEERS_DIR/.smtp-install.lock"
    flock 9
    if venv_ok; then exec 9>&-; return 0; fi

    local py=${SMTP_PYTHON:-python3} rc=0
    ensure_python_venv "$py" || rc=$?
    [[ $rc == 10 ]] && py=/usr/bin/python3

    log "installing $SPEC into $VENV (about 12 s)"
    rm -rf "$VENV"
    "$py" -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q --disable-pip-version-check "$SPEC" >&2 \
        || die "pip install $SPEC failed (try SMTP_VERSION_SPEC=aiosmtpd for the latest)"
    "$VENV/bin/python" -c 'import aiosmtpd.smtp' || die "aiosmtpd does not import after install"
    printf '%s' "$SPEC" >"$MARKER"
    log "installed aiosmtpd $("$VENV/bin/python" -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
    exec 9>&-
}

# ---------------------------------------------------------------------------- helpers

# A process is alive when it exists and is not a zombie. Zombies matter here: once the launching
# shell has exited, the sink is reparented to pid 1, which may reap it only after a delay, and
# kill -0 succeeds on a zombie.
alive() {
    local st
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [[ -n $st && $st != Z ]]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when 127.0.0.1:PORT answers with an SMTP "220" greeting within 2 s.
smtp_greets() {
    local line
    line=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 l <&3 && printf '%s' "$l" \
             && printf 'QUIT\r\n' >&3) 2>/dev/null) || return 1
    [[ $line == 220* ]]
}

# pid from DIR/smtp.pid if that process is alive and is our sink (guards pid reuse).
running_pid() {
    local dir=$1 pid
    [[ -f $dir/smtp.pid ]] || return 1
    pid=$(cat "$dir/smtp.pid")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "smtp_sink.py $dir " || return 1
    echo "$pid"
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }

launch() {
    local dir=$1 port pid deadline
    port=$(cat "$dir/port")
    if running_pid "$dir" >/dev/null; then
        die "already running in $dir (pid $(cat "$dir/smtp.pid")); use stop or restart"
    fi
    port_open "$port" && die "port 127.0.0.1:$port is already in use"
    echo "---- $(date '+%F %T') starting" >>"$dir/smtp.log"
    # All fds redirected so a caller reading our stdout through a pipe is not held open.
    "$VENV/bin/python" -u "$SINK" "$dir" </dev/null >>"$dir/smtp.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/smtp.pid"
    if [[ -n ${SMTP_WATCH_PID:-} ]]; then
        # Safety net for tests that die without calling stop: TERM the sink once the watched
        # process is gone. Ends by itself when the sink ends. Checks once a second (cheap).
        (
            while alive "$SMTP_WATCH_PID" && alive "$pid"; do
                sleep 1
            done
            alive "$pid" && kill -TERM "$pid" 2>/dev/null
        ) </dev/null >/dev/null 2>&1 &
    fi
    deadline=$((SECONDS + READY_TIMEOUT))
    while :; do
        smtp_greets "$port" && break
        if ! alive "$pid"; then
            rm -f "$dir/smtp.pid"
            echo "smtp.sh: the SMTP sink exited during startup; last lines of $dir/smtp.log:" >&2
            tail -n 30 "$dir/smtp.log" >&2
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            echo "smtp.sh: SMTP sink not ready after ${READY_TIMEOUT}s (pid $pid, still running);" \
                 "last lines of $dir/smtp.log:" >&2
            tail -n 30 "$dir/smtp.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "ready smtp://127.0.0.1:$port"
}

# ---------------------------------------------------------------------------- commands

cmd_start() {
    [[ $# == 2 || $# == 4 ]] || usage
    local dir port=$2
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
    dir=$(abs_dir "$1")
    [[ -e $dir/port ]] && die "$dir already holds an SMTP sink; use restart to reuse it, or remove it first"
    port_open "$port" && die "port 127.0.0.1:$port is already in use"
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
    local dir pid port i
    dir=$(abs_dir "$1")
    port=$(cat "$dir/port" 2>/dev/null || true)
    if pid=$(running_pid "$dir"); then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            log "pid $pid still alive 10 s after TERM: KILL"
            kill -KILL "$pid" 2>/dev/null || true
            while alive "$pid"; do sleep 0.1; done
        fi
    fi
    rm -f "$dir/smtp.pid"
    if [[ -n $port ]]; then
        for ((i = 0; i < 100; i++)); do
            port_open "$port" || return 0
            sleep 0.1
        done
        die "port 127.0.0.1:$port still open after stopping"
    fi
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
