#!/usr/bin/env bash
# A throwaway PostgreSQL server for the pipeline tests: loopback only, its own data dir and port.
#
#   postgres.sh install              install Debian's postgresql package, only when missing
#   postgres.sh start DATADIR PORT   initdb DATADIR (must not exist yet) and start the server
#   postgres.sh stop DATADIR         stop the server (fast shutdown) and delete DATADIR
#   postgres.sh psql PORT SQL [DB]   run SQL as postgres on 127.0.0.1:PORT (unaligned, tuples only)
#
# The server trusts connections from 127.0.0.1 as user "postgres" (database "postgres") and
# keeps its socket inside DATADIR, so it touches nothing else on the machine. initdb refuses to
# run as root, so as root the server runs as the postgres user that the Debian package creates.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]] || return 1
    echo "$dir"
}

install_if_missing() {
    if pg_bindir >/dev/null; then
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed; run as root: apt-get install postgresql"
    echo "postgres.sh: installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    pg_bindir >/dev/null || die "postgresql installed, but no /usr/lib/postgresql/*/bin/initdb"
}

# Run a server binary as the postgres user when we are root, as ourselves otherwise.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local datadir=$1 port=$2 bindir
    install_if_missing
    bindir=$(pg_bindir)
    [[ ! -e "$datadir" ]] || die "$datadir already exists"
    mkdir -p "$datadir"
    chmod 700 "$datadir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$datadir"
    fi
    as_owner "$bindir/initdb" -D "$datadir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$datadir.initdb.log" 2>&1 || { cat "$datadir.initdb.log" >&2; die "initdb failed"; }
    rm -f "$datadir.initdb.log"
    as_owner "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $datadir -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
        || { cat "$datadir/server.log" >&2 || true; die "the server did not start"; }
    echo "postgres.sh: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($datadir)"
}

stop() {
    local datadir=$1 bindir
    if [[ -f "$datadir/postmaster.pid" ]]; then
        bindir=$(pg_bindir) || die "no PostgreSQL binaries to stop $datadir with"
        as_owner "$bindir/pg_ctl" -D "$datadir" -m fast -w -t 60 stop >/dev/null
    fi
    rm -rf "$datadir"
}

psql_cmd() {
    local port=$1 sql=$2 database=${3:-postgres} bindir
    bindir=$(pg_bindir) || die "PostgreSQL is not installed"
    "$bindir/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$database" \
        -c "$sql"
}

case "${1:-}" in
    install) install_if_missing ;;
    start) [[ $# -eq 3 ]] || die "usage: $0 start DATADIR PORT"; start "$2" "$3" ;;
    stop) [[ $# -eq 2 ]] || die "usage: $0 stop DATADIR"; stop "$2" ;;
    psql) [[ $# -ge 3 && $# -le 4 ]] || die "usage: $0 psql PORT SQL [DATABASE]"; psql_cmd "${@:2}" ;;
    *) die "usage: $0 install | start DATADIR PORT | stop DATADIR | psql PORT SQL [DATABASE]" ;;
esac
