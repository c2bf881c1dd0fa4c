#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks.
#
#   scripts/postgres.sh start DIR   # initdb in DIR, start it, print its URL
#   scripts/postgres.sh stop DIR    # stop it (DIR can then be deleted)
#
# The cluster listens on 127.0.0.1 at a free port, trusts local
# connections (it holds test data only) and keeps PostgreSQL's durable
# defaults (fsync on, synchronous commit). PostgreSQL refuses to run as
# root: when this script runs as root, the cluster belongs to the
# `postgres` user (or `nobody` where there is none). PostgreSQL 15 ships in
# the machine image under /usr/lib/postgresql; elsewhere it is installed
# from the distribution.
set -euo pipefail
action=${1:?start or stop}
dir=${2:?a directory for the cluster}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
  "${as_root[@]}" apt-get update >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  getent passwd postgres >/dev/null || owner=nobody
  as_owner=(runuser -u "$owner" --)
else
  owner=$(id -un)
  as_owner=()
fi

case "$action" in
  start)
    mkdir -p "$dir"
    chown "$owner" "$dir" 2>/dev/null || true
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U tiercare -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >&2
    echo "postgres://tiercare@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
