#!/usr/bin/env bash
# Set everything up and run all tests: lint, security scan, unit, integration
# on SQLite / SQLite-ODBC / PostgreSQL-ODBC / MariaDB-ODBC, and the browser tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k rent).
source "$(dirname "$0")/common.sh"
cd "$ROOT"

# ODBC drivers, headless Chromium, Node (for axe-core), database servers.
apt_install unixodbc odbcinst libsqliteodbc odbc-postgresql odbc-mariadb chromium chromium-driver
command -v npm >/dev/null || apt_install nodejs npm
command -v pg_ctlcluster >/dev/null || apt_install postgresql
[ -x /usr/sbin/mariadbd ] || apt_install mariadb-server

# Start the servers when installed but not running.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  for v in $(ls /etc/postgresql 2>/dev/null); do
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null; then
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null && break
  sleep 1
done

# A private odbcinst.ini: Debian's turns on psqlODBC's CommLog (a log file per process).
mkdir -p "$ROOT/var/odbc"
sed 's/^CommLog=1/CommLog=0/' /etc/odbcinst.ini > "$ROOT/var/odbc/odbcinst.ini"
export ODBCSYSINI="$ROOT/var/odbc"

# axe-core for the accessibility checks (from the npm registry, loaded by the tests).
if [ ! -f "$ROOT/var/node/node_modules/axe-core/axe.min.js" ]; then
  echo ">> installing axe-core from npm"
  npm install --silent --no-audit --no-fund --prefix "$ROOT/var/node" axe-core@4 >/dev/null
fi
export AXE_JS="$ROOT/var/node/node_modules/axe-core/axe.min.js"

ensure_venv test
echo ">> ruff"
"$VENV/bin/ruff" check .
echo ">> bandit (medium and high)"
"$VENV/bin/bandit" -q -r gateway -ll
echo ">> pytest"
exec "$VENV/bin/python" -m pytest "$@"
