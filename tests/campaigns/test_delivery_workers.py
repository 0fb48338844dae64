"""Delivery with real workers: 200 copies to a real SMTP server (aiosmtpd), the worker
killed with SIGKILL part-way, restarted, and every office found with exactly one message
or marked unconfirmed (at most one: the worker sends one copy at a time).

The worker is a separate process (`manage.py db_worker`, or `manage.py rqworker` on Redis
database 8), so the test database must be one both can open: the SQLite test database is a
file under var/ (see settings), and on PostgreSQL it is the test database on the server.
Each test commits for real (`transaction=True`) and kills its worker before the database
is flushed. The worker's whole process group is killed, as a crash of its machine would:
an RQ worker forks a work horse per job and a scheduler, and neither survives.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection

from campaigns.delivery import delivery_run_create
from campaigns.models import Campaign, Delivery, DeliveryRun
from tests.factories import make_campaign, make_recipients, make_signature

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 200
KILL_AFTER = 60  # messages received before the worker is killed
REDIS_URL = "redis://127.0.0.1:6379/8"
Status = Delivery.Status


class Inbox:
    """What the SMTP server received: (recipient, Message-ID) of each message."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, headers["Message-ID"]))
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _database_url() -> str:
    """The test database, as a URL a worker process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """A task worker process in its own process group, logging to a file."""

    COMMANDS = {
        "database": [
            "db_worker",
            "--no-reload",
            "--queue-name",
            "*",
            "--interval",
            "0.1",
            "--no-startup-delay",
        ],
        "rq": ["rqworker", "--job-class", "django_tasks_rq.Job", "--with-scheduler", "default"],
    }

    def __init__(self, *, backend: str, env: dict, log: Path):
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", *self.COMMANDS[backend]],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


# A quick throttle (one email per 20 ms), short slices and a short lease, so that the test
# sees several hand-overs and a take-over within seconds. The test process uses them too:
# it queues the first watchdog, a lease period after the start.
DELIVERY_SETTINGS = {
    "DELIVERY_RATE_PER_MINUTE": 3000,
    "DELIVERY_SLICE_SECONDS": 2,
    "DELIVERY_LEASE_SECONDS": 3,
}


def _worker_env(*, backend: str, smtp_port: int, media_root: Path) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "DELIVERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=_database_url(),
        TASK_BACKEND=backend,
        REDIS_URL=REDIS_URL,
        MAILER="smtp",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="10",
        MEDIA_ROOT=str(media_root),
        **{name: str(value) for name, value in DELIVERY_SETTINGS.items()},
        DEBUG="false",
        LOG_LEVEL="WARNING",
        CACHE_URL="locmem://",
    )
    return env


def _world() -> Campaign:
    """A campaign with a short list (small PDFs) and RECIPIENTS offices with an email."""
    campaign = make_campaign(
        title="Two hundred offices",
        status=Campaign.Status.CLOSED,
        reply_to_email="team@coalition.example",
    )
    make_signature(campaign=campaign, organization_name="Harbor Light Collective")
    make_signature(campaign=campaign, organization_name="Río Grande Mutual Aid", state="TX")
    make_recipients(campaign=campaign, count=RECIPIENTS, tag="worker-test")
    return campaign


def _wait(condition, *, timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}:\n{worker.tail()}")
        time.sleep(0.02)


def _finished(run_id: int) -> bool:
    run = DeliveryRun.objects.get(pk=run_id)
    return run.status == DeliveryRun.Status.COMPLETED and run.notices_queued_at is not None


def _kill_and_resume(*, backend, settings, smtp, tmp_path, after_kill=None):
    inbox, port = smtp
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, value in DELIVERY_SETTINGS.items():
        setattr(settings, name, value)
    env = _worker_env(backend=backend, smtp_port=port, media_root=settings.MEDIA_ROOT)
    campaign = _world()
    run = delivery_run_create(campaign=campaign, actor=None)  # commits, then queues the work
    assert run.deliveries.count() == RECIPIENTS

    first = Worker(backend=backend, env=env, log=tmp_path / "worker-1.log")
    try:
        _wait(lambda: inbox.count() >= KILL_AFTER, timeout=120, what="sending", worker=first)
        first.kill()
    finally:
        first.kill()
    at_kill = inbox.count()
    states = Counter(Delivery.objects.filter(run=run).values_list("status", flat=True))
    assert at_kill < RECIPIENTS, "the worker was killed after it had sent everything"
    assert states[Status.SENDING] <= 1, states  # one copy at a time

    if after_kill:
        after_kill()
    second = Worker(backend=backend, env=env, log=tmp_path / "worker-2.log")
    try:
        _wait(lambda: _finished(run.pk), timeout=120, what="the run to complete", worker=second)
    finally:
        second.kill()
    time.sleep(0.2)  # a message still in the SMTP server's hands

    received = Counter(rcpt for rcpt, _message_id in inbox.messages)
    message_ids = dict(inbox.messages)
    copies = list(Delivery.objects.filter(run=run).select_related("legislator"))
    statuses = Counter(copy.status for copy in copies)
    assert set(statuses) <= {Status.SENT, Status.UNCONFIRMED}, statuses
    assert statuses[Status.UNCONFIRMED] <= 1, statuses  # the one copy the worker was sending
    assert max(received.values()) == 1, received.most_common(3)  # nobody got two
    for copy in copies:
        if copy.status == Status.SENT:
            assert received[copy.to_email] == 1, copy.to_email
            assert message_ids[copy.to_email] == copy.message_id
        else:
            assert received[copy.to_email] <= 1
    assert inbox.count() > at_kill  # the restarted worker carried on
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DELIVERED
    return statuses


def test_a_killed_database_worker_resumes_without_a_second_copy(settings, smtp, tmp_path):
    if "django_tasks_db" not in django_settings.INSTALLED_APPS:
        pytest.skip("django-tasks-db is not installed in these settings")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _kill_and_resume(backend="database", settings=settings, smtp=smtp, tmp_path=tmp_path)


@pytest.fixture
def redis_db8():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    client.flushdb()
    yield client
    client.flushdb()


def test_a_killed_rq_worker_resumes_without_a_second_copy(settings, smtp, tmp_path, redis_db8):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}

    def release_scheduler_lock():
        # The dead worker's scheduler held RQ's scheduler lock; RQ lets it expire (61 s)
        # and a new worker only retries at its maintenance pass (10 minutes). A crashed
        # machine's lock is released here, as an operator would (see the README).
        redis_db8.delete("rq:scheduler-lock:default")

    _kill_and_resume(
        backend="rq",
        settings=settings,
        smtp=smtp,
        tmp_path=tmp_path,
        after_kill=release_scheduler_lock,
    )
