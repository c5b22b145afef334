#!/usr/bin/env bash
# Set everything up and run all tests: lint, security scan, unit, integration
# on SQLite / SQLite-ODBC / PostgreSQL-ODBC / MariaDB-ODBC, and the browser tests.
# Extra arguments go to pytest (e.g. scripts/test.sh -k rent).
source "$(dirname "$0")/common.sh"
cd "$ROOT"

# ODBC drivers, headless Chromium, Node (for axe-core), database servers.
apt_install unixodbc odbcinst libsqliteodbc odbc-postgresql odbc-mariadb chromium chromium-driver zbar-tools
# FreeTDS: the SQL Server driver Debian has (tests: it loads, an absent server is one line).
apt_install tdsodbc
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

# Test access to the servers. The tests connect over TCP as postgres / root without a
# password (how CI machines are set up). Where a fresh install refuses that, a test admin
# account gets a new random password and its ODBC string goes to var/test-servers.env,
# which tests/backends.py reads (GATEWAY_TEST_POSTGRESQL / GATEWAY_TEST_MARIADB override it).
ACCESS="$ROOT/var/test-servers.env"
mkdir -p "$ROOT/var"
( umask 077; : > "$ACCESS" )
new_password() { od -An -N18 -tx1 /dev/urandom | tr -d ' \n'; }
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null \
   && ! psql -h 127.0.0.1 -p 5432 -U postgres -w -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
  echo ">> PostgreSQL refuses postgres without a password: using role portal_test_admin"
  pw="$(new_password)"
  (cd / && as_root runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -d postgres \
     -c "DO \$\$BEGIN CREATE ROLE portal_test_admin; EXCEPTION WHEN duplicate_object THEN NULL; END\$\$" \
     -c "ALTER ROLE portal_test_admin LOGIN CREATEDB CREATEROLE PASSWORD '$pw'" \
     -c "GRANT pg_signal_backend TO portal_test_admin") \
  && echo "GATEWAY_TEST_POSTGRESQL=DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;UID=portal_test_admin;PWD=$pw" >> "$ACCESS"
fi
if (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null \
   && ! mariadb -h 127.0.0.1 -P 3306 -u root -e 'SELECT 1' >/dev/null 2>&1; then
  echo ">> MariaDB refuses root without a password: using user portal_test_admin"
  pw="$(new_password)"
  sql=""
  for host in 127.0.0.1 localhost; do
    sql+="CREATE USER IF NOT EXISTS 'portal_test_admin'@'$host'; "
    sql+="ALTER USER 'portal_test_admin'@'$host' IDENTIFIED BY '$pw'; "
    sql+="GRANT ALL PRIVILEGES ON *.* TO 'portal_test_admin'@'$host' WITH GRANT OPTION; "
  done
  as_root mariadb -e "$sql" \
  && echo "GATEWAY_TEST_MARIADB=DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=3306;UID=portal_test_admin;PWD=$pw;CHARSET=utf8mb4" >> "$ACCESS"
fi

# A private odbcinst.ini: Debian's turns on psqlODBC's CommLog (a log file per process).
mkdir -p "$ROOT/var/odbc"
sed 's/^\(\s*CommLog\s*=\s*\)1\s*$/\10/' /etc/odbcinst.ini > "$ROOT/var/odbc/odbcinst.ini"
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
echo ">> lint-imports (layer rules in setup.cfg)"
"$VENV/bin/lint-imports" --no-cache >/dev/null || "$VENV/bin/lint-imports" --no-cache
echo ">> bandit (medium and high)"
"$VENV/bin/bandit" -q -r gateway -ll
echo ">> pytest"
exec "$VENV/bin/python" -m pytest "$@"
