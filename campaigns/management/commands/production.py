"""The production layout on one machine, in one command: web processes, task workers, timers.

    manage.py production              (or `make production`)

1. Once: compile the translations, migrate, collect the static files (whitenoise serves
   them from STATIC_ROOT).
2. Then, together: gunicorn (WEB_CONCURRENCY processes of WEB_THREADS threads on BIND),
   TASK_WORKERS task workers for TASK_BACKEND (`rqworker` on Redis, or `db_worker`), and,
   with PERIODIC_JOBS, the periodic commands: `delivery_resume` every 5 minutes and
   `signon_housekeeping` once a day (first a minute after start; both safe to repeat and
   to run on several machines at once).
3. Ctrl-C (SIGINT) or SIGTERM stops them all: gunicorn finishes the requests it has, each
   worker the task it runs. If one of them exits on its own the others are stopped too and
   the command fails, so that whatever supervises it (systemd, a container) restarts it.

More capacity is more of the same against the same PostgreSQL and Redis: on another
machine, `manage.py production --no-migrate` with PERIODIC_JOBS=false (and TASK_WORKERS=0
for a web-only machine, or WEB_CONCURRENCY=0 for a worker-only one).
"""

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
# Seconds between runs of each periodic command.
PERIODIC = [("delivery_resume", 5 * 60), ("signon_housekeeping", 24 * 60 * 60)]
STOP_SECONDS = 30  # how long processes get to finish their work once asked to stop


def web_concurrency() -> tuple[int, int]:
    """(processes, threads) of the web server: WEB_CONCURRENCY and WEB_THREADS."""
    return settings.WEB_CONCURRENCY, settings.WEB_THREADS


def gunicorn_command(*, bind: str, access_log: bool = True) -> list[str]:
    """gunicorn's command line in production (benchmarks/load.py measures this one).

    gunicorn also reads gunicorn.conf.py from this folder: its access log line leaves out
    the client's address (signers' IP addresses are never logged).
    """
    processes, threads = web_concurrency()
    return [
        *(sys.executable, "-m", "gunicorn", "config.wsgi", f"--bind={bind}"),
        *(f"--workers={processes}", f"--threads={threads}"),
        f"--graceful-timeout={STOP_SECONDS}",
        f"--forwarded-allow-ips={settings.FORWARDED_ALLOW_IPS}",
        *(["--access-logfile=-"] if access_log else []),
    ]


def worker_command() -> list[str] | None:
    """One task worker for TASK_BACKEND; None when tasks run in the request (immediate)."""
    if settings.TASK_BACKEND == "rq":
        # --with-scheduler runs deferred tasks (scheduled sends, the delivery watchdog).
        # SimpleWorker runs tasks in its own process: RQ's default forks one process per
        # task, and each fork opened new database and Redis connections: 12 confirmation
        # emails a second instead of 55 (benchmarks/email_drain.py).
        return [
            *(sys.executable, MANAGE, "rqworker", "--job-class", "django_tasks_rq.Job"),
            *("--worker-class", "rq.SimpleWorker", "--with-scheduler", "default"),
        ]
    if settings.TASK_BACKEND == "database":
        return [sys.executable, MANAGE, "db_worker", "--queue-name", "*"]
    return None


def _static_fingerprint() -> str:
    """What collectstatic would collect: every source file's path, size and time."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda found: found[0]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class Command(BaseCommand):
    help = (
        "Run the production layout on this machine: migrate and collect static files once, "
        "then gunicorn, the task workers and the periodic jobs until Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-migrate",
            action="store_true",
            help="Skip migrate (another machine already ran it against this database).",
        )

    def handle(self, *args, no_migrate=False, **options):
        self._setup(migrate=not no_migrate)
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.jobs: dict[str, subprocess.Popen] = {}
        self.next_run: dict[str, float] = {}
        self.stopping = False
        previous = {
            sig: signal.signal(sig, self._ask_to_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self._start_all()
            failed = self._supervise()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            raise CommandError(f"{failed} stopped on its own; everything was stopped")
        self.stdout.write("stopped")

    def _setup(self, *, migrate: bool) -> None:
        self.stdout.write("== compiling translations, migrating, collecting static files")
        call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
        if migrate:
            call_command("migrate", interactive=False, verbosity=1)
        if settings.STATIC_ROOT is None:  # not PRODUCTION: whitenoise reads the sources
            connections.close_all()
            return
        fingerprint = _static_fingerprint()
        stamp = Path(settings.STATIC_ROOT) / ".collected"
        if not stamp.exists() or stamp.read_text() != fingerprint:
            # Compressing every file takes a while: skipped when no source file changed.
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp.write_text(fingerprint)
        # The children open their own connections; this process needs none while it waits.
        connections.close_all()

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        # A session of its own: a terminal's Ctrl-C reaches this process only, which then
        # stops each child in order (gunicorn gracefully, workers after their task).
        process = subprocess.Popen(  # noqa: S603 (our own command lines)
            command, cwd=settings.BASE_DIR, start_new_session=True
        )
        self.children.append((name, process))
        return process

    def _start_all(self) -> None:
        processes, threads = web_concurrency()
        if processes:
            self._start("gunicorn", gunicorn_command(bind=settings.BIND))
            self.stdout.write(
                f"== gunicorn on http://{settings.BIND}/: {processes} processes x {threads} threads"
            )
        worker = worker_command()
        for number in range(settings.TASK_WORKERS if worker else 0):
            self._start(f"worker {number + 1}", worker)
        if worker and settings.TASK_WORKERS:
            self.stdout.write(f"== {settings.TASK_WORKERS} task workers ({settings.TASK_BACKEND})")
        # A minute after start, so as not to compete with everything starting up.
        first = time.monotonic() + 60
        self.next_run = {name: first for name, _every in PERIODIC} if settings.PERIODIC_JOBS else {}
        if self.next_run:
            self.stdout.write("== periodic: delivery_resume every 5 min, signon_housekeeping daily")
        self.stdout.write("Ctrl-C stops everything.")

    def _ask_to_stop(self, signum, frame) -> None:
        self.stopping = True

    def _supervise(self) -> str:
        """Wait until asked to stop (returns "") or a child exits (returns its name)."""
        while not self.stopping:
            for name, process in self.children:
                if process.poll() is not None:
                    self.stderr.write(f"{name} exited with status {process.returncode}")
                    return name
            self._run_periodic()
            time.sleep(0.2)
        return ""

    def _run_periodic(self) -> None:
        for job in self.jobs.values():
            job.poll()  # collect the ones that finished
        now = time.monotonic()
        for name, every in PERIODIC:
            if name not in self.next_run or now < self.next_run[name]:
                continue
            running = self.jobs.get(name)
            if running is not None and running.poll() is None:
                continue  # the last run is still going: skip this turn
            self.jobs[name] = subprocess.Popen(  # noqa: S603 (our own command lines)
                [sys.executable, MANAGE, name], cwd=settings.BASE_DIR, start_new_session=True
            )
            self.next_run[name] = now + every

    def _stop_all(self) -> None:
        running = [(n, p) for n, p in [*self.children, *self.jobs.items()] if p.poll() is None]
        for _name, process in running:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS + 5
        for name, process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time: killed")
                self._signal(process, signal.SIGKILL)
                process.wait()

    @staticmethod
    def _signal(process: subprocess.Popen, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
