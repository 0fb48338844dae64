"""How long a delivery takes: snapshot and send N copies with a real worker to a local SMTP
server (aiosmtpd), unthrottled.

    .venv/bin/python benchmarks/delivery.py                     # 500 offices, 150 signers
    .venv/bin/python benchmarks/delivery.py --offices 2000 --signers 1000
    .venv/bin/python benchmarks/delivery.py --database-url postgres://postgres@127.0.0.1/cg_x

A throwaway SQLite database (or the empty PostgreSQL database given, which it migrates and
fills) holds a campaign with its signers and N offices with an email address each; one
`manage.py db_worker` process builds every copy's PDF (the shared letter once, a cover per
office) and sends them. Printed: time to the last snapshot, time to the last message
received, and copies per second for each phase. Production sends are throttled by
DELIVERY_RATE_PER_MINUTE; this measures what one worker can do without it.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Inbox:
    def __init__(self):
        self.count = 0
        self.last = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += len(envelope.rcpt_tos)
            self.last = time.monotonic()
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=500)
    parser.add_argument("--signers", type=int, default=150)
    parser.add_argument("--database-url", help="An empty database to use instead of SQLite.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="delivery-bench-"))
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(workdir / "media"),
        "TASK_BACKEND": "database",
        "MAILER": "smtp",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "DELIVERY_RATE_PER_MINUTE": "0",
        "DELIVERY_SLICE_SECONDS": "30",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from campaigns.delivery import delivery_run_create
    from campaigns.models import Campaign, Delivery
    from campaigns.services import campaign_create
    from signatories.models import Signature
    from tests.factories import make_recipients

    campaign = campaign_create(
        slug="bench",
        title="Benchmark letter",
        letter_body="To the legislature:\n\n## ASK\n\n- Fund the shelters.\n",
        status=Campaign.Status.CLOSED,
        reply_to_email="team@coalition.example",
    )
    version = campaign.versions.get()
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            status=Signature.Status.VERIFIED,
            organization_name=f"Organization {n}",
            organization_key=f"organization {n}",
            email=f"signer{n}@example.org",
            email_canonical=f"signer{n}@example.org",
            state=["WA", "OR", "TX", "NY"][n % 4],
            consent_listed=True,
            letter_version=version,
            letter_sha256=version.sha256,
        )
        for n in range(args.signers)
    )
    make_recipients(campaign=campaign, count=args.offices, tag="bench")

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1", "-v", "0"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(3)  # the worker's start-up (Django, WeasyPrint) is not the delivery's
        start = time.monotonic()
        run = delivery_run_create(campaign=campaign, actor=None)
        snapshots_done = None
        while inbox.count < args.offices:
            if snapshots_done is None and not run.deliveries.filter(status="pending").exists():
                snapshots_done = time.monotonic()
            if worker.poll() is not None:
                raise SystemExit("the worker stopped")
            time.sleep(0.05)
        sent_done = inbox.last
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        controller.stop()
    snapshot_seconds = snapshots_done - start
    send_seconds = sent_done - snapshots_done
    sent = Delivery.objects.filter(status="sent").count()
    print(f"{args.offices} offices, {args.signers} signers, one db_worker, SMTP on 127.0.0.1")
    print(f"snapshots: {snapshot_seconds:.1f} s ({args.offices / snapshot_seconds:.0f} copies/s)")
    print(f"sending:   {send_seconds:.1f} s ({args.offices / send_seconds:.0f} emails/s)")
    print(f"total:     {sent_done - start:.1f} s; {sent} marked sent, {inbox.count} received")


if __name__ == "__main__":
    main()
