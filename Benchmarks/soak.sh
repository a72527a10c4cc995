#!/usr/bin/env bash
# Soak: the agent (release, sampling at 1 Hz into SQLite), `assay serve` (release) under wrk, the example
# service under wrk POST load with `assay watch` following its latency log, for MINUTES (default 30).
# Every 10 s the script records each process's RSS; at the end it prints start and end RSS, the least-squares
# slope (MB/hour), request errors, agent samples expected against stored, and whether every process survived.
#   swift build && swift build -c release --package-path Benchmarks && bash Benchmarks/soak.sh [MINUTES]
# SOAK_OUT=DIR keeps the RSS series (rss.csv), the watch's output and wrk's reports there.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"
bench=Benchmarks/.build/release
debug=.build/debug
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
agent_port=$(port); serve_port=$(port); example_port=$(port)

"$bench/agent-probe" "$agent_port" "$work/assay.sqlite" >/dev/null 2>&1 & agent=$!
"$bench/serve-probe" "$serve_port" "$work/assay.sqlite" "$work" >/dev/null 2>&1 & server=$!
"$debug/assay-example" serve --model Examples/InferenceService/model/model.json --port "$example_port" \
    --latency-log "$work/latency.jsonl" >/dev/null 2>&1 & example=$!
sleep 3
"$debug/assay" watch --log "$work/latency.jsonl" --baseline-log Examples/InferenceService/runs/latency.jsonl \
    --interval 15 --window 60 --state "$work/watch.json" --config "$work/none.yaml" >"$work/watch.log" 2>&1 & watch=$!
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"id":"soak-' .. counter .. '","features":[1,0,2,1,-1,0,1,2]}')
end
LUA
started=$(date +%s)
wrk -t1 -c4 -d"${minutes}m" -s "$work/post.lua" "http://127.0.0.1:$example_port/v1/predict" >"$work/wrk-example.txt" 2>&1 &
wrk -t1 -c8 -d"${minutes}m" "http://127.0.0.1:$serve_port/api/v1/runs?limit=20" >"$work/wrk-serve.txt" 2>&1 &
rss() { awk '/VmRSS/{print $2/1024}' "/proc/$1/status" 2>/dev/null || echo "dead"; }
echo "t_s,agent_mb,server_mb,example_mb,watch_mb" >"$work/rss.csv"
end=$((started + minutes * 60))
while [ "$(date +%s)" -lt "$end" ]; do
    echo "$(( $(date +%s) - started )),$(rss $agent),$(rss $server),$(rss $example),$(rss $watch)" >>"$work/rss.csv"
    sleep 10
done
sleep 5
[ -n "${SOAK_OUT:-}" ] && mkdir -p "$SOAK_OUT" && cp "$work/rss.csv" "$work/watch.log" "$work"/wrk-*.txt "$SOAK_OUT/"
echo "soak: ${minutes} min"
python3 - "$work/rss.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for name in ["agent_mb", "server_mb", "example_mb", "watch_mb"]:
    points = [(float(r["t_s"]), float(r[name])) for r in rows if r[name] != "dead"]
    alive = len(points) == len(rows)
    if len(points) < 2:
        print(f"  {name[:-3]:8} DIED at the start")
        continue
    def slope(points):
        n = len(points); mx = sum(t for t, _ in points) / n; my = sum(v for _, v in points) / n
        return 3600 * sum((t - mx) * (v - my) for t, v in points) / max(1e-9, sum((t - mx) ** 2 for t, _ in points))
    # The second half too: a process that fills a window or a cache first (watch, SQLite's page cache) grows while
    # it warms up, and only a slope after that says whether it keeps growing.
    later = points[len(points) // 2:]
    print(f"  {name[:-3]:8} RSS start {points[0][1]:.1f} MB, end {points[-1][1]:.1f} MB, slope {slope(points):+.2f} MB/hour"
          f" ({slope(later):+.2f} over the second half), {'alive throughout' if alive else 'DIED'}")
PY
for f in wrk-example wrk-serve; do
    echo "  $f: $(grep -E 'requests in' "$work/$f.txt" | xargs), $(grep -E 'Requests/sec' "$work/$f.txt" | xargs), errors: $(grep -E 'Non-2xx|Socket errors' "$work/$f.txt" | xargs || true)"
done
stored=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from resource_sample where resolution='raw'\").fetchone()[0])" "$work/assay.sqlite")
echo "  agent samples: $stored stored of about $((minutes * 60)) expected (1 Hz, each written as it is taken)"
echo "  watch: $(wc -l <"$work/watch.log") evaluations, $(grep -c -i error "$work/watch.log" || true) error lines"
