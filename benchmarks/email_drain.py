"""How fast task workers send sign-on confirmation emails, on each task backend.

    .venv/bin/python benchmarks/email_drain.py            (or `make bench`)

A sign-on queues one email task; a burst of sign-ons queues them faster than workers send
them, and the queue drains afterwards. This queues BENCH_EMAILS confirmation emails for as
many new pending signatures (what that many sign-ons queue), then starts 1 and 2 workers
and times them until the queue is empty: `db_worker --batch` on django-tasks-db, and
`rqworker --burst` on Redis (RQ's default worker, a fork per task, and its SimpleWorker).
Each email is the real one: the signature loaded, the daily cap counted, two tokens made,
three templates rendered in the signer's language; the file mailer writes it to a
temporary folder, so the figures are the workers' own cost, not a mail server's.

"Steady" is the sending rate between the first and the last email (without start-up).

Environment (all optional):
    BENCH_DATABASE_URL  PostgreSQL database (as benchmarks/load.py; created if missing).
    BENCH_REDIS_URL     Redis for RQ (default redis://127.0.0.1:6379/1); RQ is skipped
                        when it does not answer.
    BENCH_EMAILS        emails per run (default 600).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/common_ground_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
EMAILS = int(os.environ.get("BENCH_EMAILS", "600"))
CAMPAIGN = "bench-drain"
WORKERS = {
    "database": [PYTHON, "manage.py", "db_worker", "--batch", "--no-startup-delay"],
    "rq": [PYTHON, "manage.py", "rqworker", "--job-class", "django_tasks_rq.Job", "--burst"],
    "rq-simple": [
        *(PYTHON, "manage.py", "rqworker", "--job-class", "django_tasks_rq.Job", "--burst"),
        *("--worker-class", "rq.SimpleWorker"),
    ],
}


def _env(backend: str, mail_dir: str) -> dict:
    return {
        **os.environ,
        "PRODUCTION": "true",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": DATABASE_URL,
        "TASK_BACKEND": "rq" if backend.startswith("rq") else backend,
        "REDIS_URL": REDIS_URL,
        "MAILER": "file",
        "MAIL_DIR": mail_dir,
        "LOG_LEVEL": "WARNING",
        "SIGNER_EMAIL_INTERVAL_SECONDS": "0",
    }


def _queue(count: int) -> float:
    """Fresh pending signatures and one queued email each; returns the enqueue time."""
    from campaigns.models import Campaign
    from campaigns.services import campaign_create
    from signatories.models import EmailQuota, Signature
    from signatories.tasks import send_signer_email

    campaign = Campaign.objects.filter(slug=CAMPAIGN).first() or campaign_create(
        slug=CAMPAIGN,
        title="Benchmark letter for the email drain",
        letter_body="A short letter.",
        status=Campaign.Status.OPEN,
        reply_to_email="coalition@example.org",
    )
    Signature.objects.filter(campaign=campaign).delete()
    EmailQuota.objects.all().delete()
    _empty_queue()
    version = campaign.versions.get()
    signatures = Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            organization_name=f"Drain Org {i}",
            organization_key=f"drain org {i}",
            signer_name="Bench Signer",
            signer_title="Director",
            email=f"drain-{i}@bench.example",
            email_canonical=f"drain-{i}@bench.example",
            city="Tacoma",
            state="WA",
            consent_listed=True,
            authorized=True,
            letter_version=version,
            letter_sha256=version.sha256,
        )
        for i in range(count)
    )
    started = time.perf_counter()
    for signature in signatures:
        send_signer_email.enqueue(signature_id=signature.pk)
    return time.perf_counter() - started


def _empty_queue() -> None:
    if os.environ["TASK_BACKEND"] == "rq":
        import django_rq

        django_rq.get_queue("default").empty()
    else:
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.all().delete()


def _one(backend: str, workers: int) -> dict:
    """Runs in a process configured for `backend` (see main)."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    mail_dir = Path(os.environ["MAIL_DIR"])
    enqueue_seconds = _queue(EMAILS)
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            WORKERS[backend],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.wait(timeout=900)
    elapsed = time.perf_counter() - started
    times = sorted(path.stat().st_mtime for path in mail_dir.glob("*.eml"))
    steady = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    return {
        "backend": backend,
        "workers": workers,
        "sent": len(times),
        "queued": EMAILS,
        "enqueue_per_s": EMAILS / enqueue_seconds,
        "seconds": elapsed,
        "rate": len(times) / elapsed,
        "steady": steady,
    }


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def _ensure_database() -> None:
    import psycopg

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    if name in {"test", ""}:
        sys.exit(f"refusing to benchmark in the database {name!r}: use a database of its own")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print("RESULT " + json.dumps(_one(sys.argv[2], int(sys.argv[3]))))
        return 0
    _ensure_database()
    backends = ["database"]
    if _redis_answers():
        backends += ["rq", "rq-simple"]
    else:
        print(f"== Redis at {REDIS_URL} does not answer: RQ skipped")
    print(f"== {EMAILS} confirmation emails per run, file mailer, database {DATABASE_URL}")
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=_env("database", ""),
        check=True,
    )
    print(
        f"\n{'backend':<12} {'workers':>7} {'sent':>6} {'enqueue/s':>10} {'seconds':>8} "
        f"{'emails/s':>9} {'steady/s':>9}"
    )
    problems = []
    for backend in backends:
        for workers in (1, 2):
            mail_dir = tempfile.mkdtemp(prefix="cg-bench-drain-")
            try:
                completed = subprocess.run(
                    [PYTHON, __file__, "--one", backend, str(workers)],
                    cwd=ROOT,
                    env=_env(backend, mail_dir),
                    capture_output=True,
                    text=True,
                    check=True,
                )
            finally:
                shutil.rmtree(mail_dir, ignore_errors=True)
            line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
            r = json.loads(line.removeprefix("RESULT "))
            print(
                f"{r['backend']:<12} {r['workers']:>7} {r['sent']:>6} {r['enqueue_per_s']:>10.0f} "
                f"{r['seconds']:>8.1f} {r['rate']:>9.0f} {r['steady']:>9.0f}"
            )
            if r["sent"] != r["queued"]:
                problems.append(f"{backend} x{workers}: {r['sent']} of {r['queued']} sent")
    print(
        "\nA burst of B sign-ons/s against W workers sending S emails/s each grows the queue "
        "by B - W*S a second, and it drains at W*S once the burst ends."
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
