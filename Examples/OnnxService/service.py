"""The example's inference service: the CNN that model/build_model.py makes, served by ONNX Runtime behind FastAPI.

Each POST /predict runs three timed stages, preprocess → inference → postprocess, and answers with the W3C
Server-Timing header naming each (`preprocess;dur=0.41, inference;dur=5.2, postprocess;dur=0.05`, milliseconds).
Each request is also a line of the JSON-lines log (ASSAY_SERVICE_LOG, default runs/service-latency.jsonl) and an
observation of the per-stage Prometheus histograms on GET /metrics. GET /healthz answers once the model is loaded.

ONNX Runtime's own profiler records one request in ASSAY_PROFILE_EVERY (default 25), up to ASSAY_PROFILE_RUNS
(default 40) runs, into a Chrome trace under ASSAY_TRACE_DIR (default runs/traces/), written when the service
stops or the budget is reached.

SLOW_INFERENCE_MS=N adds N ms of busy work to the inference stage (the injected regression CI must catch).

    uvicorn service:app --host 127.0.0.1 --port 8311 --workers 1
"""

import hashlib
import json
import os
import shutil
import threading
import time
from contextlib import asynccontextmanager

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.environ.get("ASSAY_MODEL", os.path.join(HERE, "model", "model.onnx"))
THREADS = int(os.environ.get("ASSAY_THREADS", "1"))
SLOW_MS = float(os.environ.get("SLOW_INFERENCE_MS", "0"))
LOG_PATH = os.environ.get("ASSAY_SERVICE_LOG", os.path.join(HERE, "runs", "service-latency.jsonl"))
TRACE_DIR = os.environ.get("ASSAY_TRACE_DIR", os.path.join(HERE, "runs", "traces"))
PROFILE_EVERY = int(os.environ.get("ASSAY_PROFILE_EVERY", "25"))
PROFILE_RUNS = int(os.environ.get("ASSAY_PROFILE_RUNS", "40"))
MEAN = np.float32(0.5)
STD = np.float32(0.25)
LABELS = [f"class-{index}" for index in range(10)]
BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0)
STAGE_SECONDS = Histogram("assay_example_stage_seconds", "Time in each stage of a prediction", ["stage"], buckets=BUCKETS)
REQUEST_SECONDS = Histogram("assay_example_request_seconds", "Server time of a prediction, all stages", buckets=BUCKETS)


def session(profile: bool) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    if profile:
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(TRACE_DIR, "onnxruntime")
    return ort.InferenceSession(MODEL, options, providers=["CPUExecutionProvider"])


class Model:
    def __init__(self) -> None:
        os.makedirs(TRACE_DIR, exist_ok=True)
        os.makedirs(os.path.dirname(LOG_PATH), exist_ok=True)
        self.plain = session(False)
        self.profiled = session(True) if PROFILE_EVERY > 0 and PROFILE_RUNS > 0 else None
        self.profiled_runs = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.input = self.plain.get_inputs()[0]
        self.shape = [int(d) for d in self.input.shape]
        self.log = open(LOG_PATH, "a", buffering=1, encoding="utf-8")
        with open(MODEL, "rb") as handle:
            self.sha256 = hashlib.sha256(handle.read()).hexdigest()

    def close(self) -> None:
        self.finish_profile()
        self.log.close()

    def finish_profile(self) -> None:
        with self.lock:
            if self.profiled is None:
                return
            written = self.profiled.end_profiling()
            self.profiled = None
        if written and os.path.exists(written):
            shutil.move(written, os.path.join(TRACE_DIR, f"onnxruntime-{os.getpid()}-{int(time.time())}.json"))

    def preprocess(self, seed: int, pixels) -> np.ndarray:
        if pixels is not None:
            array = np.asarray(pixels, dtype=np.float32).reshape(self.shape)
        else:
            array = np.random.default_rng(seed).random(self.shape, dtype=np.float32)
        return (array - MEAN) / STD

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        with self.lock:
            self.requests += 1
            profile = self.profiled is not None and self.requests % PROFILE_EVERY == 0
        runner = self.profiled if profile else self.plain
        (probabilities,) = runner.run(None, {self.input.name: tensor})
        if profile:
            with self.lock:
                self.profiled_runs += 1
                done = self.profiled_runs >= PROFILE_RUNS
            if done:
                self.finish_profile()
        if SLOW_MS > 0:
            deadline = time.perf_counter() + SLOW_MS / 1000
            while time.perf_counter() < deadline:
                pass
        return probabilities

    @staticmethod
    def postprocess(probabilities: np.ndarray) -> list:
        order = np.argsort(-probabilities[0])[:3]
        return [{"label": LABELS[i], "probability": round(float(probabilities[0][i]), 6)} for i in order]


model: Model | None = None


@asynccontextmanager
async def lifespan(_: FastAPI):
    global model
    model = Model()
    yield
    model.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
def healthz() -> dict:
    if model is None:
        raise HTTPException(503, "loading")
    return {"status": "ok", "model_sha256": model.sha256, "onnxruntime": ort.__version__}


@app.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@app.post("/predict")
async def predict(request: Request) -> Response:
    started = time.perf_counter()
    body = await request.json()
    try:
        tensor = model.preprocess(int(body.get("seed", 0)), body.get("pixels"))
    except (ValueError, TypeError) as error:
        raise HTTPException(422, f"pixels: expected {model.shape} numbers ({error})")
    t1 = time.perf_counter()
    probabilities = model.infer(tensor)
    t2 = time.perf_counter()
    top = model.postprocess(probabilities)
    t3 = time.perf_counter()
    stages = {"preprocess": (t1 - started) * 1000, "inference": (t2 - t1) * 1000, "postprocess": (t3 - t2) * 1000}
    total = (t3 - started) * 1000
    for name, ms in stages.items():
        STAGE_SECONDS.labels(stage=name).observe(ms / 1000)
    REQUEST_SECONDS.observe(total / 1000)
    request_id = body.get("id") or request.headers.get("x-request-id") or ""
    model.log.write(
        json.dumps({"started_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z", "request_id": request_id, "stages": {k: round(v, 4) for k, v in stages.items()}, "total_ms": round(total, 4)})
        + "\n"
    )
    timing = ", ".join(f"{name};dur={ms:.3f}" for name, ms in stages.items()) + f", total;dur={total:.3f}"
    return Response(
        json.dumps({"id": request_id, "top": top, "model_sha256": model.sha256}), media_type="application/json", headers={"Server-Timing": timing}
    )
