"""Load benchmark: gunicorn + PostgreSQL on 127.0.0.1, driven by wrk, scenarios in one run.

    .venv/bin/python benchmarks/load.py            (or `make bench`)

Each scenario reports requests/s, p50 and p99 latency, errors, and its ratio to the
baseline (a bare Django view) measured in the same run, so that a busy machine shifts all
figures together. After the sign-on scenario every accepted sign-on (a 303) is checked in
the database.

Why wrk: on two cores the load generator shares the CPU with gunicorn and PostgreSQL. wrk
is a C event loop that needs a few percent of one core for thousands of requests a second;
a Python generator needs most of a core for the same load and would measure itself. A
small Lua script gives each sign-on its own email address and counts the responses.

Environment (all optional):
    BENCH_DATABASE_URL  PostgreSQL database to use; created and migrated if missing
                        (default postgres://postgres@127.0.0.1:5432/common_ground_bench).
    BENCH_CACHE_URL     cache for rate limits and the public list (default locmem://;
                        redis://127.0.0.1:6379/1 measures a shared cache).
    BENCH_SECONDS       seconds per scenario (default 10), after a 2-second warm-up.
    BENCH_CONNECTIONS   open connections (default 16); BENCH_WORKERS gunicorn workers (4).

To add a scenario (issue "Hardening"), append a Scenario to SCENARIOS: a path, a method,
optional Lua to build requests, and optional checks run after it.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/common_ground_bench"
)
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "locmem://")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CAMPAIGN = "safety-first"  # the demo's open campaign
RUN_TAG = f"bench{int(time.time())}"

# Counts responses by status in each wrk thread and prints one JSON line at the end.
LUA_REPORT = """
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, '"' .. status .. '":' .. n) end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"status_errors":%d,"statuses":{%s}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, table.concat(parts, ",")))
end
"""

# Each request is a new sign-on: thread id and a per-thread counter make the address unique.
LUA_SIGNON = """
local counter = 0
local tag = "run"
function init(args) tag = args[1] end
function request()
  counter = counter + 1
  local body = "organization_name=Bench+Org+" .. id .. "-" .. counter ..
    "&signer_name=Bench+Signer&signer_title=Director" ..
    "&email=" .. tag .. "-" .. id .. "-" .. counter .. "%40bench.example" ..
    "&city=Tacoma&country=US&state=WA&authorized=on&consent_listed=on" ..
    "&kind=organization&letter_version=1&homepage="
  return wrk.format("POST", nil, nil, body)
end
"""


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Scenario:
    name: str
    path: str
    method: str = "GET"
    lua: str = ""  # extra Lua (request building) before the reporting functions
    headers: dict[str, str] = field(default_factory=dict)
    ok_statuses: tuple[str, ...] = ("200",)
    check: Callable[[Result], list[str]] | None = None  # problems found after the run


def _check_signons(result: Result) -> list[str]:
    """Every sign-on answered 303 is in the database, once."""
    from django.db.models import Count

    from signatories.models import Signature

    accepted = result.statuses.get("303", 0)
    time.sleep(2)  # let the requests still in flight when wrk stopped finish
    totals = Signature.objects.filter(
        campaign__slug=CAMPAIGN, email_canonical__startswith=f"{RUN_TAG}-"
    ).aggregate(count=Count("pk"), distinct=Count("email_canonical", distinct=True))
    count, distinct = totals["count"], totals["distinct"]
    # wrk stops with up to one request in flight per connection: the server still stores
    # those, but wrk never counts their answers.
    in_flight = count - accepted
    print(
        f"   sign-ons accepted (303): {accepted}; stored: {count}, {distinct} distinct "
        f"({in_flight} were in flight when wrk stopped)"
    )
    problems = []
    if not 0 <= in_flight <= CONNECTIONS or distinct != count:
        problems.append(f"{accepted} sign-ons accepted but {count} stored ({distinct} distinct)")
    return problems


SCENARIOS = [
    Scenario(name="baseline: bare view (/healthz)", path="/healthz"),
    Scenario(
        name="sign-on POST, distinct emails",
        path=f"/c/{CAMPAIGN}/sign/",
        method="POST",
        lua=LUA_SIGNON,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        ok_statuses=("303",),
        check=_check_signons,
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: install Debian's package (apt-get install wrk).")
    print("== installing Debian's wrk")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=_apt_env())
    return shutil.which("wrk") or sys.exit("could not install wrk")


def _apt_env() -> dict:
    return {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def _ensure_database() -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if name in {"test", ""}:
        sys.exit(f"refusing to benchmark in the database {name!r}: use a database of its own")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _server_env(port: int, static_root: str) -> dict:
    return {
        **os.environ,
        # Production settings, but plain HTTP on 127.0.0.1.
        "PRODUCTION": "true",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": HOST,
        "SITE_URL": f"http://{HOST}:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": DATABASE_URL,
        "DB_CONN_MAX_AGE": "600",
        "CACHE_URL": CACHE_URL,
        "TASK_BACKEND": "database",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        # Rate limits stay on (their cache work is measured) but high enough for one IP.
        "SIGNON_LIMIT_PER_IP": "100000000",
        "SIGNON_LIMIT_PER_EMAIL": "100000000",
    }


def _manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer")


def _run_wrk(wrk: str, scenario: Scenario, base: str, seconds: int, tag: str) -> Result:
    lua = textwrap.dedent(
        f"""
        wrk.method = "{scenario.method}"
        wrk.headers["Origin"] = "{base}"
        """
    )
    for name, value in scenario.headers.items():
        lua += f'wrk.headers["{name}"] = "{value}"\n'
    lua += scenario.lua + LUA_REPORT
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        completed = subprocess.run(
            [
                wrk,
                f"--threads={min(2, CONNECTIONS)}",
                f"--connections={CONNECTIONS}",
                f"--duration={seconds}s",
                "--timeout=10s",
                f"--script={script.name}",
                base + scenario.path,
                "--",
                tag,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("WRK_RESULT"))
    data = json.loads(line.removeprefix("WRK_RESULT "))
    unexpected = sum(n for s, n in data["statuses"].items() if s not in scenario.ok_statuses)
    return Result(
        name=scenario.name,
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["socket_errors"] + unexpected,
        statuses=data["statuses"],
    )


def _report(results: list[Result]) -> None:
    baseline = results[0].rate or 1
    print()
    print(f"{'scenario':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>6}")
    for r in results:
        print(
            f"{r.name:<34} {r.rate:>9.0f} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} "
            f"{r.errors:>7} {r.rate / baseline:>6.2f}"
        )


def main() -> int:
    wrk = _ensure_wrk()
    _ensure_database()
    port = _free_port()
    static_root = tempfile.mkdtemp(prefix="cg-bench-static-")
    env = _server_env(port, static_root)
    os.environ.update(env)  # this process checks the database with the same settings
    print(f"== database {urlsplit(DATABASE_URL).path.lstrip('/')}, cache {CACHE_URL}")
    print(f"== gunicorn: {WORKERS} workers; wrk: {CONNECTIONS} connections, {SECONDS}s each")
    _manage(env, "migrate", "--no-input", "--verbosity", "0")
    _manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    _manage(env, "load_demo")

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()

    base = f"http://{HOST}:{port}"
    server = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi",
            f"--bind={HOST}:{port}",
            f"--workers={WORKERS}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    problems: list[str] = []
    results: list[Result] = []
    try:
        _wait_until_up(base + "/healthz", server)
        for scenario in SCENARIOS:
            print(f"== {scenario.name}")
            # Warm-up (connections, imports, caches) with addresses of its own.
            _run_wrk(wrk, scenario, base, 2, tag=f"{RUN_TAG}w")
            result = _run_wrk(wrk, scenario, base, SECONDS, tag=RUN_TAG)
            results.append(result)
            if result.errors:
                problems.append(f"{scenario.name}: {result.errors} errors {result.statuses}")
            if scenario.check:
                problems += scenario.check(result)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
        _forget_bench_rows()
    _report(results)
    signons = next((r for r in results if r.name.startswith("sign-on")), None)
    if signons is not None:
        verdict = "meets" if signons.rate >= 300 else "below"
        print(f"\nsign-ons: {signons.rate:.0f}/s, {verdict} the goal of 300/s on this machine")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def _forget_bench_rows() -> None:
    """Keep the benchmark database small between runs (its own database, never the app's)."""
    from django_tasks_db.models import DBTaskResult

    from signatories.models import Signature

    Signature.objects.filter(email_canonical__startswith="bench").delete()
    DBTaskResult.objects.filter(task_path="signatories.tasks.send_signer_email").delete()


if __name__ == "__main__":
    sys.exit(main())
