#!/usr/bin/env bash
# Set everything up and run the portal on the embedded demo billing database.
# Leaves ./config.ini, so `gateway ...` commands run here act on this portal.
source "$(dirname "$0")/common.sh"
cd "$ROOT"
apt_install unixodbc  # pyodbc, the production driver bridge, loads libodbc
ensure_venv ""
"$VENV/bin/gateway" demo setup
exec "$VENV/bin/gateway" serve
