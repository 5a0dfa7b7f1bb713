#!/bin/bash
# Entry script of the MySQL stand-in (MariaDB), modelled on the official image's behaviour:
# `mysqld [options]` initialises an empty data directory with the root password from
# MYSQL_ROOT_PASSWORD, root allowed from MYSQL_ROOT_HOST (default `%`, anywhere; `localhost`: no
# remote root, as on a host's own install), then runs the server on 3306 for all interfaces
# (options such as --bind-address or --port given to `mysqld` override that). While initialising,
# the server runs without networking, so TCP clients are refused until the real server is ready.
# Any other command runs as given (e.g. the `mysql` client).
set -euo pipefail
log() { echo "$(date '+%Y-%m-%d %H:%M:%S') [Entrypoint]: $*" >&2; }

if [ "${1:0:1}" = '-' ]; then set -- mysqld "$@"; fi
if [ "$1" != mysqld ] && [ "$1" != mariadbd ]; then exec "$@"; fi
shift
datadir=/var/lib/mysql
socket=/run/mysqld/mysqld.sock
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$datadir"

sql_string() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }

if [ ! -d "$datadir/mysql" ]; then
    if [ -z "${MYSQL_ROOT_PASSWORD:-}" ]; then
        log "error: database is uninitialized and password option is not specified"
        log "  You need to specify MYSQL_ROOT_PASSWORD"
        exit 1
    fi
    log "Initializing database files"
    mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve >/dev/null
    log "Starting temporary server"
    mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket="$socket" "$@" &
    pid=$!
    for _ in $(seq 1 60); do
        mariadb-admin --socket="$socket" -uroot ping >/dev/null 2>&1 && break
        sleep 0.5
    done
    pw=$(sql_string "$MYSQL_ROOT_PASSWORD")
    {
        echo "DROP USER IF EXISTS ''@'localhost', ''@'$(uname -n)';"
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';"
        root_host=$(sql_string "${MYSQL_ROOT_HOST:-%}")
        if [ "$root_host" != localhost ]; then
            echo "CREATE USER 'root'@'$root_host' IDENTIFIED BY '$pw';"
            echo "GRANT ALL ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;"
        fi
        if [ -n "${MYSQL_DATABASE:-}" ]; then
            echo "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`;"
        fi
        if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ] && [ "${MYSQL_USER}" != root ]; then
            echo "CREATE USER '$(sql_string "$MYSQL_USER")'@'%' IDENTIFIED BY '$(sql_string "$MYSQL_PASSWORD")';"
            if [ -n "${MYSQL_DATABASE:-}" ]; then
                echo "GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '$(sql_string "$MYSQL_USER")'@'%';"
            fi
        fi
        echo "FLUSH PRIVILEGES;"
    } | mariadb --socket="$socket" -uroot
    log "Stopping temporary server"
    kill "$pid"
    wait "$pid" || true
    log "Database files initialized; starting the server"
fi
exec mariadbd --user=mysql --datadir="$datadir" "$@"
