"""How the lead area's bulk work scales: approve, undo, invalidate, CSV export, dashboard.

Creates a campaign with --count signatures (5,000 by default) on a throw-away database
(SQLite in a temporary folder, or PostgreSQL when DATABASE_URL points at one: a
`bench_<name>` database is created and dropped), then times each action and counts its
queries. Bulk actions must stay at a handful of queries whatever the count.

    .venv/bin/python benchmarks/moderation.py
    .venv/bin/python benchmarks/moderation.py --count 50000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_x .venv/bin/python benchmarks/moderation.py
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TASK_BACKEND"] = "immediate"
    workdir = tempfile.TemporaryDirectory(prefix="cg-bench-moderation-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir.name}/bench.sqlite3")

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from campaigns.exports import signatures_csv_rows
    from campaigns.services import campaign_create
    from signatories import moderation
    from signatories.models import Signature
    from signatories.selectors import (
        SignatureFilter,
        signatures_for_lead,
        signatures_per_day,
        signatures_per_partner,
        signatures_public_per_state,
    )

    name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = (
        f"{workdir.name}/bench-test.sqlite3"
        if connection.vendor == "sqlite"
        else f"bench_{Path(str(name)).name}"
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)

    def timed(label, run, **kwargs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = run(**kwargs)
            elapsed = time.perf_counter() - started
        print(f"{label:<34} {elapsed * 1000:8.0f} ms {len(queries):5d} queries   {result}")
        return result

    try:
        lead = get_user_model().objects.create_user(
            username="bench@example.org", email="bench@example.org", password=None
        )
        campaign = campaign_create(
            slug="bench", title="Bench", letter_body="Text", owner=lead, requires_approval=True
        )
        version = campaign.versions.get()
        now = timezone.now()
        Signature.objects.bulk_create(
            (
                Signature(
                    campaign=campaign,
                    organization_name=f"Org {n}",
                    organization_key=f"org {n}",
                    email=f"s{n}@{'spam' if n % 10 == 0 else 'good'}.example",
                    email_canonical=f"s{n}@{'spam' if n % 10 == 0 else 'good'}.example",
                    state=["WA", "OR", "CA", "NY", "TX"][n % 5],
                    status=Signature.Status.VERIFIED,
                    consent_listed=True,
                    letter_version=version,
                    letter_sha256=version.sha256,
                    created_at=now,
                    verified_at=now,
                )
                for n in range(args.count)
            ),
            batch_size=2000,
        )
        print(f"database: {connection.vendor}; {args.count} verified signatures")
        everything = signatures_for_lead(
            campaign=campaign, filters=SignatureFilter(), include_contacts=True
        )

        def in_transaction(service, **kwargs):
            with transaction.atomic():
                return service(**kwargs)

        timed(
            "approve all matching",
            in_transaction,
            service=moderation.signatures_approve,
            campaign=campaign,
            actor=lead,
            selection=everything,
        )
        timed(
            "undo the approval",
            in_transaction,
            service=moderation.bulk_action_undo,
            campaign=campaign,
            actor=lead,
        )
        criteria = moderation.InvalidateCriteria(domain="spam.example")
        expected = timed(
            "invalidate preview (domain)",
            moderation.signatures_invalidate_preview,
            campaign=campaign,
            criteria=criteria,
        )
        timed(
            "invalidate (domain)",
            in_transaction,
            service=moderation.signatures_invalidate,
            campaign=campaign,
            actor=lead,
            criteria=criteria,
            expected_count=expected,
        )

        def export(**kwargs):
            rows = signatures_csv_rows(**kwargs)
            size = sum(len(line) for line in rows)
            return f"{size / 1e6:.1f} MB"

        timed("CSV export, contact fields", export, signatures=everything, include_contacts=True)

        def dashboard():
            return (
                len(signatures_per_day(campaign=campaign)),
                len(signatures_public_per_state(campaign=campaign)),
                len(signatures_per_partner(campaign=campaign)),
            )

        timed("dashboard aggregates", dashboard)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        workdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
