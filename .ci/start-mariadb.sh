#!/usr/bin/env bash
# Start a local MariaDB for the shared-MLMD integration test and print the env it needs.
# Used by .ci/run and `make mariadb`; installs Debian's mariadb-server when it is missing.
# Usage: eval "$(bash .ci/start-mariadb.sh)"
set -euo pipefail
DB=tfxkit_ci USER_NAME=tfxkit PASSWORD=tfxkit-ci-password
if ! command -v mariadbd >/dev/null 2>&1; then
  echo "installing mariadb-server ..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >&2
fi
if ! mariadb-admin ping --silent >/dev/null 2>&1; then
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  (mysqld_safe --user=mysql --bind-address=127.0.0.1 >/dev/null 2>&1 &)
  for _ in $(seq 1 60); do mariadb-admin ping --silent >/dev/null 2>&1 && break; sleep 0.5; done
fi
mariadb -uroot <<SQL >&2
CREATE DATABASE IF NOT EXISTS ${DB};
CREATE USER IF NOT EXISTS '${USER_NAME}'@'127.0.0.1' IDENTIFIED BY '${PASSWORD}';
CREATE USER IF NOT EXISTS '${USER_NAME}'@'localhost' IDENTIFIED BY '${PASSWORD}';
GRANT ALL ON ${DB}.* TO '${USER_NAME}'@'127.0.0.1';
GRANT ALL ON ${DB}.* TO '${USER_NAME}'@'localhost';
SQL
echo "export TFXKIT_TEST_MYSQL=127.0.0.1:3306/${DB}/${USER_NAME}"
echo "export TFXKIT_MYSQL_PASSWORD=${PASSWORD}"
