#!/usr/bin/env bash
# Launcher for a real IMAP server (Dovecot, Debian's dovecot-imapd) used as a test peer.
#
#   tests/peers/dovecot.sh install
#   tests/peers/dovecot.sh start   DIR PORT            # prints "ready imap://127.0.0.1:PORT"
#   tests/peers/dovecot.sh adduser DIR USER PASS       # "added USER" or "updated USER"
#   tests/peers/dovecot.sh deliver DIR USER FILE       # FILE (RFC 5322, "-" = stdin) -> INBOX, unread
#   tests/peers/dovecot.sh stop    DIR
#   tests/peers/dovecot.sh restart DIR                 # same config, users, mail and flags, port
#   tests/peers/dovecot.sh status  DIR                 # exit 0 when running and answering
#
# Runs as root (installs with apt-get, and Dovecot needs root to switch to the mail user).
# Listens on 127.0.0.1:PORT only: plain IMAP (no TLS, no imaps, no pop3), AUTH=PLAIN/LOGIN and
# LOGIN allowed without TLS. Users live in the passwd-file DIR/users ({PLAIN} passwords), mail in
# Maildir DIR/mail/USER, owned by "nobody"/"nogroup" (Dovecot refuses to access mail as root).
# See tests/peers/mail-peers-README.md.
#
# Environment:
#   VOISINAGE_PEERS_DIR     lock dir for installs (default $HOME/.cache/voisinage-peers)
#   DOVECOT_MAIL_USER       owner of the mail files (default nobody)
#   DOVECOT_MAIL_GROUP      their group (default nogroup)
#   DOVECOT_READY_TIMEOUT   seconds to wait for the IMAP greeting (default 20)
#   DOVECOT_WATCH_PID       if set (start/restart): Dovecot is sent TERM when this pid exits
#                           (e.g. the test process), so a crashed test does not leak it
set -euo pipefail

HERE=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$HERE/common.sh"

MAIL_USER=${DOVECOT_MAIL_USER:-nobody}
MAIL_GROUP=${DOVECOT_MAIL_GROUP:-nogroup}
READY_TIMEOUT=${DOVECOT_READY_TIMEOUT:-20}
DOVECOT=/usr/sbin/dovecot
LDA=/usr/lib/dovecot/dovecot-lda

need_root() {
    [[ $(id -u) == 0 ]] || die "must run as root ($1): apt-get install, and Dovecot's master process needs root to switch to the mail user $MAIL_USER"
}

# ---------------------------------------------------------------------------- install

installed() { [[ -x $DOVECOT && -x $LDA && -x /usr/lib/dovecot/imap ]]; }

# Under the install lock: dpkg has its own lock, but a second apt-get would fail on it instead
# of waiting.
install_dovecot() {
    log "installing dovecot-imapd with apt-get (about 25-45 s with apt-get update)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    # The package's postinst tries to start the system service; in a container policy-rc.d
    # usually denies it. Either way we never use /etc/dovecot nor the system instance.
    apt-get install -y -qq --no-install-recommends dovecot-imapd >&2 \
        || die "apt-get install dovecot-imapd failed"
    installed || die "dovecot-imapd installed but $DOVECOT, $LDA or /usr/lib/dovecot/imap is missing"
    log "installed Dovecot $($DOVECOT --version)"
}

cmd_install() {
    installed && return 0
    need_root "dovecot-imapd is not installed"
    install_locked dovecot installed install_dovecot
}

# ---------------------------------------------------------------------------- helpers

# True when 127.0.0.1:PORT answers with an IMAP "* OK" greeting within 2 s.
imap_greets() { [[ $(greeting "$1" "z LOGOUT") == "* OK"* ]]; }

# pid from DIR/dovecot.pid if that process is alive and is this DIR's Dovecot master.
running_pid() { pid_matching "$1/dovecot.pid" "-c $1/dovecot.conf "; }

# Dovecot's unix sockets live in base_dir, and a socket path is limited to 107 bytes
# ("$base_dir/token-login/imap-urlauth" is the longest). For a long DIR, base_dir is
# /tmp/voisinage-dovecot/HASH instead (HASH from DIR), with DIR/run a symlink to it.
base_dir() {
    local dir=$1
    if (( ${#dir} + 30 <= 100 )); then
        echo "$dir/run"
    else
        echo "/tmp/voisinage-dovecot/$(printf '%s' "$dir" | sha1sum | cut -c1-12)"
    fi
}

prepare_base_dir() {
    local dir=$1 b
    b=$(base_dir "$dir")
    if [[ $b != "$dir/run" ]]; then
        mkdir -p "$b"
        chmod 0755 /tmp/voisinage-dovecot
        [[ -L $dir/run ]] || ln -sfn "$b" "$dir/run"
    else
        mkdir -p "$b"
    fi
}

dovecot_major_minor() { "$DOVECOT" --version | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'; }

# The mail user must be able to reach DIR/mail and DIR/home: every ancestor of DIR needs the
# search (x) bit for "other". Temporary dirs (mkdtemp, Rust's tempfile) are 0700: DIR itself and
# its ancestors below the temp dir get o+x; anything else is reported, not changed.
ensure_traversable() {
    local dir=$1 tmp p
    tmp=$(cd "${TMPDIR:-/tmp}" 2>/dev/null && pwd -P || echo /tmp)
    chmod o+x "$dir"
    p=$(dirname "$dir")
    while [[ $p != / ]]; do
        if ! (( 8#$(stat -c %a "$p") & 1 )); then
            if [[ $p == "$tmp"/* ]]; then
                chmod o+x "$p"
            else
                die "$p is not searchable by others (mode $(stat -c %a "$p")): the mail user" \
                    "$MAIL_USER cannot reach $dir/mail. Use a DIR under $tmp, or chmod o+x $p"
            fi
        fi
        p=$(dirname "$p")
    done
}

write_config() {
    local dir=$1 port=$2 uid gid ver
    uid=$(id -u "$MAIL_USER" 2>/dev/null) || die "no such user $MAIL_USER (DOVECOT_MAIL_USER)"
    gid=$(getent group "$MAIL_GROUP" | cut -d: -f3)
    [[ -n $gid ]] || die "no such group $MAIL_GROUP (DOVECOT_MAIL_GROUP)"
    [[ $uid != 0 ]] || die "DOVECOT_MAIL_USER must not be root: Dovecot refuses uid 0 for mail"
    ver=$(dovecot_major_minor)
    case $ver in
        2.3) write_config_23 "$dir" "$port" "$uid" "$gid" ;;
        2.4) write_config_24 "$dir" "$port" "$uid" "$gid" ;;
        *) die "Dovecot $($DOVECOT --version) is neither 2.3 nor 2.4: write_config needs updating" ;;
    esac
    echo "$port" >"$dir/port"
    # Check it parses (doveconf reports unknown settings with file and line).
    doveconf -c "$dir/dovecot.conf" -n >"$dir/doveconf-n.txt" 2>"$dir/doveconf.err" || {
        cat "$dir/doveconf.err" >&2
        die "Dovecot rejects $dir/dovecot.conf"
    }
}

# Dovecot 2.3 (Debian 12 bookworm: 2.3.19.1).
write_config_23() {
    local dir=$1 port=$2 uid=$3 gid=$4
    cat >"$dir/dovecot.conf" <<EOF
# Generated by tests/peers/dovecot.sh for a test: Dovecot 2.3 syntax. Does not include
# /etc/dovecot. Regenerated by start only (restart keeps it).
protocols = imap
listen = 127.0.0.1
base_dir = $(base_dir "$dir")
state_dir = $dir/state
instance_name = voisinage-$port
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
verbose_proctitle = yes

ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Logins are full addresses (bot@voisinage.test), lower-cased.
auth_username_format = %Lu

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%u
}
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid

mail_location = maildir:$dir/mail/%u
namespace inbox {
  inbox = yes
  separator = /
}
mail_fsync = always
postmaster_address = postmaster@voisinage.test
lda_mailbox_autocreate = yes

# IDLE: on by default. Dovecot watches the Maildir with inotify; the interval is only the
# fallback re-check and how often "* OK Still here" is sent.
imap_idle_notify_interval = 2 mins
mailbox_idle_check_interval = 1 secs

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
  # One process per connection is Dovecot's safe default; allow many parallel test clients.
  process_limit = 200
}
service imap {
  process_limit = 200
}
EOF
}

# Dovecot 2.4 (Debian 13 trixie: 2.4.1). Written from the 2.4 documentation's upgrade notes;
# NOT exercised when this script was written (the machine had 2.3.19.1).
write_config_24() {
    local dir=$1 port=$2 uid=$3 gid=$4
    cat >"$dir/dovecot.conf" <<EOF
# Generated by tests/peers/dovecot.sh for a test: Dovecot 2.4 syntax. Does not include
# /etc/dovecot. Regenerated by start only (restart keeps it).
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = 127.0.0.1
base_dir = $(base_dir "$dir")
state_dir = $dir/state
instance_name = voisinage-$port
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
auth_verbose = yes
verbose_proctitle = yes

ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_username_format = %{user | lower}

passdb passwd-file {
  # the passwords carry their scheme: {PLAIN}
  passwd_file_path = $dir/users
}
userdb static {
  fields {
    uid = $uid
    gid = $gid
    home = $dir/home/%{user}
  }
}
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid

mail_driver = maildir
mail_path = $dir/mail/%{user}
namespace inbox {
  inbox = yes
  separator = /
}
mail_fsync = always
postmaster_address = postmaster@voisinage.test
lda_mailbox_autocreate = yes

imap_idle_notify_interval = 2 mins
mailbox_idle_check_interval = 1 secs

service imap-login {
  inet_listener imap {
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
  process_limit = 200
}
service imap {
  process_limit = 200
}
EOF
}

launch() {
    local dir=$1 port pid rc=0
    port=$(cat "$dir/port")
    if running_pid "$dir" >/dev/null; then
        die "already running in $dir (pid $(cat "$dir/dovecot.pid")); use stop or restart"
    fi
    die_if_port_used "$port"
    prepare_base_dir "$dir"
    echo "---- $(date '+%F %T') starting" >>"$dir/dovecot.stderr"
    # -F: foreground, so $! is the master process. All fds redirected so a caller reading our
    # stdout through a pipe is not held open by Dovecot.
    "$DOVECOT" -F -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.stderr" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/dovecot.pid"
    start_watchdog "${DOVECOT_WATCH_PID:-}" "$pid"
    wait_ready "$pid" "$READY_TIMEOUT" imap_greets "$port" || rc=$?
    case $rc in
        1) rm -f "$dir/dovecot.pid"
           die_tail 20 "Dovecot exited during startup; last lines of $dir/dovecot.stderr" \
               "and $dir/dovecot.log:" -- "$dir/dovecot.stderr" "$dir/dovecot.log" ;;
        2) die_tail 30 "Dovecot not ready after ${READY_TIMEOUT}s (pid $pid, still running);" \
               "last lines of $dir/dovecot.log:" -- "$dir/dovecot.log" ;;
    esac
    echo "ready imap://127.0.0.1:$port"
}

# ---------------------------------------------------------------------------- commands

cmd_start() {
    [[ $# == 2 ]] || usage
    local dir port=$2
    [[ $port =~ ^[0-9]+$ ]] || die "PORT must be a number"
    need_root "start"
    dir=$(abs_dir "$1")
    [[ -e $dir/dovecot.conf ]] \
        && die "$dir already holds a Dovecot; use restart to reuse it, or remove it first"
    die_if_port_used "$port"
    cmd_install
    ensure_traversable "$dir"
    mkdir -p "$dir/state" "$dir/mail" "$dir/home"
    prepare_base_dir "$dir"
    chown "$MAIL_USER:$MAIL_GROUP" "$dir/mail" "$dir/home"
    chmod 0700 "$dir/mail" "$dir/home"
    : >>"$dir/users"
    chmod 0644 "$dir/users"   # read by the auth process (runs as root, but keep it simple)
    write_config "$dir" "$port"
    launch "$dir"
}

cmd_restart() {
    [[ $# == 1 ]] || usage
    local dir
    need_root "restart"
    dir=$(abs_dir "$1")
    [[ -f $dir/dovecot.conf && -f $dir/port ]] || die "$dir holds no Dovecot (use start)"
    cmd_stop "$dir"
    launch "$dir"
}

cmd_stop() {
    [[ $# == 1 ]] || usage
    local dir pid port
    dir=$(abs_dir "$1")
    port=$(cat "$dir/port" 2>/dev/null || true)
    if pid=$(running_pid "$dir"); then
        # TERM to the master: it stops its children (imap, imap-login, auth, ...) and exits.
        stop_pid "$pid"
    fi
    rm -f "$dir/dovecot.pid"
    # A base_dir outside DIR (long DIR, see base_dir) is removed; launch makes it again.
    if [[ -L $dir/run ]]; then
        case $(readlink "$dir/run") in /tmp/voisinage-dovecot/*) rm -rf "$(readlink "$dir/run")" ;; esac
    fi
    [[ -z $port ]] || wait_port_closed "$port"
}

cmd_adduser() {
    [[ $# == 3 ]] || usage
    local dir user=$2 pass=$3 tmp
    dir=$(abs_dir "$1")
    [[ -f $dir/users ]] || die "$dir holds no Dovecot (use start first)"
    [[ $user =~ ^[A-Za-z0-9._+@-]+$ ]] || die "USER must match [A-Za-z0-9._+@-]+: $user"
    [[ $pass != *:* && $pass != *$'\n'* && -n $pass ]] \
        || die "PASS must be non-empty, without ':' or newline (passwd-file format)"
    user=${user,,}   # auth_username_format lower-cases logins
    # passwd-file is re-read by Dovecot when it changes: no reload needed. Write a new file and
    # rename it so the auth process never sees a half-written one.
    tmp=$(mktemp "$dir/users.XXXXXX")
    awk -F: -v u="$user" '$1 != u' "$dir/users" >"$tmp"
    printf '%s:{PLAIN}%s\n' "$user" "$pass" >>"$tmp"
    chmod 0644 "$tmp"
    local what=added
    awk -F: -v u="$user" '$1 == u {f=1} END {exit !f}' "$dir/users" && what=updated
    mv -f "$tmp" "$dir/users"
    echo "$what $user"
}

cmd_deliver() {
    [[ $# == 3 ]] || usage
    local dir user=$2 file=$3 out rc=0
    need_root "deliver"
    dir=$(abs_dir "$1")
    [[ -f $dir/dovecot.conf ]] || die "$dir holds no Dovecot (use start first)"
    [[ $file == - || -r $file ]] || die "cannot read $file"
    user=${user,,}
    awk -F: -v u="$user" '$1 == u {f=1} END {exit !f}' "$dir/users" \
        || die "no user $user in $dir/users (use adduser)"
    # dovecot-lda runs as root, looks USER up in the userdb, switches to the mail user and
    # stores the message in INBOX with no flags (unread, \Recent). -e: errors to stderr with an
    # exit code instead of a bounce. Running IMAP sessions see it through the Maildir's inotify.
    if [[ $file == - ]]; then
        out=$("$LDA" -c "$dir/dovecot.conf" -e -d "$user" 2>&1) || rc=$?
    else
        out=$("$LDA" -c "$dir/dovecot.conf" -e -d "$user" <"$file" 2>&1) || rc=$?
    fi
    if [[ $rc != 0 ]]; then
        echo "$out" >&2
        tail -n 10 "$dir/dovecot.log" >&2 2>/dev/null || true
        die "dovecot-lda failed (exit $rc) delivering to $user"
    fi
    [[ -z $out ]] || echo "$out" >&2
    echo "delivered to $user"
}

cmd_status() {
    [[ $# == 1 ]] || usage
    local dir pid port
    dir=$(abs_dir "$1")
    port=$(cat "$dir/port" 2>/dev/null) || { echo "no Dovecot in $dir"; return 1; }
    if pid=$(running_pid "$dir") && imap_greets "$port"; then
        echo "running pid $pid imap://127.0.0.1:$port"
    else
        echo "stopped"
        return 1
    fi
}

case ${1:-} in
    install) shift; [[ $# == 0 ]] || usage; cmd_install ;;
    start) shift; cmd_start "$@" ;;
    adduser) shift; cmd_adduser "$@" ;;
    deliver) shift; cmd_deliver "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    restart) shift; cmd_restart "$@" ;;
    status) shift; cmd_status "$@" ;;
    *) usage ;;
esac
