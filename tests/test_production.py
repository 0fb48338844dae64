"""The production layout in one command: `manage.py production` (`make production`).

Started as an operator would, with PRODUCTION settings against PostgreSQL and Redis: it
migrates and collects static files, serves with gunicorn, sends email from an RQ worker,
and Ctrl-C stops every process it started. Skipped when PostgreSQL or Redis on
127.0.0.1 does not answer. Its own database is made and dropped here; Redis database 13
(PRODUCTION_TEST_REDIS_URL) holds its queue and cache.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("PRODUCTION_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("PRODUCTION_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def database():
    psycopg = pytest.importorskip("psycopg")
    name = f"cg_production_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL does not answer on 127.0.0.1")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{PG_ADMIN_URL}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    """A Redis database of the tests' own, emptied before and after: rate-limit counters
    left by an earlier run (CI runs the suite twice within minutes) would refuse the
    sign-on with a 429."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError:
        pytest.skip("Redis does not answer on 127.0.0.1")
    try:
        yield REDIS_URL
    finally:
        client.flushdb()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Processes started by `pid`, and theirs (gunicorn's arbiter and its workers, ...)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found += frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except urllib.error.URLError:  # not listening yet
        return 0, ""


def _wait_for(check, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"{what} within {seconds} s; its log:\n{log.read_text()[-4000:]}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_one_command_serves_signs_on_mails_through_rq_and_stops_on_ctrl_c(
    database, redis_url, tmp_path
):
    port = _free_port()
    site = f"http://127.0.0.1:{port}"
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "PRODUCTION": "true",
        "DEBUG": "false",
        "SECRET_KEY": "production-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": site,
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1: no TLS proxy in front
        "DATABASE_URL": database,
        "CACHE_URL": redis_url,
        "TASK_BACKEND": "rq",
        "REDIS_URL": redis_url,
        "MAILER": "file",
        "MAIL_DIR": str(mail_dir),
        # Kept between runs: collecting (and compressing) is skipped when nothing changed.
        "STATIC_ROOT": str(ROOT / "var" / "production-test-static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "2",
        "TASK_WORKERS": "1",
        "PERIODIC_JOBS": "true",  # their first run is a minute away: see the test below
    }
    log = tmp_path / "production.log"
    with log.open("wb") as output:
        command = subprocess.Popen(
            [sys.executable, "manage.py", "production"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started: list[int] = []
    try:
        _wait_for(lambda: _get(f"{site}/healthz") == (200, "ok"), 40, "no /healthz", log)
        started = _descendants(command.pid)
        assert len(started) >= 3  # gunicorn's arbiter and worker, the RQ worker, ...

        subprocess.run(
            [
                *(sys.executable, "manage.py", "shell", "-c"),
                "from campaigns.services import campaign_create as c; "
                "c(slug='one-command', title='One command letter', letter_body='Hello.', "
                "status='open')",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        status, page = _get(f"{site}/c/one-command/")
        assert status == 200
        assert "One command letter" in page
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', page)
        assert stylesheet, "whitenoise's hashed stylesheet is linked"
        assert _get(site + stylesheet.group(1))[0] == 200

        form = urllib.parse.urlencode(
            {
                "organization_name": "Harbor Shelter Network",
                "signer_name": "Ana Signer",
                "signer_title": "Director",
                "email": "ana@example.org",
                "city": "Tacoma",
                "country": "US",
                "state": "WA",
                "authorized": "on",
                "consent_listed": "on",
                "letter_version": "1",
            }
        ).encode()
        request = urllib.request.Request(
            f"{site}/c/one-command/sign/", data=form, headers={"Origin": site}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.url.endswith("/c/one-command/signed/")

        emails = _wait_for(
            lambda: list(mail_dir.glob("*.eml")), 20, "no email from the RQ worker", log
        )
        message = message_from_bytes(emails[0].read_bytes(), policy=default_policy)
        assert message["To"] == "ana@example.org"
        assert f"{site}/s/confirm/" in message.get_body(("plain",)).get_content()
    finally:
        command.send_signal(signal.SIGINT)  # what Ctrl-C in its terminal sends
        try:
            returncode = command.wait(timeout=45)
        finally:
            for pid in _descendants(command.pid) + started:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
    assert returncode == 0, log.read_text()[-4000:]
    assert not [pid for pid in started if _alive(pid)], "every process it started has stopped"
    assert "stopped" in log.read_text()


def test_periodic_jobs_run_when_due_and_never_twice_at_once(monkeypatch):
    from campaigns.management.commands import production

    started = []

    class FakeProcess:
        def __init__(self, command, **kwargs):
            started.append(command[-1])
            self.finished = False

        def poll(self):
            return 0 if self.finished else None

    monkeypatch.setattr(production.subprocess, "Popen", FakeProcess)
    command = production.Command()
    command.jobs, now = {}, time.monotonic()
    command.next_run = {"delivery_resume": now - 1, "signon_housekeeping": now + 3600}
    command._run_periodic()
    assert started == ["delivery_resume"]
    command.next_run["delivery_resume"] = now - 1  # due again while the first still runs
    command._run_periodic()
    assert started == ["delivery_resume"]
    command.jobs["delivery_resume"].finished = True
    command._run_periodic()
    assert started == ["delivery_resume", "delivery_resume"]
    assert command.next_run["delivery_resume"] >= now + 5 * 60 - 1
