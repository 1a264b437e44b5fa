"""Triage and answers over the API of a running portal: requests per second and latency, as JSON.

    .venv/bin/python bench/api_bench.py http://127.0.0.1:8000                 # creates a client
    .venv/bin/python bench/api_bench.py URL --client-id ID --client-secret SECRET --concurrency 4

Without --client-id it creates a client with the `triage` and `answers` scopes and a rate limit
high enough not to refuse the run (`manage.py api_client_create`, run here: the environment must
name the server's database, e.g. the same PORTAL_VAR_DIR or DATABASE_URL). A client given by id
is held to its own rate limit (120/min by default): refused calls are counted, not timed.

It takes a token at /o/token/ (client credentials), warms each endpoint up with --warmup calls,
then sends --requests calls per endpoint from --concurrency threads, each on its own keep-alive
connection, cycling through fixed patient messages (routine, urgent and emergency) and questions.
Printed per endpoint: calls, failures by status, requests per second (calls over the wall time from
the first send to the last reply) and p50/p95/max latency of the successful calls, plus the load
average of this machine (it is shared: the figures are only as quiet as it was).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

TRIAGE_TEXTS = (
    "Can I take ibuprofen with my blood pressure medicine?",
    "I have crushing chest pain and my left arm is numb",
    "My blood pressure reading was 182 over 110 this morning and I have a headache",
    "What foods should I avoid with high cholesterol?",
    "I feel dizzy when I stand up too fast",
    "my face is drooping on one side and I can't lift my arm",
    "Is it normal to feel tired after starting metformin?",
    "I have had a fever of 103 for three days and a stiff neck",
    "How often should I check my blood sugar?",
    "thank you for your help",
)
QUESTIONS = (
    "What can I do about my blood pressure?",
    "What are the symptoms of anemia?",
    "How is type 2 diabetes treated?",
    "What causes high cholesterol?",
    "How can I prevent osteoporosis?",
    "What are the side effects of metformin?",
    "Who is at risk for heart disease?",
    "How is asthma diagnosed?",
    "What is chronic kidney disease?",
    "Can exercise lower my blood sugar?",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


class Api:
    """One keep-alive HTTP connection to the portal (one per thread)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self.conn = cls(parts.hostname, parts.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes, headers: dict[str, str]):
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # reconnects on the next request
            raise


# A rate limit that refuses none of the run's calls.
CLIENT_OPTIONS = ("--scopes", "triage", "answers", "--rate", "1000000/min")


def create_client() -> tuple[str, str]:
    name = f"api-bench-{secrets.token_hex(4)}"
    out = subprocess.run(
        [sys.executable, "manage.py", "api_client_create", name, "--json", *CLIENT_OPTIONS],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    made = json.loads(out)
    print(f"created client {name} ({made['client_id']})", file=sys.stderr)
    return made["client_id"], made["client_secret"]


def token_for(url: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    status, body = Api(url, 30).request(
        "POST",
        "/o/token/",
        b"grant_type=client_credentials",
        {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    if status != 200:
        sys.exit(f"token request refused ({status}): {body[:300]!r}")
    return json.loads(body)["access_token"]


def run_endpoint(args, token: str, path: str, field: str, texts: tuple[str, ...]) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    bodies = [json.dumps({field: t}).encode() for t in texts]
    warm = Api(args.url, args.timeout)
    for i in range(args.warmup):
        warm.request("POST", path, bodies[i % len(bodies)], headers)
    counter = iter(range(args.requests))
    lock = threading.Lock()
    times: list[float] = []
    failures: Counter[str] = Counter()

    def worker() -> None:
        api = Api(args.url, args.timeout)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            started = time.perf_counter()
            try:
                status, _ = api.request("POST", path, bodies[i % len(bodies)], headers)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200:
                    times.append(elapsed)
                else:
                    failures[str(status)] += 1

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    out: dict = {"calls": args.requests, "failed": dict(failures), "seconds": round(wall, 2)}
    if times:
        out.update(
            rps=round(len(times) / wall, 1),
            p50_ms=round(statistics.median(times), 1),
            p95_ms=round(percentile(times, 95), 1),
            max_ms=round(max(times), 1),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--client-id", default=os.environ.get("API_CLIENT_ID", ""))
    parser.add_argument("--client-secret", default=os.environ.get("API_CLIENT_SECRET", ""))
    parser.add_argument("--concurrency", type=int, default=4, help="threads sending at once")
    parser.add_argument("--requests", type=int, default=200, help="calls per endpoint")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per endpoint")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    args = parser.parse_args()
    args.url = args.url.rstrip("/")
    if bool(args.client_id) != bool(args.client_secret):
        sys.exit("Give both --client-id and --client-secret, or neither (a client is created).")
    client_id, secret = (args.client_id, args.client_secret) if args.client_id else create_client()
    token = token_for(args.url, client_id, secret)
    result = {
        "url": args.url,
        "concurrency": args.concurrency,
        "triage": run_endpoint(args, token, "/api/v1/triage", "text", TRIAGE_TEXTS),
        "answers": run_endpoint(args, token, "/api/v1/answers", "question", QUESTIONS),
        "cores": os.cpu_count(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
