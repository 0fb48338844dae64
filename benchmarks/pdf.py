"""How long the letter's PDF takes and how much memory it needs, as the signer list grows.

    .venv/bin/python benchmarks/pdf.py                 # 50, 500, 5,000, 20,000 signers; copies
    .venv/bin/python benchmarks/pdf.py --sizes 50,500 --copies 100

Each measurement runs in a fresh Python process, so that its peak resident memory is its
own. The data lives in a throwaway SQLite database under a temporary folder. Times are
wall-clock seconds of `pdf_build` in a process whose fonts are already loaded (a worker's
steady state); the one-time font setup is reported apart. CPU seconds are printed too,
since wall time is noisy on a shared machine.

Goals (issue 5): 5,000 signers < 5 s and < 250 MB; 20,000 < 20 s and < 600 MB; a
personalized copy at least 25 times faster than rendering the whole letter again.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOALS = {5000: (5.0, 250), 20000: (20.0, 600)}


def _django(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ["TASK_BACKEND"] = "immediate"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


WORDS = [
    "Coalition",
    "Alliance",
    "Network",
    "Center",
    "Project",
    "Collective",
    "Council",
    "Partnership",
    "Housing",
    "Justice",
    "Survivors",
    "Community",
    "Health",
    "Legal",
    "Aid",
    "Women",
    "Youth",
    "Rights",
    "Outreach",
    "Shelter",
    "Immigrant",
    "Interfaith",
    "Harm",
    "Reduction",
    "Recovery",
    "Safety",
    "Dignity",
    "Action",
    "Fund",
]
SPECIAL = [
    "Asociación de Trabajadoras del Hogar de Nuevo México",
    "Fédération des Survivantes de la Louisiane",
    "Zoë Müller Foundation for Safe Housing",
    "جمعية الأمل لدعم الناجيات",
    "华人妇女互助会",
    "한인 여성 쉼터 네트워크",
    "日系コミュニティ支援センター",
    "The Greater Northwestern Interfaith Partnership for Housing, Health, Dignity and "
    "Economic Justice for Survivors of Exploitation and Their Families",
]


def populate(size: int) -> str:
    """A campaign with `size` public signers (names of realistic lengths); its slug."""
    from campaigns.demo import OPEN_LETTER
    from campaigns.services import campaign_create
    from signatories.models import Signature
    from signatories.regions import US_STATES

    rng = random.Random(size)
    slug = f"bench-{size}"
    campaign = campaign_create(
        slug=slug,
        title="Safety First: Shared Recommendations on Exploitation and the Sex Trades",
        letter_body=OPEN_LETTER,
        status="open",
        reply_to_email="coalition@example.org",
        postal_address="Common Ground Coalition, 100 Example Street, Seattle, WA 98101",
    )
    version = campaign.versions.get()
    states = list(US_STATES)
    signatures = []
    for index in range(size):
        if index < len(SPECIAL):
            name = SPECIAL[index]
        else:
            # 36 characters on average, like the demo's organizations (34).
            name = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 5)))
            name = f"{name} of {rng.choice(['Seattle', 'Austin', 'Ohio', 'the Bay Area'])}"
        individual = index % 10 == 9
        signatures.append(
            Signature(
                campaign=campaign,
                kind="individual" if individual else "organization",
                status="verified",
                organization_name="" if individual else name,
                signer_name=f"Person {index}" if individual else f"Signer {index}",
                email=f"bench-{index}@example.org",
                email_canonical=f"bench-{index}@example.org",
                state=rng.choice(states),
                city="Springfield",
                is_lead_organization=index in (10, 11, 12),
                consent_listed=True,
                authorized=True,
                letter_version=version,
                letter_sha256=version.sha256,
            )
        )
    Signature.objects.bulk_create(signatures, batch_size=2000)
    return slug


def _recipients(count: int):
    from campaigns.pdf import Recipient

    return [
        Recipient(
            key=f"bench-{i}",
            name=f"Jane Doe {i}",
            honorific="The Honorable",
            title=f"State Senator, District {i % 49 + 1}",
            chamber="Washington State Senate",
            jurisdiction="Washington",
            address_lines=(f"{200 + i} John A. Cherberg Building", "Olympia, WA 98504"),
            salutation=f"Dear Senator Doe {i}:",
        )
        for i in range(count)
    ]


def _warm() -> float:
    """Load fonts and the stylesheet as a long-running worker would have already."""
    from django.conf import settings
    from django.utils import translation

    from campaigns import pdf

    started = time.perf_counter()
    with translation.override(settings.LANGUAGE_CODE):
        pdf._font_config()
        pdf._stylesheet(settings.LANGUAGE_CODE)
        pdf._metrics()
    return time.perf_counter() - started


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_size(workdir: Path, size: int) -> dict:
    _django(workdir)
    from campaigns.models import Campaign
    from campaigns.pdf import pdf_build

    campaign = Campaign.objects.get(slug=f"bench-{size}")
    setup = _warm()
    wall, cpu = time.perf_counter(), time.process_time()
    built = pdf_build(campaign=campaign)
    return {
        "signers": size,
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "setup": setup,
        "peak_mb": _peak_mb(),
        "pages": built.page_count,
        "kb": built.path.stat().st_size / 1024,
    }


def child_copies(workdir: Path, size: int, copies: int, samples: int) -> dict:
    _django(workdir)
    import shutil

    from django.conf import settings

    from campaigns.models import Campaign
    from campaigns.pdf import COVER_BATCH, pdf_build_batch

    campaign = Campaign.objects.get(slug=f"bench-{size}")
    recipients = _recipients(copies)
    _warm()
    cache = Path(settings.MEDIA_ROOT) / "pdfs"

    # Re-rendering the whole letter for each copy: a fresh batch of one, nothing reused.
    rerender = []
    for recipient in recipients[:samples]:
        shutil.rmtree(cache, ignore_errors=True)
        started = time.perf_counter(), time.process_time()
        next(pdf_build_batch(campaign=campaign, recipients=[recipient]))
        rerender.append((time.perf_counter() - started[0], time.process_time() - started[1]))
    shutil.rmtree(cache, ignore_errors=True)

    started = time.perf_counter(), time.process_time()
    batch = pdf_build_batch(campaign=campaign, recipients=recipients)
    # The first copy lays the shared letter out, and the first COVER_BATCH covers together:
    # the steady state starts after them.
    for _ in range(COVER_BATCH):
        next(batch)
    first = time.perf_counter() - started[0], time.process_time() - started[1]
    rest = time.perf_counter(), time.process_time()
    count = COVER_BATCH + sum(1 for _ in batch)
    per_copy = (
        (time.perf_counter() - rest[0]) / (count - COVER_BATCH),
        (time.process_time() - rest[1]) / (count - COVER_BATCH),
    )
    total = time.perf_counter() - started[0]
    rerender_wall = sum(w for w, _c in rerender) / len(rerender)
    rerender_cpu = sum(c for _w, c in rerender) / len(rerender)
    return {
        "signers": size,
        "copies": count,
        "total": total,
        "first": first[0],
        "first_batch": COVER_BATCH,
        "per_copy": per_copy[0],
        "per_copy_cpu": per_copy[1],
        "rerender": rerender_wall,
        "rerender_cpu": rerender_cpu,
        "speedup": rerender_wall / per_copy[0],
        "speedup_cpu": rerender_cpu / per_copy[1],
        "peak_mb": _peak_mb(),
    }


def _run_child(workdir: Path, *args: str) -> dict:
    process = subprocess.run(
        [sys.executable, __file__, "--workdir", str(workdir), *args],
        capture_output=True,
        text=True,
    )
    if process.returncode:
        sys.stderr.write(process.stderr)
        raise SystemExit(f"benchmark process failed: {' '.join(args)}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="50,500,5000,20000")
    parser.add_argument("--copies", type=int, default=500)
    parser.add_argument("--copy-signers", type=int, default=500)
    parser.add_argument("--samples", type=int, default=5, help="re-renders to average")
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        workdir = Path(args.workdir)
        if args.child == "size":
            result = child_size(workdir, int(args.sizes))
        else:
            result = child_copies(workdir, args.copy_signers, args.copies, args.samples)
        print(json.dumps(result))
        return 0

    sizes = [int(size) for size in args.sizes.split(",") if size]
    with tempfile.TemporaryDirectory(prefix="cg-bench-pdf-") as tmp:
        workdir = Path(tmp)
        _django(workdir)
        from django.core.management import call_command

        from campaigns.pdf import COVER_BATCH

        if 0 < args.copies <= COVER_BATCH:
            parser.error(f"--copies must be more than {COVER_BATCH}, the covers laid out at once")
        call_command("migrate", verbosity=0)
        for size in sorted({*sizes, args.copy_signers}):
            populate(size)

        failed = False
        if sizes:
            print(f"{'signers':>8} {'pages':>6} {'seconds':>8} {'cpu s':>7} {'peak MB':>8}  goal")
        for size in sizes:
            result = _run_child(workdir, "--child", "size", "--sizes", str(size))
            goal = GOALS.get(size)
            verdict = ""
            if goal:
                ok = result["seconds"] < goal[0] and result["peak_mb"] < goal[1]
                verdict = f"< {goal[0]:g} s, < {goal[1]} MB: {'met' if ok else 'MISSED'}"
                failed |= not ok
            print(
                f"{size:>8,} {result['pages']:>6} {result['seconds']:>8.2f} "
                f"{result['cpu']:>7.2f} {result['peak_mb']:>8.0f}  {verdict}"
            )
        if sizes:
            print(f"(one-time font setup per process: {result['setup']:.2f} s)")

        if args.copies:
            result = _run_child(
                workdir,
                "--child",
                "copies",
                "--copies",
                str(args.copies),
                "--copy-signers",
                str(args.copy_signers),
                "--samples",
                str(args.samples),
            )
            print(
                f"\n{result['copies']} personalized copies of a {result['signers']}-signer "
                f"letter: {result['total']:.1f} s in all, {result['per_copy'] * 1000:.0f} ms "
                f"a copy ({result['per_copy_cpu'] * 1000:.0f} ms CPU) after the first "
                f"{result['first_batch']} ({result['first']:.2f} s, with the letter)"
            )
            print(
                f"re-rendering the whole letter: {result['rerender']:.2f} s a copy "
                f"({result['rerender_cpu']:.2f} s CPU), averaged over {args.samples}"
            )
            ok = result["speedup"] >= 25
            failed |= not ok
            print(
                f"speed-up: {result['speedup']:.0f}x wall, {result['speedup_cpu']:.0f}x CPU "
                f"(goal >= 25x: {'met' if ok else 'MISSED'}); peak {result['peak_mb']:.0f} MB; "
                f"7,400 copies ~ {7400 * result['per_copy'] / 60:.0f} min"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
