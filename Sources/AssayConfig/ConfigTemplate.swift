/// The commented `assay.yaml` that `assay init` writes. Every threshold appears with its default.
public enum ConfigTemplate {
    public static func text(service: String = "inference-service") -> String {
        """
        # assay.yaml — what Assay audits and the thresholds it judges by.
        # Relative paths are resolved against this file's directory (or workspace.root).
        version: 1

        workspace:
          # Name shown in the report title.
          service: \(service)
          # Deployment environments and where their manifests and artifacts live.
          environments:
            staging:
              manifest: envs/staging/env_manifest.yaml
            production:
              manifest: envs/production/env_manifest.yaml
          # Components whose bytes must match an approved sha256. A component without one is unverified.
          # kind: image | dataset | model | lockfile | config | other
          artifacts: []
          #  - name: model weights
          #    kind: model
          #    path: model/weights.json
          #    version: v1.0.0
          #    approved_sha256: 0000000000000000000000000000000000000000000000000000000000000000
          # Recordings (telemetry, latency logs, traces, capacity) older than this at audit time are stale: not verified.
          max_evidence_age_hours: 24
          # fixtures: true                    # recordings replayed on purpose: marked "recorded <day>, replayed"
          # Approvals file: path → approved sha256, with who, when and why (used when approved_sha256 is absent).
          # approvals: approvals.yaml
          # Registries the deployed model and data are held against (REPRODUCIBILITY STATUS rows).
          # registries:
          #   models: model_registry.json      # {"models": [{"name", "version", "path", "sha256"}]}
          #   datasets: data_manifest.yaml     # datasets: [{name, version, path, sha256}]
          #   dvc: [data/data.xml.dvc, dvc.lock]   # outputs' md5 as DVC 3 computes it (directories too)
          # Changes that fail the staging/production drift check whatever the percentage.
          drift_gates: []
          # The inference command reproducibility runs, each time in a fresh working directory.
          # {seed}, {output} (that directory), {root} (the workspace root), {run} and {assay_dir}
          # (the directory of the assay binary) are substituted.
          # inference:
          #   command: [python, "{root}/infer.py", --seed, "{seed}", --out, "{output}/predictions.jsonl"]
          #   seed: 42
          #   outputs: [predictions.jsonl]        # files or directories, relative to {output}
          #   timeout_seconds: 300
          #   environment: {PYTHONHASHSEED: "0"}
          #   compare_stdout: false               # stdout must match too
          #   variations: [tz, locale, home, umask, cwd, threads, env-order]   # one extra run each, reprotest-style
          #   expected_outputs: {predictions.jsonl: <sha256>}       # approved output digests (assay repro verify)
          #   manifest: env_manifest.yaml         # its digest is recorded with each check
          #   log: .assay/reproducibility_logs.json
          #   ticket: .assay/rebuild_ticket.md
          # Per-request latency logs (JSON lines, .csv, profiling_report.json, runtime_perf.log in logfmt)
          # and profiler traces (Chrome trace format).
          # latency:
          #   logs: [logs/latency.jsonl]
          #   previous_logs: [logs/latency.previous.jsonl]
          #   traces: [traces/profiler_trace.json]
          #   previous_traces: [traces/profiler_trace.previous.json]   # Regression column of BOTTLENECK ANALYSIS
          #   perf_stat: perf/perf_stat.txt        # perf stat output; cache misses are "not measured" without it
          #   stages: [preprocess, inference, postprocess]
          #   fields: {request_id: req, inference_ms: forward_ms}   # when the logs name columns differently
          # Capacity: a load test written by `assay capacity measure`, and the load to project from.
          # capacity:
          #   measurement: capacity.json
          #   current_rps: 120                  # default: the latency logs' throughput
          # assay audit --live: start the service, drive it at capacity.current_rps, audit what it measured.
          # Each response's Server-Timing header gives the stages; evidence goes to .assay/live/<stamp>/.
          # live:
          #   command: [.venv/bin/uvicorn, "service:app", --host, 127.0.0.1, --port, "{port}"]
          #   url: http://127.0.0.1:{port}
          #   ready_path: /healthz
          #   request_path: /predict
          #   body: '{"inputs": [1, 2, 3]}'
          #   environment: {PROFILE_DIR: "{evidence}/traces"}
          #   window_seconds: 60
          #   warmup_seconds: 5
          #   capacity_step_seconds: 8
          #   traces: "{evidence}/traces"      # where the service writes profiler traces
          #   keep_runs: 20                      # older evidence directories under .assay/live are removed
          # telemetry:
          #   files: [telemetry/samples.jsonl]
          #   sample_interval_seconds: 1
          #   uptime_logs: [telemetry/uptime_monitor.log]   # written by assay uptime probe
          #   agent_hours: 24                    # the last 24 h of assay agent samples from the store
          uptime: []
          #  - name: predict endpoint
          #    url: http://127.0.0.1:8080/healthz
          #    interval_seconds: 30
          #    timeout_seconds: 5

        # Where results are kept: embedded SQLite (default) or PostgreSQL (kind: postgres, url: postgres://…).
        store:
          kind: sqlite
          path: .assay/assay.sqlite

        integrations:
          # mlflow:
          #   tracking_uri: http://127.0.0.1:5000
          #   experiment: assay               # audits are logged here when log_audits is true
          #   log_audits: false               # one MLflow run per audit: params, metrics, the report files
          #   verify_runs: []                 # runs `assay repro verify` checks
          #   models:                         # registered models whose files must equal what is deployed
          #     - {uri: "models:/classifier@production", path: model/}
          #   expected:
          #     git_commit: 0123abcd…         # tag mlflow.source.git.commit
          #     artifacts: {model/model.json: <sha256>}   # downloaded and hashed client-side
          # prometheus:
          #   url: http://127.0.0.1:9090
          #   scrape_interval: 60s            # default: the targets API's, else measured from the samples
          # alertmanager:
          #   url: http://127.0.0.1:9093
          webhooks: []

        # Every threshold, with its default.
        thresholds:
          environment:
            max_drift_percent: 0.5          # staging vs production, share of differing components
          reproducibility:
            runs: 3                         # runs of the inference command with the same seed
            absolute_tolerance: 1.0e-6      # numerically equal within these tolerances
            relative_tolerance: 1.0e-6
          resources:
            cpu_percent: 80
            gpu_percent: 90
            memory_percent: 85
            disk_io_mb_per_s: 500
            uptime_p95_percent: 99
            spike_rise_percent: 20          # a rise of more than this many points over the recent median is a spike,
            spike_floor_percent: 0          # if it also reaches this level (0: no floor)
            spike_persistence_samples: 2    # and lasts this many samples
            gpu_memory_growth_percent_per_hour: 5   # memory in use growing faster than this share of itself per hour
            sustained_load_percent: 85      # above this for sustained_seconds raises an alert
            sustained_seconds: 180
            sustained_clear_percent: 75     # a firing sustained-load alert clears only below this
            keep_firing_seconds: 0          # and keeps firing this long after load last stood above it
          latency:
            min_attributed_percent: 90      # trace time attributed to named components
            max_unknown_percent: 10         # "unknown" above this is flagged
            max_gpu_idle_percent: 50        # GPU idle share of its active window in a trace
            optimization_min_p95_drop_ms: 2 # an optimization counts only if CI95 excludes 0 and P95 drops this much
            confidence_level: 0.95
            bootstrap_resamples: 10000
            bootstrap_seed: 20251014
            bootstrap_block_length: 1       # >1: circular block bootstrap for correlated request series
            min_samples_p95: 400            # fewer samples: "insufficient samples", not a number
            min_samples_p99: 2000
          regression:
            p95_over_baseline_ms: 5
            mean_increase_percent: 10
            throughput_drop_rps: 20
            min_delta_ms: 0.5               # smaller absolute changes are never regressions
            escalate_after_seconds: 180     # a regression sustained longer escalates
          baseline:
            window_days: 7
            min_runs: 3                     # runs in the window before a baseline is reported
            change_point_max_p: 0.001       # Welch t-test p-value a change point must reach
            change_point_window: 4          # runs a change point needs on either side
          capacity:
            projections_percent: [5, 20]    # traffic growth scenarios
            peak_utilization_percent: 95
          report:
            summary_max_words: 250
            review_interval_hours: 24

        # Layers that must have run for any verdict but AT RISK.
        verdict:
          required_layers: [environment, reproducibility, resources, latency]

        report:
          output: assay-report
          formats: [markdown, json, html]

        """
    }
}
