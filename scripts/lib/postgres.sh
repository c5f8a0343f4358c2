# Sourced by scripts/test and scripts/bench: starts a throw-away PostgreSQL cluster on 127.0.0.1 (port below the
# ephemeral range), exports FLEETWARD_TEST_POSTGRES, and stops and removes it on exit.
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_dir="$(mktemp -d /tmp/fleetward-pg.XXXXXX)"
as_pg() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_postgres() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
if [[ $EUID -eq 0 ]]; then chown postgres:postgres "$pg_dir"; fi
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_port=""
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 12000))
  if port_free "$candidate"; then pg_port=$candidate; break; fi
done
if [[ -z "$pg_port" ]]; then echo "no free port for PostgreSQL" >&2; exit 1; fi
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U fleetward --auth=trust -E UTF8 --no-instructions >"$pg_dir/initdb.log"
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-k $pg_dir -p $pg_port -c listen_addresses=127.0.0.1 -c max_connections=300 ${FLEETWARD_PG_EXTRA_OPTIONS:-}" start >/dev/null
export FLEETWARD_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=fleetward;Database=postgres"
