#!/usr/bin/env bash
# Audit writes per second that `assay serve` takes on the PostgreSQL store from concurrent writers (CI jobs
# pushing audits). Each writer POSTs copies of the example's real audit (one per request, unique ids) to
# /api/v1/runs with a write token, as `assay push` does; every pushed run is stored with its metric history.
#   bash Benchmarks/postgres-ingest.sh [WRITERS] [RUNS_PER_WRITER]
# Needs a PostgreSQL server: ASSAY_BENCH_POSTGRES_URL, else a throwaway cluster is started (Debian's
# postgresql, as root). Uses the assay binary from ASSAY_BIN, else .build/release/assay, else .build/debug/assay.
set -euo pipefail
cd "$(dirname "$0")/.."
writers=${1:-16}
per_writer=${2:-50}
assay=${ASSAY_BIN:-$( [ -x .build/release/assay ] && echo .build/release/assay || echo .build/debug/assay )}
assay=$(readlink -f "$assay")
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -n "${pg_bin:-}" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { local p=$1; while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done; echo "$p"; }

url=${ASSAY_BENCH_POSTGRES_URL:-}
if [ -z "$url" ]; then
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    mkdir -p "$work/pg" && chown postgres "$work/pg"
    port=$(free_port 56432)
    runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg/data" --auth=trust -U postgres >/dev/null
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w \
        -o "-p $port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -q -c "CREATE USER assay PASSWORD 'assay'" -c "CREATE DATABASE assay OWNER assay"
    url="postgres://assay:assay@127.0.0.1:$port/assay"
fi

# A real audit to push: the example's, read back from a server on its SQLite store.
cp -R Examples/InferenceService "$work/example"
rm -rf "$work/example/.assay" "$work/example/assay-report"
(cd "$work/example" && "$assay" audit --output report >/dev/null) || true
sqlite_port=$(free_port 9480)
"$assay" serve --config "$work/example/assay.yaml" --listen "127.0.0.1:$sqlite_port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$sqlite_port/api/v1/runs/latest" -o "$work/run.json" 2>/dev/null && break; sleep 0.1; done

mkdir -p "$work/server"
printf 'version: 1\nstore:\n  kind: postgres\n  url: %s\n' "$url" > "$work/server/assay.yaml"
token=$(cd "$work/server" && "$assay" token create bench)
port=$(free_port 9490)
(cd "$work/server" && exec "$assay" serve --listen "127.0.0.1:$port" --writes-per-minute 1000000 --max-body-bytes 16777216 >"$work/serve.log" 2>&1) &
pids+=($!)
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/api/v1/runs" >/dev/null 2>&1 && break; sleep 0.1; done

python3 - "$work/run.json" "http://127.0.0.1:$port" "$token" "$writers" "$per_writer" <<'PY'
import http.client, json, sys, threading, time, urllib.parse
template, base, token, writers, per_writer = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
run = json.load(open(template))
findings = sum(len(layer.get("findings", [])) for layer in run.get("layers", []))
host = urllib.parse.urlparse(base)
bodies = []
for w in range(writers):
    for i in range(per_writer):
        run["id"] = f"bench-{w}-{i}"
        bodies.append(json.dumps(run).encode())
errors, latencies, lock = [], [], threading.Lock()
def writer(w):
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    for i in range(per_writer):
        t = time.perf_counter()
        connection.request("POST", "/api/v1/runs", body=bodies[w * per_writer + i],
                           headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        response = connection.getresponse(); response.read()
        with lock:
            latencies.append(time.perf_counter() - t)
            if response.status != 201: errors.append(response.status)
threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - start
latencies.sort()
total = writers * per_writer
print(f"{total} audits ({findings} findings each) from {writers} concurrent writers in {elapsed:.2f} s: "
      f"{total / elapsed:.0f} audit writes/s, p50 {latencies[len(latencies)//2]*1000:.1f} ms, "
      f"p99 {latencies[int(len(latencies)*0.99)]*1000:.1f} ms, errors {len(errors)} {sorted(set(errors))}")
PY
stored=$(curl -fsS "http://127.0.0.1:$port/api/v1/runs?limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')
metrics=$(curl -fsS "http://127.0.0.1:$port/api/v1/metrics" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["metrics"]))')
echo "stored runs listed: $stored (limit 1000); metrics with history: $metrics"
