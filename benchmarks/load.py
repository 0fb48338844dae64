"""Load benchmark: gunicorn + PostgreSQL on 127.0.0.1, driven by wrk, scenarios in one run.

    .venv/bin/python benchmarks/load.py            (or `make bench`)

Scenarios, in this order, against a campaign with 10,000 public signers:

1. baseline: a bare Django view (`/healthz`, the whole middleware stack, no query);
2. the campaign page (letter, form, count, first page of the list) served from the cache;
3. the same page uncached: a second gunicorn whose cache is Django's dummy cache, so every
   request counts, groups and renders the list from PostgreSQL. Two connections (one per
   core): it measures how long one uncached page takes, not a queue of them;
4. the JSON list (`signatures.json`, all 10,000 signers) from the cache;
5. sign-on POSTs, each with its own email address. Afterwards every accepted sign-on (a
   303) is checked in the database, and a `db_worker` is timed draining the confirmation
   emails the burst queued (file mailer into a temporary folder).

Each scenario reports requests/s, p50 and p99 latency, errors, and its ratio to the
baseline measured in the same run, so that a busy machine shifts all figures together.
The servers run the production layout (`manage.py production`'s gunicorn command line:
`WEB_CONCURRENCY` processes of `WEB_THREADS` threads) with production settings.

Why wrk: on two cores the load generator shares the CPU with gunicorn and PostgreSQL. wrk
is a C event loop that needs a few percent of one core for thousands of requests a second;
a Python generator needs most of a core for the same load and would measure itself. A
small Lua script gives each sign-on its own email address and counts the responses.

Environment (all optional):
    BENCH_DATABASE_URL  PostgreSQL database to use; created and migrated if missing
                        (default postgres://postgres@127.0.0.1:5432/common_ground_bench).
    BENCH_CACHE_URL     cache for rate limits and the public list (default locmem://;
                        redis://127.0.0.1:6379/1 measures a shared cache).
    BENCH_TASK_BACKEND  database (default) or rq (then BENCH_REDIS_URL, default
                        redis://127.0.0.1:6379/1): where sign-ons queue their email.
    BENCH_SECONDS       seconds per scenario (default 10), after a 2-second warm-up.
    BENCH_CONNECTIONS   open connections (default 16).
    BENCH_ONLY          comma-separated scenario keys to run (baseline always runs):
                        cached, uncached, json, signon.
    WEB_CONCURRENCY, WEB_THREADS   gunicorn processes and threads per process (as in
                        production; defaults from `manage.py production`).

To add a scenario, append a Scenario to SCENARIOS: a path, a method, optional Lua to
build requests, and optional checks run after it.
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
TASK_BACKEND = os.environ.get("BENCH_TASK_BACKEND", "database")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
ONLY = {key for key in os.environ.get("BENCH_ONLY", "").split(",") if key}
CAMPAIGN = "bench-10k"
PUBLIC_SIGNERS = 10_000
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
    app_cpu: float = 0.0  # CPU seconds used by gunicorn's processes during the run
    db_cpu: float = 0.0  # ... and by the PostgreSQL backends serving them

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.requests if self.requests else 0.0


@dataclass
class Scenario:
    key: str
    name: str
    path: str
    method: str = "GET"
    lua: str = ""  # extra Lua (request building) before the reporting functions
    headers: dict[str, str] = field(default_factory=dict)
    ok_statuses: tuple[str, ...] = ("200",)
    server: str = "main"  # "uncached": the gunicorn with the dummy cache
    connections: int = 0  # 0: BENCH_CONNECTIONS
    check: Callable[[Result], list[str]] | None = None  # problems found after the run


def _check_signons(result: Result) -> list[str]:
    """Every sign-on answered 303 is in the database, once; then time the email worker."""
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
    Scenario(key="baseline", name="baseline: bare view (/healthz)", path="/healthz"),
    Scenario(key="cached", name="campaign page, cached", path=f"/c/{CAMPAIGN}/"),
    Scenario(
        key="uncached",
        name="campaign page, uncached",
        path=f"/c/{CAMPAIGN}/",
        server="uncached",
        connections=2,
    ),
    Scenario(key="json", name="JSON list (10,000), cached", path=f"/c/{CAMPAIGN}/signatures.json"),
    Scenario(
        key="signon",
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


def _server_env(port: int, static_root: str, mail_dir: str) -> dict:
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
        "CACHE_URL": CACHE_URL,
        "TASK_BACKEND": TASK_BACKEND,
        "REDIS_URL": REDIS_URL,
        "MAILER": "file",
        "MAIL_DIR": mail_dir,
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        # Rate limits stay on (their cache work is measured) but high enough for one IP.
        "SIGNON_LIMIT_PER_IP": "100000000",
        "SIGNON_LIMIT_PER_EMAIL": "100000000",
    }


def _manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _seed_campaign() -> None:
    """An open campaign with PUBLIC_SIGNERS confirmed, listed signers (made once)."""
    import random

    from campaigns.models import Campaign
    from campaigns.services import campaign_create
    from signatories.models import Signature
    from signatories.normalize import organization_key
    from signatories.regions import US_STATES
    from signatories.selectors import public_list_version_renew, signatures_public

    campaign = Campaign.objects.filter(slug=CAMPAIGN).first()
    if campaign is None:
        campaign = campaign_create(
            slug=CAMPAIGN,
            title="Benchmark letter with ten thousand signers",
            letter_body="# A letter\n\nIt asks for **one thing**, with reasons.\n\n" * 6,
            status=Campaign.Status.OPEN,
            allows_individuals=True,
            reply_to_email="coalition@example.org",
        )
    missing = PUBLIC_SIGNERS - signatures_public(campaign=campaign).count()
    if missing <= 0:
        return
    print(f"== adding {missing} public signers to {CAMPAIGN}")
    version = campaign.versions.get(number=1)
    rng = random.Random(7)
    states = list(US_STATES)
    words = ["Alliance", "Network", "Coalition", "Project", "Center", "Collective", "Fund"]
    start = Signature.objects.filter(campaign=campaign).count()
    rows = []
    for i in range(start, start + missing):
        individual = i % 10 == 9
        name = f"{rng.choice(['Northern', 'Coastal', 'Valley', 'United', 'Open'])} "
        name += f"{rng.choice(words)} for Safety {i}"
        rows.append(
            Signature(
                campaign=campaign,
                kind=Signature.Kind.INDIVIDUAL if individual else Signature.Kind.ORGANIZATION,
                status=Signature.Status.VERIFIED,
                organization_name="" if individual else name,
                organization_key="" if individual else organization_key(name),
                signer_name=f"Signer {i}",
                signer_title="Director",
                city=f"City {i % 300}",
                state=rng.choice(states) if i % 50 else "Ontario",
                country="US" if i % 50 else "CA",
                is_lead_organization=i % 500 == 1,
                email=f"seed-{i}@load.example",
                email_canonical=f"seed-{i}@load.example",
                consent_listed=True,
                authorized=not individual,
                letter_version=version,
                letter_sha256=version.sha256,
            )
        )
    Signature.objects.bulk_create(rows, batch_size=2000)
    public_list_version_renew(campaign_id=campaign.pk)


def _analyze() -> None:
    """Fresh planner statistics, as autovacuum keeps them on a live site. Right after a bulk
    insert PostgreSQL still believes the campaign has a handful of rows and checks a sign-on
    for duplicates by filtering all 10,000 of them (6.6 ms instead of 0.1 ms a sign-on)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _wait_until_up(url: str, server: subprocess.Popen) -> None:
    for _ in range(150):
        if server.poll() is not None:
            sys.exit("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not answer")


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids) -> float:
    """User and system CPU time of these processes so far (those that exited count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def _session_pids(session: int) -> list[int]:
    """A gunicorn's processes: its arbiter started a session, its workers are in it."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session:
            pids.append(int(stat.parent.name))
    return pids


def _database_pids() -> list[int]:
    """PostgreSQL backends connected to the benchmark database, but this process's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _measure(
    wrk: str, scenario: Scenario, base: str, tag: str, origin: str, server: subprocess.Popen
) -> Result:
    """A wrk run, with the CPU time the server and its database backends spent on it.

    Requests per second move with whatever else runs on the machine; CPU milliseconds per
    request hardly do, so they compare runs (and code changes) better.
    """
    app_pids, db_pids = _session_pids(server.pid), _database_pids()
    app, db = _cpu_seconds(app_pids), _cpu_seconds(db_pids)
    result = _run_wrk(wrk, scenario, base, SECONDS, tag=tag, origin=origin)
    result.app_cpu = _cpu_seconds(app_pids) - app
    result.db_cpu = _cpu_seconds(db_pids) - db
    return result


def _run_wrk(
    wrk: str, scenario: Scenario, base: str, seconds: int, tag: str, origin: str
) -> Result:
    lua = textwrap.dedent(
        f"""
        wrk.method = "{scenario.method}"
        wrk.headers["Origin"] = "{origin}"
        """
    )
    for name, value in scenario.headers.items():
        lua += f'wrk.headers["{name}"] = "{value}"\n'
    lua += scenario.lua + LUA_REPORT
    connections = scenario.connections or CONNECTIONS
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        completed = subprocess.run(
            [
                wrk,
                f"--threads={min(2, connections)}",
                f"--connections={connections}",
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
    print(
        f"{'scenario':<34} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'ratio':>6} {'CPU ms/request: app':>20} {'db':>5}"
    )
    for r in results:
        print(
            f"{r.name:<34} {r.rate:>7.0f} {r.p50_ms:>7.1f} {r.p99_ms:>7.1f} {r.errors:>6} "
            f"{r.rate / baseline:>6.2f} {r.cpu_ms(r.app_cpu):>20.2f} {r.cpu_ms(r.db_cpu):>5.2f}"
        )
    print(
        "(CPU ms/request: gunicorn's processes and the PostgreSQL backends serving them, "
        f"per request; {os.cpu_count()} cores)"
    )


def _goals(results: dict[str, Result]) -> list[str]:
    """The issue's goals, each with its verdict on this run."""
    lines = []
    base = results["baseline"].rate or 1
    if "cached" in results:
        ratio = results["cached"].rate / base
        lines.append(f"cached page {ratio:.2f} of the baseline (goal >= 0.5)")
    if "uncached" in results:
        p50, p99 = results["uncached"].p50_ms, results["uncached"].p99_ms
        lines.append(f"uncached page p50 {p50:.0f} ms, p99 {p99:.0f} ms (goal: under 150 ms)")
    if "signon" in results:
        signon = results["signon"]
        rate = signon.rate
        lines.append(f"sign-ons {rate:.0f}/s, {rate / base:.2f} of the baseline (goal >= 300/s)")
        cpu = signon.cpu_ms(signon.app_cpu + signon.db_cpu)
        if cpu:
            lines.append(
                f"a sign-on costs {cpu:.1f} ms of CPU (app and database): about "
                f"{1000 * (os.cpu_count() or 1) / cpu:.0f}/s if the cores did nothing else"
            )
    return lines


def _start_server(env: dict, port: int) -> subprocess.Popen:
    from campaigns.management.commands.production import gunicorn_command

    return subprocess.Popen(
        # No access log: these figures are the application's, comparable with earlier runs.
        [*gunicorn_command(bind=f"{HOST}:{port}", access_log=False), "--log-level=warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def _drain_emails(env: dict, mail_dir: str) -> str:
    """Time one task worker sending the confirmation emails the sign-on burst queued."""
    if TASK_BACKEND != "database":
        return "email drain: measured for the database backend only (see email_drain.py)"
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.ready().filter(task_path="signatories.tasks.send_signer_email")
    total = queued.count()
    if not total:
        return "email drain: nothing queued"
    worker = subprocess.Popen(
        [PYTHON, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    try:
        deadline = started + 600
        while queued.count() and time.perf_counter() < deadline:
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    sent = sum(1 for _ in Path(mail_dir).glob("*.eml"))
    return (
        f"email drain: one db_worker sent {sent} of {total} queued confirmation emails in "
        f"{elapsed:.1f} s ({sent / elapsed:.0f}/s, start-up included)"
    )


def main() -> int:
    wrk = _ensure_wrk()
    _ensure_database()
    port, uncached_port = _free_port(), _free_port()
    static_root = tempfile.mkdtemp(prefix="cg-bench-static-")
    mail_dir = tempfile.mkdtemp(prefix="cg-bench-mail-")
    env = _server_env(port, static_root, mail_dir)
    # The uncached server answers as the same site (its Origin is the main server's).
    uncached_env = {**env, "CACHE_URL": "dummy://"}
    os.environ.update(env)  # this process checks the database with the same settings
    _manage(env, "migrate", "--no-input", "--verbosity", "0")
    _manage(env, "collectstatic", "--no-input", "--verbosity", "0")

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from campaigns.management.commands.production import web_concurrency

    processes, threads = web_concurrency()
    print(
        f"== database {urlsplit(DATABASE_URL).path.lstrip('/')}, cache {CACHE_URL}, "
        f"tasks {TASK_BACKEND}"
    )
    print(
        f"== gunicorn: {processes} processes x {threads} threads; "
        f"wrk: {CONNECTIONS} connections, {SECONDS}s each"
    )
    _seed_campaign()
    _analyze()

    base = f"http://{HOST}:{port}"
    servers = {
        "main": _start_server(env, port),
        "uncached": _start_server(uncached_env, uncached_port),
    }
    bases = {"main": base, "uncached": f"http://{HOST}:{uncached_port}"}
    problems: list[str] = []
    results: dict[str, Result] = {}
    drain = ""
    try:
        for name, server in servers.items():
            _wait_until_up(bases[name] + "/healthz", server)
        for scenario in SCENARIOS:
            if ONLY and scenario.key != "baseline" and scenario.key not in ONLY:
                continue
            print(f"== {scenario.name}")
            target = bases[scenario.server]
            # Warm-up (connections, imports, caches) with addresses of its own.
            _run_wrk(wrk, scenario, target, 2, tag=f"{RUN_TAG}w", origin=base)
            result = _measure(wrk, scenario, target, RUN_TAG, base, servers[scenario.server])
            results[scenario.key] = result
            if result.errors:
                problems.append(f"{scenario.name}: {result.errors} errors {result.statuses}")
            if scenario.check:
                problems += scenario.check(result)
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if "signon" in results:
            drain = _drain_emails(env, mail_dir)
    finally:
        for server in servers.values():
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(mail_dir, ignore_errors=True)
        _forget_bench_rows()
    _report(list(results.values()))
    print()
    for line in _goals(results):
        print(line)
    if drain:
        print(drain)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


def _forget_bench_rows() -> None:
    """Keep the benchmark database small between runs (its own database, never the app's)."""
    from signatories.models import EmailQuota, Signature

    Signature.objects.filter(email_canonical__startswith="bench").delete()
    EmailQuota.objects.all().delete()
    if TASK_BACKEND == "database":
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(task_path="signatories.tasks.send_signer_email").delete()
    elif TASK_BACKEND == "rq":
        import django_rq

        django_rq.get_queue("default").empty()


if __name__ == "__main__":
    sys.exit(main())
