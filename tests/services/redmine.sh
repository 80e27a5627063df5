#!/usr/bin/env bash
# A throwaway Redmine 5 (Debian package, SQLite, puma) on 127.0.0.1 for tests.
#
#   tests/services/redmine.sh install
#   tests/services/redmine.sh start [--port N] [--dir DIR]
#   tests/services/redmine.sh stop --dir DIR
#
# install: only the Debian packages, when missing (root only); .ci/run calls it once.
# start: installs redmine/redmine-sqlite/puma when missing (root only), creates a uniquely named
# instance /var/lib/redmine/pmstest-XXXXXXXX with its SQLite database in DIR (default: a new
# mktemp dir), migrates, loads the default data (en), enables the REST API, seeds what connector
# tests need (non-admin user field1, issue custom field "Site", active activity "Development"),
# runs puma as www-data and waits for GET / to answer 200. Progress goes to stderr; the last and
# only line on stdout is JSON:
#   {"url", "api_key", "user_api_key", "site_field_id", "activity_id", "pid", "dir", "instance"}
# stop: kills puma and removes the instance directory and DIR (DIR must hold a state file written
# by start). Recipe: /work/shared/research/pms-apis.md section 2.3.
#
# Exit codes: 0 ok, 1 start failed, 2 usage, 3 needs root (or Redmine is not installed and we
# are not root). Environment: REDMINE_READY_TIMEOUT (seconds, default 60),
# REDMINE_SETUP_TIMEOUT (seconds, default 120).
set -euo pipefail

readonly REDMINE_ROOT=/usr/share/redmine
readonly INSTANCES=/var/lib/redmine
readonly PACKAGES=(redmine redmine-sqlite puma)
readonly STATE_FILE=redmine-test.state
readonly SEED_MARK=PMSBOT_REDMINE_SEED

# Everything on stdout except the final JSON goes to stderr; fd 3 is the real stdout.
exec 3>&1 1>&2

log() { printf 'redmine.sh: %s\n' "$*" >&2; }
die() { local code=$1; shift; log "error: $*"; exit "$code"; }
usage() {
    cat >&2 <<'EOF'
usage: tests/services/redmine.sh install
       tests/services/redmine.sh start [--port N] [--dir DIR]
       tests/services/redmine.sh stop --dir DIR
EOF
    exit 2
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
json_str() {  # JSON string literal for $1 (paths and keys: no control characters expected)
    local s=${1//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}
# Run a command as www-data with a clean environment (no inherited RUBYOPT/GEM_*/BUNDLE_*).
as_www() {
    setpriv --reuid=www-data --regid=www-data --init-groups \
        env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$INSTANCE_DIR" \
        REDMINE_INSTANCE="$INSTANCE" RAILS_ENV=production "$@"
}

installed() {
    local status
    for p in "${PACKAGES[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || return 1
        [[ $status == "install ok installed" ]] || return 1
    done
}

ensure_installed() {
    if installed; then return 0; fi
    [[ $EUID -eq 0 ]] || die 3 "Redmine is not installed (Debian packages: ${PACKAGES[*]}) and installing needs root; run: sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PACKAGES[*]}"
    log "installing ${PACKAGES[*]} (apt-get)"
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}")
    if ! "${apt[@]}"; then
        log "apt-get install failed; running apt-get update and retrying"
        env DEBIAN_FRONTEND=noninteractive apt-get update
        "${apt[@]}" || die 1 "apt-get install ${PACKAGES[*]} failed"
    fi
    installed || die 1 "packages still not installed after apt-get: ${PACKAGES[*]}"
}

free_port() {
    ruby -rsocket -e 's = TCPServer.new("127.0.0.1", 0); puts s.addr[1]; s.close'
}

write_state() {  # root-owned state file in DIR, read by `stop`
    printf 'INSTANCE=%s\nPID=%s\n' "$INSTANCE" "${PUMA_PID:-}" >"$DIR/$STATE_FILE"
}

log_tail() {
    local f
    for f in "$DIR/puma.log" "$INSTANCE_DIR/log/production.log"; do
        [[ -s $f ]] || continue
        log "--- last lines of $f ---"
        tail -n 30 "$f" >&2 || true
    done
}

# ---------------------------------------------------------------------------------------------
# stop

kill_pid() {  # TERM, wait up to 10 s, then KILL
    local pid=$1 i
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    # Only ever signal our puma: check the process is a puma before touching it.
    grep -q puma "/proc/$pid/cmdline" 2>/dev/null || { log "pid $pid is not a puma; not killed"; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "puma $pid ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

remove_instance() {  # only our own pmstest-* instances, never "default"
    local name=$1
    [[ $name =~ ^pmstest-[A-Za-z0-9]+$ ]] || { log "refusing to remove instance '$name'"; return 0; }
    rm -rf -- "${INSTANCES:?}/$name"
}

do_stop() {
    [[ -n ${DIR:-} ]] || usage
    [[ -d $DIR ]] || die 2 "no such directory: $DIR"
    [[ -f $DIR/$STATE_FILE ]] || die 2 "$DIR has no $STATE_FILE: not a directory made by 'redmine.sh start'; nothing removed"
    local INSTANCE="" PID=""
    INSTANCE=$(sed -n 's/^INSTANCE=//p' "$DIR/$STATE_FILE")
    PID=$(sed -n 's/^PID=//p' "$DIR/$STATE_FILE")
    kill_pid "$PID"
    [[ -n $INSTANCE ]] && remove_instance "$INSTANCE"
    rm -rf -- "$DIR"
    log "stopped ${INSTANCE:-?} (pid ${PID:-none}), removed $DIR"
}

# ---------------------------------------------------------------------------------------------
# start

# The whole set-up in one Ruby process: boot Rails (without eager loading: faster), migrate
# (like the postinst's db:migrate + redmine:plugins:migrate, schema dump off), load the default
# data, configure, seed, and print one marked JSON line.
SEED_RB=$(cat <<'RUBY'
require "./config/application"
Rails.application.config.before_initialize { |app| app.config.eager_load = false }
require "./config/environment"

ActiveRecord::Base.dump_schema_after_migration = false
ActiveRecord::Migration.verbose = false
conn = ActiveRecord::Base.connection
conn.execute("PRAGMA synchronous = OFF")  # throwaway database: no fsync per migration
conn.migration_context.migrate
Redmine::Plugin.migrate
ActiveRecord::Base.descendants.each(&:reset_column_information)

Redmine::DefaultData::Loader.load(ENV.fetch("REDMINE_LANG", "en"))
Setting.rest_api_enabled = "1"
# pmsbot's undo deletes the time entry a person logged (DELETE /time_entries/:id as that person): a role that
# logs time needs "Edit own time logs" too. The default data gives it to no role; deployments set it the same way.
Role.givable.each { |role| role.add_permission!(:edit_own_time_entries) if role.has_permission?(:log_time) }

admin = User.find_by_login!("admin")
admin.update_columns(must_change_passwd: false)

user = User.new(firstname: "Field", lastname: "One", mail: "field1@example.com")
user.login = "field1"
user.password = user.password_confirmation = SecureRandom.hex(16)
user.status = User::STATUS_ACTIVE
user.must_change_passwd = false
user.save!

site = IssueCustomField.create!(
  name: "Site", field_format: "string", is_for_all: true, is_filter: true, visible: true,
  trackers: Tracker.all
)

activity = TimeEntryActivity.find_or_initialize_by(name: "Development", project_id: nil)
activity.active = true
activity.save!

puts "PMSBOT_REDMINE_SEED " + JSON.generate(
  api_key: admin.api_key, user_api_key: user.api_key, site_field_id: site.id, activity_id: activity.id
)
RUBY
)

cleanup_failed_start() {
    local rc=$?
    [[ $rc -ne 0 ]] || return 0
    [[ -n ${DIR:-} ]] && log_tail
    kill_pid "${PUMA_PID:-}"
    [[ -n ${INSTANCE:-} ]] && remove_instance "$INSTANCE"
    if [[ -n ${DIR:-} ]]; then
        if [[ ${CREATED_DIR:-0} == 1 ]]; then
            rm -rf -- "$DIR"
        else
            rm -f -- "$DIR/$STATE_FILE" "$DIR"/redmine.sqlite3* "$DIR/puma.log"
        fi
    fi
    log "start failed (exit $rc); cleaned up"
}

wait_ready() {  # GET / over bash's /dev/tcp until HTTP 200, puma death or timeout
    local deadline=$1 status="" line
    while :; do
        if ! kill -0 "$PUMA_PID" 2>/dev/null; then
            die 1 "puma (pid $PUMA_PID) exited before answering on 127.0.0.1:$PORT"
        fi
        status=""
        if exec 4<>"/dev/tcp/127.0.0.1/$PORT"; then
            printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$PORT" >&4
            if IFS= read -r -t 20 line <&4; then status=${line%$'\r'}; fi
            exec 4<&-
        fi 2>/dev/null
        [[ $status == HTTP/1.[01]\ 200* ]] && return 0
        if (($(date +%s) >= deadline)); then
            die 1 "Redmine did not answer GET / with 200 on 127.0.0.1:$PORT within ${READY_TIMEOUT}s (last status: ${status:-no answer})"
        fi
        sleep 0.2
    done
}

do_start() {
    local t0 t_setup seed_out seed_json
    t0=$(now)
    READY_TIMEOUT=${REDMINE_READY_TIMEOUT:-60}
    SETUP_TIMEOUT=${REDMINE_SETUP_TIMEOUT:-120}

    ensure_installed
    [[ $EUID -eq 0 ]] || die 3 "starting a Redmine instance needs root (creates $INSTANCES/<name>, runs puma as www-data)"
    [[ -d $INSTANCES && -f $REDMINE_ROOT/config.ru ]] || die 1 "unexpected Redmine layout: $INSTANCES or $REDMINE_ROOT/config.ru missing"

    if [[ -z ${PORT:-} ]]; then PORT=$(free_port); fi
    [[ $PORT =~ ^[0-9]+$ ]] || die 2 "bad port: $PORT"

    trap cleanup_failed_start EXIT
    CREATED_DIR=0
    if [[ -z ${DIR:-} ]]; then
        DIR=$(mktemp -d /tmp/pmsbot-redmine.XXXXXXXX)
        CREATED_DIR=1
    else
        [[ -d $DIR ]] || { mkdir -p -- "$DIR"; CREATED_DIR=1; }
        DIR=$(cd -- "$DIR" && pwd -P)
    fi
    [[ ! -e $DIR/redmine.sqlite3 ]] || die 1 "$DIR already holds redmine.sqlite3"

    INSTANCE_DIR=$(mktemp -d "$INSTANCES/pmstest-XXXXXXXX")
    INSTANCE=${INSTANCE_DIR##*/}
    write_state
    mkdir -p "$INSTANCE_DIR"/{config,log,files,public/plugin_assets,tmp}
    printf 'production:\n  adapter: sqlite3\n  database: %s/redmine.sqlite3\n  encoding: utf8\n' "$DIR" \
        >"$INSTANCE_DIR/config/database.yml"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$INSTANCE_DIR/config/secret_key.txt"
    chown -R www-data:www-data "$INSTANCE_DIR"
    chown www-data:www-data "$DIR"
    as_www test -w "$DIR" || die 1 "www-data cannot write $DIR (is a parent directory closed to it?)"
    log "instance $INSTANCE, database $DIR/redmine.sqlite3, port $PORT"

    cd "$REDMINE_ROOT"
    # puma boots (about 4 s) while the database is being set up: booting does not touch the
    # database, and the first request comes after the set-up. setsid (no fork here: we are not a
    # group leader) leaves $! == puma's pid; fds 3 and 4 are not inherited.
    setsid setpriv --reuid=www-data --regid=www-data --init-groups \
        env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$INSTANCE_DIR" \
        REDMINE_INSTANCE="$INSTANCE" RAILS_ENV=production \
        puma -b "tcp://127.0.0.1:$PORT" -e production -t 1:4 config.ru \
        </dev/null >"$DIR/puma.log" 2>&1 3>&- &
    PUMA_PID=$!
    write_state

    log "migrating, loading default data, seeding"
    t_setup=$(now)
    if ! seed_out=$(as_www REDMINE_LANG=en SCHEMA=/dev/null timeout "$SETUP_TIMEOUT" ruby - <<<"$SEED_RB"); then
        die 1 "database set-up failed (see the output above)"
    fi
    seed_json=$(sed -n "s/^$SEED_MARK //p" <<<"$seed_out" | tail -n 1)
    [[ -n $seed_json ]] || die 1 "database set-up printed no result: $seed_out"
    log "database ready in $(elapsed "$t_setup")s"

    wait_ready $(($(date +%s) + READY_TIMEOUT))
    log "Redmine ready on http://127.0.0.1:$PORT in $(elapsed "$t0")s (pid $PUMA_PID)"

    trap - EXIT
    # seed_json is {"api_key":…,"activity_id":N}: splice our fields in after its opening brace.
    printf '{"url": %s, "pid": %d, "dir": %s, "instance": %s, %s\n' \
        "$(json_str "http://127.0.0.1:$PORT")" "$PUMA_PID" "$(json_str "$DIR")" "$(json_str "$INSTANCE")" \
        "${seed_json#\{}" >&3
}

# ---------------------------------------------------------------------------------------------

[[ $# -ge 1 ]] || usage
CMD=$1
shift
PORT="" DIR=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --port) [[ $# -ge 2 ]] || usage; PORT=$2; shift 2 ;;
        --port=*) PORT=${1#*=}; shift ;;
        --dir) [[ $# -ge 2 ]] || usage; DIR=$2; shift 2 ;;
        --dir=*) DIR=${1#*=}; shift ;;
        -h | --help) usage ;;
        *) log "unknown argument: $1"; usage ;;
    esac
done

case $CMD in
    install) ensure_installed; log "Redmine packages are installed" ;;
    start) do_start ;;
    stop)
        [[ -z $PORT ]] || usage
        do_stop
        ;;
    *) usage ;;
esac
