#!/usr/bin/env bash
# Launcher for a real Matrix homeserver (Synapse, from PyPI) used as a test peer.
#
#   tests/peers/synapse.sh install
#   tests/peers/synapse.sh start    DIR PORT        # prints "ready http://127.0.0.1:PORT"
#   tests/peers/synapse.sh register DIR USER PASS [admin]
#   tests/peers/synapse.sh stop     DIR
#   tests/peers/synapse.sh restart  DIR             # same config, database, signing key, port
#   tests/peers/synapse.sh status   DIR             # exit 0 when running and answering
#
# server_name is "localhost" (user ids look like @bot:localhost). The server listens on
# 127.0.0.1:PORT only, client API (+ /_synapse/admin) only, no federation, SQLite database,
# every rc_* rate limit raised. See tests/peers/synapse-README.md for details and gotchas.
#
# Environment:
#   VOISINAGE_PEERS_DIR      cache dir for the venv (default $HOME/.cache/voisinage-peers)
#   SYNAPSE_PYTHON           python used to create the venv (default python3)
#   SYNAPSE_VERSION_SPEC     pip requirement (default matrix-synapse==1.163.*)
#   SYNAPSE_SHARED_SECRET    registration_shared_secret (default voisinage-test-shared-secret)
#   SYNAPSE_READY_TIMEOUT    seconds to wait for readiness (default 60)
#   SYNAPSE_WATCH_PID        if set (start/restart): Synapse is sent TERM when this pid exits
#                            (e.g. the test process), so a crashed test does not leak it
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$HERE/common.sh"

VENV=$PEERS_DIR/synapse-venv
SPEC=${SYNAPSE_VERSION_SPEC:-matrix-synapse==1.163.*}
SECRET=${SYNAPSE_SHARED_SECRET:-voisinage-test-shared-secret}
READY_TIMEOUT=${SYNAPSE_READY_TIMEOUT:-60}
SERVER_NAME=localhost

# ---------------------------------------------------------------------------- install

installed() { venv_ok "$VENV" "$SPEC" synapse; }

install_synapse() {
    local py
    py=$(venv_python "${SYNAPSE_PYTHON:-python3}")
    log "installing $SPEC into $VENV (about 25 s, 240 MB)"
    venv_install "$VENV" "$py" "$SPEC" \
        || die "pip install $SPEC failed (try SYNAPSE_VERSION_SPEC=matrix-synapse for the latest)"
    "$VENV/bin/python" -c 'import synapse' || die "synapse does not import after install"
    venv_mark "$VENV" "$SPEC"
    log "installed matrix-synapse $("$VENV/bin/python" -c 'import synapse; print(synapse.__version__)')"
}

cmd_install() { install_locked synapse installed install_synapse; }

# ---------------------------------------------------------------------------- helpers

# pid from DIR/synapse.pid if that process is alive and is this DIR's Synapse.
running_pid() {
    pid_matching "$1/synapse.pid" "synapse.app.homeserver -c $1/homeserver.yaml"
}

# True when the client API answers on 127.0.0.1:PORT.
answers() {
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
         "http://127.0.0.1:$1/_matrix/client/versions" 2>/dev/null) == 200 ]]
}

# Edit the generated homeserver.yaml and log config in place (PyYAML from the venv).
configure() {
    local dir=$1 port=$2
    "$VENV/bin/python" - "$dir" "$port" "$SECRET" <<'PY'
import sys, yaml

dir_, port, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3]
path = f"{dir_}/homeserver.yaml"
with open(path) as f:
    c = yaml.safe_load(f)

c["listeners"] = [{
    "port": port,
    "bind_addresses": ["127.0.0.1"],
    "type": "http",
    "tls": False,
    "x_forwarded": False,
    "resources": [{"names": ["client"], "compress": False}],  # client also serves /_synapse/admin
}]
c["database"] = {"name": "sqlite3", "args": {"database": f"{dir_}/homeserver.db"}}
c["media_store_path"] = f"{dir_}/media_store"
c["pid_file"] = f"{dir_}/homeserver.pid"
c["log_config"] = f"{dir_}/log.config"
c["report_stats"] = False
c["enable_metrics"] = False
c["registration_shared_secret"] = secret
c["enable_registration"] = False          # users are made through the shared secret
c["federation_domain_whitelist"] = []
c["trusted_key_servers"] = []
c["suppress_key_server_warning"] = True
c["presence"] = {"enabled": False}
c["url_preview_enabled"] = False
c["allow_public_rooms_over_federation"] = False
# Let any user publish rooms to the room directory (default since 1.46: deny) and make aliases.
c["room_list_publication_rules"] = [{"action": "allow"}]
c["alias_creation_rules"] = [{"action": "allow"}]

# Rate limits: effectively off. The defaults allow ~1 room creation a minute after a burst.
big = {"per_second": 100000, "burst_count": 1000000}
c["rc_message"] = dict(big)
c["rc_registration"] = dict(big)
c["rc_registration_token_validity"] = dict(big)
c["rc_login"] = {"address": dict(big), "account": dict(big), "failed_attempts": dict(big)}
c["rc_admin_redaction"] = dict(big)
c["rc_joins"] = {"local": dict(big), "remote": dict(big)}
c["rc_joins_per_room"] = dict(big)
c["rc_3pid_validation"] = dict(big)
c["rc_invites"] = {"per_room": dict(big), "per_user": dict(big), "per_issuer": dict(big)}
c["rc_third_party_invite"] = dict(big)
c["rc_media_create"] = dict(big)
c["rc_federation"] = {"window_size": 1000, "sleep_limit": 100000, "sleep_delay": 1,
                      "reject_limit": 100000, "concurrent": 100000}
c["rc_presence"] = {"per_user": dict(big)}
c["rc_delayed_event_mgmt"] = dict(big)
c["rc_reports"] = dict(big)
c["rc_room_creation"] = dict(big)
c["rc_user_directory"] = dict(big)
c["rc_profile"] = dict(big)
c["rc_key_requests"] = dict(big)

with open(path, "w") as f:
    yaml.safe_dump(c, f, sort_keys=False)

# Log config: console only (stderr goes to DIR/synapse.log), no rotating file, no SQL noise.
log = {
    "version": 1,
    "formatters": {"precise": {"format":
        "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "precise"}},
    "loggers": {"synapse.storage.SQL": {"level": "WARNING"}},
    "root": {"level": "INFO", "handlers": ["console"]},
    "disable_existing_loggers": False,
}
with open(f"{dir_}/log.config", "w") as f:
    yaml.safe_dump(log, f, sort_keys=False)
PY
}

# Launch Synapse from an existing DIR (config already generated) and wait until it answers.
launch() {
    local dir=$1 logf=$1/synapse.log port pid rc=0
    port=$(cat "$dir/port")
    if running_pid "$dir" >/dev/null; then
        die "already running in $dir (pid $(cat "$dir/synapse.pid")); use stop or restart"
    fi
    die_if_port_used "$port"
    echo "---- $(date '+%F %T') starting" >>"$logf"
    # Foreground process in the background: all fds redirected so a caller reading our stdout
    # through a pipe is not held open by Synapse.
    "$VENV/bin/python" -m synapse.app.homeserver -c "$dir/homeserver.yaml" \
        </dev/null >>"$logf" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/synapse.pid"
    start_watchdog "${SYNAPSE_WATCH_PID:-}" "$pid"
    wait_ready "$pid" "$READY_TIMEOUT" answers "$port" || rc=$?
    case $rc in
        1) rm -f "$dir/synapse.pid"
           die_tail 40 "Synapse exited during startup; last lines of $logf:" -- "$logf" ;;
        2) die_tail 40 "Synapse not ready after ${READY_TIMEOUT}s (pid $pid, still running);" \
               "last lines of $logf:" -- "$logf" ;;
    esac
    echo "ready http://127.0.0.1:$port"
}

# ---------------------------------------------------------------------------- commands

cmd_start() {
    [[ $# == 2 ]] || usage
    local dir port=$2
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
    dir=$(abs_dir "$1")
    [[ -e $dir/homeserver.yaml ]] \
        && die "$dir already holds a homeserver; use restart to reuse it, or remove it first"
    die_if_port_used "$port"
    cmd_install
    "$VENV/bin/python" -m synapse.app.homeserver --generate-config -H "$SERVER_NAME" \
        --config-path "$dir/homeserver.yaml" --data-directory "$dir" --report-stats=no \
        >>"$dir/synapse.log" 2>&1 \
        || die_tail 20 "--generate-config failed; last lines of $dir/synapse.log:" \
               -- "$dir/synapse.log"
    configure "$dir" "$port"
    rm -f "$dir/$SERVER_NAME.log.config"   # generated, replaced by DIR/log.config
    echo "$port" >"$dir/port"
    printf '%s\n' "$SECRET" >"$dir/shared_secret"
    launch "$dir"
}

cmd_restart() {
    [[ $# == 1 ]] || usage
    local dir
    dir=$(abs_dir "$1")
    [[ -f $dir/homeserver.yaml && -f $dir/port ]] || die "$dir holds no homeserver (use start)"
    cmd_stop "$dir"
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
    rm -f "$dir/synapse.pid"
    [[ -z $port ]] || wait_port_closed "$port"
}

cmd_register() {
    [[ $# == 3 || $# == 4 ]] || usage
    local dir user=$2 pass=$3 admin=--no-admin out port
    dir=$(abs_dir "$1")
    if [[ $# == 4 ]]; then
        [[ $4 == admin ]] || die "4th argument must be 'admin'"
        admin=--admin
    fi
    port=$(cat "$dir/port" 2>/dev/null) || die "$dir holds no homeserver"
    # --exists-ok: an existing user is left as it is (its password is NOT changed).
    if out=$("$VENV/bin/register_new_matrix_user" -c "$dir/homeserver.yaml" -u "$user" \
            -p "$pass" "$admin" --exists-ok "http://127.0.0.1:$port" 2>&1 </dev/null); then
        if grep -q 'already exists' <<<"$out"; then
            echo "exists @$user:$SERVER_NAME"
        else
            echo "registered @$user:$SERVER_NAME"
        fi
    else
        echo "$out" >&2
        die "registering $user failed"
    fi
}

cmd_status() {
    [[ $# == 1 ]] || usage
    local dir pid port
    dir=$(abs_dir "$1")
    port=$(cat "$dir/port" 2>/dev/null) || { echo "no homeserver in $dir"; return 1; }
    if pid=$(running_pid "$dir") && answers "$port"; then
        echo "running pid $pid http://127.0.0.1:$port"
    else
        echo "stopped"
        return 1
    fi
}

case ${1:-} in
    install) shift; [[ $# == 0 ]] || usage; cmd_install ;;
    start) shift; cmd_start "$@" ;;
    register) shift; cmd_register "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    restart) shift; cmd_restart "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) usage ;;
esac
