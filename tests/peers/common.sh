# shellcheck shell=bash
# Shared shell helpers for the test-peer launchers in tests/peers/ (synapse.sh, smtp.sh,
# dovecot.sh). Sourced, not run:
#
#   HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
#   . "$HERE/common.sh"
#
# Defines no commands and starts nothing by itself. Messages go to stderr, prefixed with the
# name of the launcher ($PROG, e.g. "smtp.sh: ..."). The launcher sets `set -euo pipefail`.
#
# Environment: VOISINAGE_PEERS_DIR (default $HOME/.cache/voisinage-peers), for venvs and locks.

PEERS_DIR=${VOISINAGE_PEERS_DIR:-$HOME/.cache/voisinage-peers}
PROG=${0##*/}

# ---------------------------------------------------------------------------- messages

log() { echo "$PROG: $*" >&2; }
die() { echo "$PROG: $*" >&2; exit 1; }

# die_tail LINES WORD... -- FILE...: the message WORD... (joined by spaces, like echo), then the
# last LINES lines of each FILE, then exit 1.
die_tail() {
    local lines=$1 msg=() f
    shift
    while (($#)) && [[ $1 != -- ]]; do msg+=("$1"); shift; done
    (($#)) && shift
    echo "$PROG: ${msg[*]}" >&2
    for f in "$@"; do
        tail -n "$lines" "$f" >&2 2>/dev/null || true
    done
    exit 1
}

# Usage: the launcher's header comment from its second line through its last
# "#   tests/peers/..." command line, without the "# ". Exit 2.
usage() {
    awk 'NR == 1 { next }
         NR > 3 && !/^#   tests\/peers\// { exit }
         { sub(/^# ?/, ""); print }' "$0" >&2
    exit 2
}

# ---------------------------------------------------------------------------- install

# install_locked NAME CHECK INSTALL: unless the command CHECK succeeds, run INSTALL while holding
# $PEERS_DIR/.NAME-install.lock (parallel tests may all call install at once; the one that waited
# for the lock finds CHECK true and does nothing).
install_locked() {
    local name=$1 check=$2 install=$3
    "$check" && return 0
    mkdir -p "$PEERS_DIR"
    exec 9>"$PEERS_DIR/.$name-install.lock"
    flock 9
    if "$check"; then exec 9>&-; return 0; fi
    "$install"
    exec 9>&-
}

# A venv counts as installed only when its marker holds the same pip spec (a half-done install,
# or one with another spec, is redone) and MODULE imports.
VENV_MARKER=.voisinage-installed

# venv_ok VENV SPEC MODULE
venv_ok() {
    local venv=$1 spec=$2 module=$3
    [[ -f $venv/$VENV_MARKER && $(cat "$venv/$VENV_MARKER") == "$spec" && -x $venv/bin/python ]] \
        && "$venv/bin/python" -c "import $module" 2>/dev/null
}

# venv_mark VENV SPEC: record a finished install.
venv_mark() { printf '%s' "$2" >"$1/$VENV_MARKER"; }

# venv_python PY: print a python that can create venvs: PY, after installing python3-venv with
# apt-get if PY lacks venv/ensurepip, or Debian's /usr/bin/python3 when that did not fix PY
# (a pyenv python, ...). Dies when there is none.
venv_python() {
    local py=$1
    if "$py" -c 'import venv, ensurepip' 2>/dev/null; then
        echo "$py"
        return 0
    fi
    log "$py cannot create venvs (venv/ensurepip missing): installing python3-venv with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends python3-venv >&2
    if "$py" -c 'import venv, ensurepip' 2>/dev/null; then
        echo "$py"
    elif [[ $py != /usr/bin/python3 ]] && /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
        echo /usr/bin/python3
    else
        die "$py still cannot create a venv after installing python3-venv"
    fi
}

# venv_install VENV PY SPEC: a fresh VENV made with PY, then pip install SPEC into it.
# Returns pip's status (the caller says what to try instead); does not write the marker.
venv_install() {
    local venv=$1 py=$2 spec=$3
    rm -rf "$venv"
    "$py" -m venv "$venv" >&2 || die "$py -m venv $venv failed"
    "$venv/bin/pip" install -q --disable-pip-version-check "$spec" >&2
}

# ---------------------------------------------------------------------------- processes

# A process is alive when it exists and is not a zombie. Zombies matter: once the launching
# shell has exited, the server is reparented to pid 1, which may reap it only after a delay
# (about 1.5 s here), and kill -0 succeeds on a zombie.
alive() {
    local st
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) && [[ -n $st && $st != Z ]]
}

# pid_matching PIDFILE STRING: print the pid in PIDFILE if that process is alive and its
# command line (arguments joined by spaces, with a trailing space) contains STRING. Guards
# against a stale pid file and pid reuse.
pid_matching() {
    local pidfile=$1 match=$2 pid
    [[ -f $pidfile ]] || return 1
    pid=$(cat "$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$match" || return 1
    echo "$pid"
}

# stop_pid PID: TERM, and KILL if still alive after 10 s; returns once PID is gone.
stop_pid() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        alive "$pid" || return 0
        sleep 0.1
    done
    log "pid $pid still alive 10 s after TERM: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while alive "$pid"; do sleep 0.1; done
}

# start_watchdog WATCH_PID PID: when WATCH_PID is set (the launcher's *_WATCH_PID, e.g. the test
# process), TERM PID once WATCH_PID is gone: a safety net for tests that die without calling
# stop. The watchdog ends by itself when PID ends; it checks once a second (cheap).
start_watchdog() {
    local watch=$1 pid=$2
    [[ -n $watch ]] || return 0
    (
        while alive "$watch" && alive "$pid"; do
            sleep 1
        done
        alive "$pid" && kill -TERM "$pid" 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
}

# wait_ready PID TIMEOUT PROBE [ARG...]: run PROBE every 0.1 s until it succeeds (return 0).
# Returns 1 if PID exits first, 2 after TIMEOUT seconds (PID still running).
wait_ready() {
    local pid=$1 timeout=$2 deadline
    shift 2
    deadline=$((SECONDS + timeout))
    while :; do
        "$@" && return 0
        alive "$pid" || return 1
        ((SECONDS < deadline)) || return 2
        sleep 0.1
    done
}

# ---------------------------------------------------------------------------- ports and dirs

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# die_if_port_used PORT
die_if_port_used() {
    if port_open "$1"; then
        die "port 127.0.0.1:$1 is already in use"
    fi
}

# wait_port_closed PORT: up to 10 s, then die.
wait_port_closed() {
    local i
    for ((i = 0; i < 100; i++)); do
        port_open "$1" || return 0
        sleep 0.1
    done
    die "port 127.0.0.1:$1 still open after stopping"
}

# greeting PORT BYE: print the first line 127.0.0.1:PORT sends within 2 s, then send BYE
# (e.g. "QUIT") so the server logs a clean disconnect. Fails when nothing answers.
greeting() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1" && IFS= read -r -t 2 l <&3 && printf '%s' "$l" \
        && printf '%s\r\n' "$2" >&3) 2>/dev/null
}

# abs_dir DIR: create DIR if needed and print its absolute physical path.
abs_dir() { mkdir -p "$1" && (cd "$1" && pwd -P); }
