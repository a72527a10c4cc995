-- The schema that Assay's SQLite store had after migration v8-finding-events, as GRDB's table builder wrote it
-- (sqlite_master of a store created at commit be4db4e). Stores created by those versions look exactly like this.
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "run" ("id" TEXT PRIMARY KEY NOT NULL, "started_at" DATETIME NOT NULL, "finished_at" DATETIME NOT NULL, "config_path" TEXT NOT NULL, "config_sha256" TEXT NOT NULL, "verdict" TEXT NOT NULL, "reasons" TEXT NOT NULL, "assay_version" TEXT NOT NULL, "mlflow_run_id" TEXT, "host" TEXT);
CREATE INDEX "run_started_at" ON "run"("started_at");
CREATE TABLE "layer_result" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "runId" TEXT NOT NULL REFERENCES "run"("id") ON DELETE CASCADE, "layer" TEXT NOT NULL, "verified" BOOLEAN NOT NULL, "reason" TEXT, "started_at" DATETIME NOT NULL, "duration_seconds" DOUBLE NOT NULL, UNIQUE ("runId", "layer"));
CREATE INDEX "layer_result_on_runId" ON "layer_result"("runId");
CREATE TABLE "finding" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "layer_resultId" INTEGER NOT NULL REFERENCES "layer_result"("id") ON DELETE CASCADE, "position" INTEGER NOT NULL, "report_table" TEXT NOT NULL, "check_name" TEXT NOT NULL, "status" TEXT NOT NULL, "observed" TEXT NOT NULL, "expected" TEXT, "severity" TEXT NOT NULL, "measurements" TEXT NOT NULL, "attributes" TEXT NOT NULL, "status_label" TEXT, "verified_by" TEXT, "recommendation" TEXT, "events" TEXT);
CREATE INDEX "finding_on_layer_resultId" ON "finding"("layer_resultId");
CREATE TABLE "evidence" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "findingId" INTEGER NOT NULL REFERENCES "finding"("id") ON DELETE CASCADE, "position" INTEGER NOT NULL, "path" TEXT NOT NULL, "sha256" TEXT NOT NULL, "locator" TEXT, "mlflow_run_id" TEXT, "git_commit" TEXT);
CREATE INDEX "evidence_on_findingId" ON "evidence"("findingId");
CREATE INDEX "evidence_sha256" ON "evidence"("sha256");
CREATE TABLE "repro_entry" ("id" TEXT PRIMARY KEY NOT NULL, "recorded_at" DATETIME NOT NULL, "seed" INTEGER NOT NULL, "reproducible" BOOLEAN NOT NULL, "payload" BLOB NOT NULL);
CREATE INDEX "repro_entry_recorded_at" ON "repro_entry"("recorded_at");
CREATE TABLE "optimization" ("id" TEXT PRIMARY KEY NOT NULL, "name" TEXT NOT NULL, "applied_at" DATETIME NOT NULL, "accepted" BOOLEAN NOT NULL, "delta_p95_ms" DOUBLE NOT NULL, "ci95_low_ms" DOUBLE NOT NULL, "ci95_high_ms" DOUBLE NOT NULL, "reason" TEXT NOT NULL, "baseline_path" TEXT NOT NULL, "baseline_sha256" TEXT NOT NULL, "candidate_path" TEXT NOT NULL, "candidate_sha256" TEXT NOT NULL, "mlflow_run_id" TEXT, "git_commit" TEXT);
CREATE TABLE "metric_point" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "metric" TEXT NOT NULL, "value" DOUBLE NOT NULL, "recorded_at" DATETIME NOT NULL, "run_id" TEXT NOT NULL, "environment_digest" TEXT, "git_commit" TEXT, "mlflow_run_id" TEXT);
CREATE INDEX "metric_point_metric_time" ON "metric_point"("metric", "recorded_at");
CREATE TABLE "environment_state" ("digest" TEXT PRIMARY KEY NOT NULL, "components" TEXT NOT NULL);
CREATE TABLE "resource_sample" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "resolution" TEXT NOT NULL, "recorded_at" DATETIME NOT NULL, "payload" BLOB NOT NULL);
CREATE INDEX "resource_sample_resolution_time" ON "resource_sample"("resolution", "recorded_at");
CREATE TABLE "api_token" ("sha256" TEXT PRIMARY KEY NOT NULL, "name" TEXT NOT NULL UNIQUE, "created_at" DATETIME NOT NULL, "revoked_at" DATETIME);
INSERT INTO grdb_migrations VALUES ('v1-runs-layers-findings-evidence');
INSERT INTO grdb_migrations VALUES ('v2-run-mlflow-run-id');
INSERT INTO grdb_migrations VALUES ('v3-repro-entries');
INSERT INTO grdb_migrations VALUES ('v4-optimizations');
INSERT INTO grdb_migrations VALUES ('v5-metric-history');
INSERT INTO grdb_migrations VALUES ('v6-resource-samples');
INSERT INTO grdb_migrations VALUES ('v7-run-host-api-tokens');
INSERT INTO grdb_migrations VALUES ('v8-finding-events');
