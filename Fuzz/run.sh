#!/usr/bin/env bash
# Builds every libFuzzer target (with AddressSanitizer) and runs each for SECONDS (default 60), seeded with the
# real files the tests use; crashes land in Fuzz/crashes/<target>/ and make the script fail.
#   bash Fuzz/run.sh [SECONDS] [TARGET...]       (FUZZ_CONFIGURATION=debug builds faster, runs slower; CI uses it)
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(trace lockfile config prometheus nvidia-smi latency oci tar loadtest telemetry ingest)
flags=(-c "${FUZZ_CONFIGURATION:-release}" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld)
for target in "${targets[@]}"; do swift build "${flags[@]}" --product "fuzz-$target"; done
bin="$(swift build "${flags[@]}" --show-bin-path)"

# Seed corpora: the real files the tests read, by target.
seed() {
    local target="$1"; shift
    mkdir -p "corpus/$target"
    for file in "$@"; do [ -f "$file" ] && cp "$file" "corpus/$target/" 2>/dev/null || true; done
}
root=..
seed trace $root/Examples/InferenceService/runs/trace.json
seed lockfile $root/Tests/AssayEnvironmentTests/Fixtures/*.lock $root/Tests/AssayEnvironmentTests/Fixtures/*.json $root/Tests/AssayEnvironmentTests/Fixtures/*.yml $root/Tests/AssayEnvironmentTests/Fixtures/go.sum
seed config $root/Examples/InferenceService/assay.yaml
seed prometheus $root/Tests/AssayServingTests/Fixtures/*_metrics.txt $root/Tests/AssayTelemetryTests/Fixtures/node_exporter_1.5.0_metrics.prom
seed nvidia-smi $root/Tests/AssayTelemetryTests/Fixtures/gpu/* $root/Tests/AssayIntegrationsTests/Fixtures/gpu/*
seed latency $root/Examples/InferenceService/runs/latency.jsonl
seed loadtest $root/Tests/AssayServingTests/Fixtures/*.csv $root/Tests/AssayServingTests/Fixtures/wrk_latency.txt $root/Tests/AssayServingTests/Fixtures/triton_stats_batching.json
seed telemetry $root/Examples/InferenceService/runs/telemetry.jsonl
seed ingest $root/Tests/AssayServerTests/Fixtures/pushed-run.json

# Leaks inside Foundation itself are suppressed (Tests/Sanitizers/lsan.supp says which); any other leak fails the run.
export LSAN_OPTIONS="suppressions=$PWD/../Tests/Sanitizers/lsan.supp:print_suppressions=0"
status=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "crashes/$target"
    echo "== fuzz-$target for ${seconds}s"
    # Inputs that once crashed a target are replayed first (regressions/<target>, kept in git).
    corpora=("corpus/$target")
    [ -d "regressions/$target" ] && corpora+=("regressions/$target")
    # FoundationXML leaks a CFString for every malformed document (suppressed), and each suppressed leak costs
    # libFuzzer a full LeakSanitizer scan: 3 executions a second. Leak checking is off for that target alone.
    options=()
    [ "$target" = nvidia-smi ] && options+=(-detect_leaks=0)
    if ! "$bin/fuzz-$target" "${options[@]}" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="crashes/$target/" -print_final_stats=1 "${corpora[@]}" 2>"crashes/$target.log"; then
        echo "fuzz-$target found a crash: crashes/$target/"; status=1
    fi
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "crashes/$target.log" | sed "s/^/  /"
done
exit $status
