"""What reaches the logs: link tokens masked in Django's lines, and gunicorn's access log
without the client's address (the sign-on journey's records: tests/signatories/test_views.py).
"""

import io
import logging
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.test import Client

from config.logs import redact_link_tokens

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "eny5ChkxIO40WGZ0hy4BiG9PDWlGiHflmfW3gTUEovc"
IP = "198.51.100.77"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/s/confirm/{TOKEN}/", "/s/confirm/[token]/"),
        (f"/es/s/withdraw/{TOKEN}/", "/es/s/withdraw/[token]/"),
        (f"/s/reconfirm/{TOKEN}/", "/s/reconfirm/[token]/"),
        (f"/privacy/my-data/copy/{TOKEN}/", "/privacy/my-data/copy/[token]/"),
        (f"/es/privacy/my-data/erase/{TOKEN}/", "/es/privacy/my-data/erase/[token]/"),
        (f"/lead/invitations/{TOKEN}/", "/lead/invitations/[token]/"),
        (
            "/accounts/password/reset/key/4-cz7k2q-0f1e2d3c4b5a/",
            "/accounts/password/reset/key/[token]/",
        ),
        ("/s/confirm/code/", "/s/confirm/code/"),
        ("/c/fund-survivor-housing-now-2026/", "/c/fund-survivor-housing-now-2026/"),
    ],
)
def test_link_tokens_are_masked_and_other_paths_kept(path, logged):
    assert redact_link_tokens(f"Not Found: {path}") == f"Not Found: {logged}"


@pytest.fixture
def console():
    """What the site's configured log handler writes (settings.LOGGING's "console")."""
    handler = next(h for h in logging.getLogger("django").handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_django_warnings_about_a_link_never_write_its_token(console):
    client = Client(enforce_csrf_checks=True)
    # A browser without the CSRF cookie posts a confirm button; a spent link is followed.
    assert client.post(f"/s/confirm/{TOKEN}/", REMOTE_ADDR=IP).status_code == 403
    assert client.get(f"/es/s/withdraw/{TOKEN}/", REMOTE_ADDR=IP).status_code == 404
    written = console.getvalue()
    assert "Forbidden (CSRF cookie not set.): /s/confirm/[token]/" in written
    assert "Not Found: /es/s/withdraw/[token]/" in written
    assert TOKEN not in written
    assert IP not in written


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorns_access_log_has_no_ip_no_query_and_no_token():
    # A real gunicorn started from the project folder, as `make serve` does: it reads
    # gunicorn.conf.py (our access log format and logger class) by itself. A bare WSGI app
    # keeps it quick; the log line is gunicorn's, whatever the app.
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            "-",
            "--no-control-socket",
            "tests.plain_wsgi:application",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/s/confirm/{TOKEN}/?email=seed.signer%40private-mail.example"
    request = urllib.request.Request(
        url,
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Real-IP": "203.0.113.9",
            "Referer": f"http://127.0.0.1:{port}/s/withdraw/{TOKEN}/",
            "Authorization": "Basic dXNlcjpzZWNyZXQ=",
        },
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.read() == b"ok"
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=15)
    lines = [line for line in log.splitlines() if '"GET ' in line]
    assert len(lines) == 1, log
    assert '"GET /s/confirm/[token]/ HTTP/1.1" 200 2 bytes' in lines[0]
    for secret in ("127.0.0.1", "203.0.113.9", TOKEN, "private-mail", "email=", "user"):
        assert secret not in lines[0], secret


def test_make_serve_leaves_the_access_log_format_to_gunicorn_conf():
    # gunicorn reads ./gunicorn.conf.py unless told otherwise; a format or logger class
    # given on the command line would bring the client's address back.
    makefile = (ROOT / "Makefile").read_text()
    commands = [line for line in makefile.splitlines() if "bin/gunicorn " in line]
    assert commands
    for command in commands:
        for option in ("--access-logformat", "--logger-class", "--config", " -c "):
            assert option not in command, option
