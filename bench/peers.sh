#!/bin/sh
# Shared by the benchmarks that compare khorasan with the PostGIS servers
# the field uses (bench/items.sh, bench/postgis.sh); source it, never run
# it. It starts a throwaway PostgreSQL cluster with PostGIS in $tmp (as the
# postgres user: initdb refuses root), loads the benchmark layers with
# ogr2ogr, builds pg_featureserv and pg_tileserv, and measures CPU.
# Loopback only. Callers set tmp (a temporary directory) and pgport.

pgbin=/usr/lib/postgresql/15/bin

# pg_start: a cluster in $tmp/pg on $pgport, database "bench" with PostGIS.
pg_start() {
	[ -x "$pgbin/initdb" ] || { echo "PostgreSQL 15 not found: make deps installs postgresql and postgresql-15-postgis-3"; exit 1; }
	mkdir -p "$tmp/pg"
	chown postgres "$tmp" "$tmp/pg" 2>/dev/null || true
	chmod 755 "$tmp"
	as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
	as_pg "$pgbin/initdb" -D "$tmp/pg/data" -U postgres -A trust >/dev/null
	# Settings of a small dedicated server; fsync off because nothing
	# here needs to survive a crash, and the peers' writes are not timed.
	as_pg "$pgbin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w -o "-p $pgport -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off -c jit=off" start >/dev/null
	psql_bench postgres -c 'CREATE DATABASE bench' >/dev/null
	psql_bench bench -c 'CREATE EXTENSION postgis' >/dev/null
	pgdsn="postgres://postgres@127.0.0.1:$pgport/bench?sslmode=disable"
}

pg_stop() {
	[ -f "$tmp/pg/data/postmaster.pid" ] || return 0
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg/data" -m fast stop >/dev/null 2>&1 || true
	else
		"$pgbin/pg_ctl" -D "$tmp/pg/data" -m fast stop >/dev/null 2>&1 || true
	fi
}

psql_bench() { # DB ARGS...
	db=$1
	shift
	"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres -d "$db" "$@"
}

# pg_load NAME FILE: a layer into PostGIS as ogr2ogr writes it (a serial
# primary key, geometry(…, 4326) with a GiST index), then ANALYZE.
pg_load() {
	ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$pgport user=postgres dbname=bench" "$2" \
		-nln "$1" -nlt PROMOTE_TO_MULTI -lco GEOMETRY_NAME=geom -lco FID=fid -t_srs EPSG:4326 2>/dev/null ||
		ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$pgport user=postgres dbname=bench" "$2" \
			-nln "$1" -lco GEOMETRY_NAME=geom -lco FID=fid -t_srs EPSG:4326
	psql_bench bench -c "ANALYZE $1" >/dev/null
}

# peers_build: pg_featureserv from the Go module proxy's zip of v1.3.1
# (go install refuses it: the proxy lists no versions of the module, and
# go install asks for that list), pg_tileserv from $PG_TILESERV or
# go install. Either may be missing: the caller then leaves its rows out
# and says so.
peers_build() {
	featureserv="" tileserv=""
	if [ -n "${PG_FEATURESERV:-}" ]; then
		featureserv=$PG_FEATURESERV
	elif command -v pg_featureserv >/dev/null; then
		featureserv=$(command -v pg_featureserv)
	else
		mkdir -p "$tmp/fs"
		if curl -sf -o "$tmp/fs/src.zip" "https://proxy.golang.org/github.com/%21crunchy%21data/pg_featureserv/@v/v1.3.1.zip" &&
			(cd "$tmp/fs" && unzip -q src.zip && cd github.com/CrunchyData/pg_featureserv@v1.3.1 && go build -o "$tmp/pg_featureserv" .); then
			featureserv=$tmp/pg_featureserv
		fi
	fi
	if [ -n "${PG_TILESERV:-}" ]; then
		tileserv=$PG_TILESERV
	elif command -v pg_tileserv >/dev/null; then
		tileserv=$(command -v pg_tileserv)
	elif GOBIN="$tmp" go install github.com/CrunchyData/pg_tileserv@latest 2>/dev/null; then
		tileserv=$tmp/pg_tileserv
	fi
	[ -n "$featureserv" ] || echo "pg_featureserv could not be built: set PG_FEATURESERV to its binary"
	[ -n "$tileserv" ] || echo "pg_tileserv is not served by the Go module proxy here: build it from its source (github.com/CrunchyData/pg_tileserv, go build) and set PG_TILESERV to the binary"
}

# featureserv_start PORT: pg_featureserv with a pool larger than the
# clients' 32 connections (its default pool deadlocks under load).
featureserv_start() {
	cat > "$tmp/featureserv.toml" <<EOF
[Server]
HttpHost = "127.0.0.1"
HttpPort = $1
[Database]
DbConnection = "$pgdsn"
DbPoolMaxConns = 40
DbPoolMinConns = 8
[Paging]
LimitDefault = 10
LimitMax = 10000
EOF
	"$featureserv" --config "$tmp/featureserv.toml" >"$tmp/featureserv.log" 2>&1 &
	featureserv_pid=$!
	wait_http "http://127.0.0.1:$1/collections.json"
}

tileserv_start() {
	cat > "$tmp/tileserv.toml" <<EOF
HttpHost = "127.0.0.1"
HttpPort = $1
DbConnection = "$pgdsn"
DbPoolMaxConns = 40
CacheTTL = 0
EOF
	"$tileserv" --config "$tmp/tileserv.toml" >"$tmp/tileserv.log" 2>&1 &
	tileserv_pid=$!
	wait_http "http://127.0.0.1:$1/index.json"
}

wait_http() {
	for _ in $(seq 150); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done
	echo "no answer from $1"
	exit 1
}

# cpu_ticks PID...: user+system clock ticks of the processes so far.
cpu_ticks() {
	t=0
	for pid in "$@"; do
		# A process may end between the listing and the read.
		v=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
		[ -n "$v" ] && t=$((t + v))
	done
	echo "$t"
}

# pg_ticks: the CPU clock ticks of the whole cluster so far: the
# postmaster's own and its reaped children's (backends that ended), and
# those of the backends alive now.
pg_ticks() {
	master=$(head -1 "$tmp/pg/data/postmaster.pid")
	t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$master/stat")
	for pid in $(pgrep -P "$master"); do
		v=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || continue
		[ -n "$v" ] && t=$((t + v))
	done
	echo "$t"
}

# bboxes N W S E SIZE: N distinct bboxes of SIZE degrees inside W,S,E,N
# (a fixed seed, so each run asks the same).
bboxes() {
	awk -v n="$1" -v w="$2" -v s="$3" -v e="$4" -v nn="$5" -v size="$6" 'BEGIN {
		srand(1)
		for (i = 0; i < n; i++) {
			x = w + rand() * (e - w - size); y = s + rand() * (nn - s - size)
			printf "%.3f,%.3f,%.3f,%.3f\n", x, y, x + size, y + size
		}
	}'
}

# report NAME URL LIST PIDS...: one wrk run at 32 connections over the
# paths in LIST, with the CPU seconds of the given processes meanwhile.
report() {
	name=$1 url=$2 list=$3
	shift 3
	before=$(cpu_ticks "$@")
	pgbefore=$(pg_ticks)
	out=$(wrk -t2 -c32 -d"$duration" --latency -s bench/tiles.lua "$url" -- "$list")
	after=$(cpu_ticks "$@")
	pgafter=$(pg_ticks)
	hz=$(getconf CLK_TCK)
	echo "$out" | awk -v name="$name" -v cpu="$(( (after - before) * 100 / hz ))" -v pg="$(( (pgafter - pgbefore) * 100 / hz ))" '
		/Requests\/sec/ {rps=$2}
		/^ +50%/ {p50=$2}
		/^ +99%/ {p99=$2}
		/Non-2xx/ {bad=$0}
		/Socket errors/ {bad=bad " " $0}
		END {printf "| %-36s | %9s | %8s | %8s | %7.2f s | %7.2f s | %s\n", name, rps, p50, p99, cpu / 100, pg / 100, bad}'
}

report_header() {
	echo "| run ($duration, wrk -t2 -c32) | req/s | p50 | p99 | server CPU | PostgreSQL CPU | errors"
	echo "|---|---:|---:|---:|---:|---:|---|"
}
