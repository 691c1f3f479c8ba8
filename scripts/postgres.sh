#!/usr/bin/env bash
# A throwaway PostgreSQL for the store tests and local runs.
#
#   scripts/postgres.sh [start]   # install if missing, init, start; prints the DSN
#   scripts/postgres.sh stop      # stop it (the data dir is kept for the next start)
#   scripts/postgres.sh clean     # stop it and delete its data dir
#   scripts/postgres.sh dsn       # print the DSN of the running instance
#   scripts/postgres.sh psql ARGS # psql on its postgres database, as the superuser
#   scripts/postgres.sh pid       # print the postmaster's process id
#
#   export IVBRIDGE_TEST_POSTGRES_DSN=$(scripts/postgres.sh)
#
# Only the DSN goes to stdout; progress goes to stderr. Idempotent: starting
# a running instance just prints its DSN again. Installs Debian's postgresql
# package when no server binaries are present (needs root and apt); the
# cluster runs as the `postgres` user when started by root, otherwise as the
# calling user. It listens on 127.0.0.1 only, with fsync on (the durability
# the store tests assume), trust auth for local connections.
#
# Environment: IVBRIDGE_PG_PORT (default 55432), IVBRIDGE_PG_DIR (default
# /tmp/ivbridge-postgres), IVBRIDGE_PG_DB (default ivbridge_test).
set -euo pipefail

port=${IVBRIDGE_PG_PORT:-55432}
dir=${IVBRIDGE_PG_DIR:-/tmp/ivbridge-postgres}
db=${IVBRIDGE_PG_DB:-ivbridge_test}
data=$dir/data
log=$dir/postgres.log
dsn="postgres://postgres@127.0.0.1:${port}/${db}?sslmode=disable"

say() { echo "postgres.sh: $*" >&2; }

find_bindir() {
	local d
	# Highest installed major version first.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

install_server() {
	if [ "$(id -u)" -ne 0 ]; then
		say "PostgreSQL server binaries not found and not root: install Debian's postgresql package first"
		exit 1
	fi
	say "installing Debian's postgresql (apt-get)"
	local t0=$SECONDS
	# Don't let the package create and start its own main cluster on 5432:
	# this script runs its own throwaway cluster.
	mkdir -p /etc/postgresql-common
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql >&2
	say "installed in $((SECONDS - t0))s"
}

# as_owner runs a command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

bindir() {
	local b
	if ! b=$(find_bindir); then
		install_server
		b=$(find_bindir) || {
			say "no PostgreSQL server binaries under /usr/lib/postgresql after install"
			exit 1
		}
	fi
	echo "$b"
}

running() {
	[ -f "$data/postmaster.pid" ] && as_owner "$1/pg_ctl" -D "$data" status >/dev/null 2>&1
}

psql_() {
	"$1/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 "${@:2}"
}

start() {
	local b
	b=$(bindir)
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		say "user postgres missing (the postgresql package creates it)"
		exit 1
	fi
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		chmod 700 "$dir"
	fi
	# The cluster is throwaway: one left by another major version (the
	# machine's PostgreSQL was upgraded) is replaced, not migrated.
	local major
	major=$(basename "$(dirname "$b")")
	if [ -f "$data/PG_VERSION" ] && [ "$(cat "$data/PG_VERSION")" != "$major" ]; then
		say "cluster in $data is from PostgreSQL $(cat "$data/PG_VERSION"), not $major: recreating it"
		as_owner "$b/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf "$data"
	fi
	if [ ! -f "$data/PG_VERSION" ]; then
		say "initialising a cluster in $data"
		rm -rf "$data"
		as_owner "$b/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
			as_owner "$b/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
	fi
	if running "$b"; then
		say "already running on 127.0.0.1:$port"
	else
		say "starting on 127.0.0.1:$port"
		as_owner "$b/pg_ctl" -D "$data" -l "$log" -w -t 60 start -o \
			"-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=on -c synchronous_commit=on -c max_connections=300" >&2 || {
			tail -n 30 "$log" >&2 || true
			exit 1
		}
	fi
	if [ "$(psql_ "$b" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
		psql_ "$b" -c "CREATE DATABASE \"$db\"" >&2
	fi
	echo "$dsn"
}

stop() {
	local b
	b=$(find_bindir) || return 0
	if running "$b"; then
		as_owner "$b/pg_ctl" -D "$data" -m fast -w stop >&2
	else
		say "not running"
	fi
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
clean)
	stop
	rm -rf "$dir"
	;;
dsn) echo "$dsn" ;;
psql)
	shift
	b=$(find_bindir) || {
		say "no PostgreSQL server binaries: run $0 start first"
		exit 1
	}
	psql_ "$b" "$@"
	;;
pid)
	if [ ! -f "$data/postmaster.pid" ]; then
		say "not running"
		exit 1
	fi
	head -1 "$data/postmaster.pid"
	;;
*)
	echo "usage: $0 [start|stop|clean|dsn|psql ARGS|pid]" >&2
	exit 2
	;;
esac
