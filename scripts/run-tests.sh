#!/usr/bin/env bash
# Run ruff, then pytest once per database (SQLite, PostgreSQL, MariaDB), each on a fresh database
# that is dropped afterwards, even when the run fails. Called by `make test`.
#
# Environment:
#   DBS          databases to run on, in order (default "sqlite pg mysql")
#   PYTEST_ARGS  extra pytest arguments, e.g. "-k domains -x"
#   PYTEST_WORKERS  parallel pytest workers (default 2, one per core; 0 = no xdist)
#   PG_SERVER    user@host:port of PostgreSQL (default postgres@127.0.0.1:5432)
#   MYSQL_SERVER user@host:port of MariaDB/MySQL (default root@127.0.0.1:3306)
#   CI=true      an unreachable database server fails the run instead of skipping it
# Exit status: 0 only if ruff and every pytest run passed.
set -uo pipefail

cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=$VENV/bin/python
DBS=${DBS:-sqlite pg mysql}
PG_SERVER=${PG_SERVER:-postgres@127.0.0.1:5432}
MYSQL_SERVER=${MYSQL_SERVER:-root@127.0.0.1:3306}
read -r -a pytest_args <<< "${PYTEST_ARGS:-}"
# pytest-xdist workers (each gets its own database); PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS=${PYTEST_WORKERS:-2}
if [[ $PYTEST_WORKERS != 0 ]]; then
    pytest_args=(-n "$PYTEST_WORKERS" --dist loadfile "${pytest_args[@]}")
fi

declare -a summary=()
failed=0

record() { # name rc
    if [[ $2 -eq 0 ]]; then
        summary+=("$1: passed")
    else
        summary+=("$1: FAILED (exit $2)")
        failed=1
    fi
}

echo "=== ruff check ."
"$VENV/bin/ruff" check .
record "ruff check" $?

run_pytest() { # label [database URL]
    local label=$1 url=${2:-}
    echo "=== pytest on $label${url:+ ($url)}"
    if [[ -n $url ]]; then
        MODOBOA_TEST_DATABASE_URL=$url "$PY" -m pytest -p no:cacheprovider "${pytest_args[@]}"
    else
        env -u MODOBOA_TEST_DATABASE_URL "$PY" -m pytest -p no:cacheprovider "${pytest_args[@]}"
    fi
    record "pytest $label" $?
}

current_db=
drop_current() {
    [[ -n $current_db ]] || return 0
    "$PY" scripts/test_db.py drop "$current_db" || echo "warning: could not drop $current_db" >&2
    current_db=
}
# Ctrl-C or a kill must not leave a test database behind.
trap 'drop_current; exit 130' INT TERM

for db in $DBS; do
    case $db in
    sqlite)
        run_pytest sqlite
        continue ;;
    pg|postgresql)
        label=postgresql
        base="postgresql+psycopg://$PG_SERVER" query="" ;;
    mysql|mariadb)
        label=mariadb
        base="mysql+pymysql://$MYSQL_SERVER" query="?charset=utf8mb4" ;;
    *)
        echo "unknown database '$db' in DBS (use sqlite, pg, mysql)" >&2
        record "pytest $db" 2
        continue ;;
    esac
    # Unique per run: two checkouts testing at once must not share a database.
    name="modoboa_test_$(date +%s)_$$_${RANDOM}"
    url="$base/$name$query"
    if ! "$PY" scripts/test_db.py ping "$url"; then
        if [[ ${CI:-} == true ]]; then
            echo "$label server at ${base#*://} is not reachable (CI=true: failing)" >&2
            record "pytest $label" 1
        else
            echo "SKIPPED pytest on $label: server at ${base#*://} is not reachable" >&2
            summary+=("pytest $label: SKIPPED (server not reachable)")
        fi
        continue
    fi
    if ! "$PY" scripts/test_db.py create "$url"; then
        record "pytest $label (create database)" 1
        continue
    fi
    current_db=$url
    run_pytest "$label" "$url"
    drop_current
done

echo "=== summary"
printf '  %s\n' "${summary[@]}"
exit $failed
