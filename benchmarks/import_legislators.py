"""How long the legislator imports take on a directory the size of the real one.

Builds, in a temporary folder, a synthetic Open States `data/` tree shaped like the real
one: 53 jurisdictions (about 8,700 person files and 4,900 committees), made by replicating
the sample files in ../shared/data/openstates-people with new ids. Then it times a full
import, a re-import of the same files (which must write nothing), and the congress-legislators
import and re-import. It runs on a fresh throw-away database: SQLite in the temporary folder,
or PostgreSQL when DATABASE_URL points at one (a `bench_<name>` database is created and
dropped).

    .venv/bin/python benchmarks/import_legislators.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cg_x \
        .venv/bin/python benchmarks/import_legislators.py
    .venv/bin/python benchmarks/import_legislators.py --tree /path/to/openstates/people/data
"""

import argparse
import os
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
NAMESPACE = uuid.UUID("6f1c1c4e-2f7e-4d1a-9d55-1c0f3b1e9a10")
JURISDICTION_ID = re.compile(r"ocd-jurisdiction/country:us/(?:state|territory|district):[a-z]{2}/")
OCD_ID = re.compile(r"(ocd-(?:person|organization))/([0-9a-f-]{36})")
TARGET_PER_JURISDICTION = 150


def build_tree(source: Path, target: Path, jurisdictions: int) -> tuple[int, int]:
    """Replicate `source`'s jurisdictions into `jurisdictions` new ones; return file counts."""
    from signatories.regions import US_STATES

    templates = sorted(p for p in source.iterdir() if (p / "legislature").is_dir())
    codes = sorted(code.lower() for code in US_STATES)[:jurisdictions]
    people = committees = 0
    for i, code in enumerate(codes):
        template = templates[i % len(templates)]
        size = len(list((template / "legislature").glob("*.yml")))
        copies = max(1, round(TARGET_PER_JURISDICTION / size))
        for copy in range(copies):

            def new_id(match, code=code, copy=copy):
                return f"{match[1]}/{uuid.uuid5(NAMESPACE, f'{code}-{copy}-{match[2]}')}"

            for sub in ("legislature", "executive", "committees"):
                folder = target / code / sub
                folder.mkdir(parents=True, exist_ok=True)
                for file in (template / sub).glob("*.yml"):
                    text = JURISDICTION_ID.sub(
                        f"ocd-jurisdiction/country:us/state:{code}/", file.read_text()
                    )
                    (folder / f"c{copy}-{file.name}").write_text(OCD_ID.sub(new_id, text))
                    if sub == "committees":
                        committees += 1
                    else:
                        people += 1
    return people, committees


def timed(label: str, function, **kwargs):
    started = time.perf_counter()
    result = function(**kwargs)
    elapsed = time.perf_counter() - started
    print(f"{label:<28} {elapsed:6.2f} s   {result.summary}")
    print(f"{'':<28} {'':>8}   {result.committees_summary}")
    return result, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SHARED / "openstates-people")
    parser.add_argument("--congress", type=Path, default=SHARED / "congress-legislators")
    parser.add_argument("--jurisdictions", type=int, default=53)
    parser.add_argument("--tree", type=Path, help="Time this Open States data/ tree as it is.")
    args = parser.parse_args()
    if not args.tree and not args.source.is_dir():
        # Not a failure: `make bench` runs on machines without ../shared beside the checkout.
        print(f"skipped: no sample data at {args.source} (pass --source or --tree)")
        return 0

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TASK_BACKEND"] = "immediate"
    workdir = tempfile.TemporaryDirectory(prefix="cg-bench-legislators-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir.name}/bench.sqlite3")

    import django

    django.setup()
    from django.db import connection

    from campaigns import importers

    name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    connection.settings_dict["TEST"]["NAME"] = (
        f"{workdir.name}/bench-test.sqlite3"
        if connection.vendor == "sqlite"
        else f"bench_{Path(str(name)).name}"
    )
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if args.tree:
            tree = args.tree
            print(f"Open States tree: {tree}")
        else:
            tree = Path(workdir.name) / "data"
            started = time.perf_counter()
            people, committees = build_tree(args.source, tree, args.jurisdictions)
            print(
                f"synthetic tree: {args.jurisdictions} jurisdictions, {people} person files, "
                f"{committees} committee files (built in {time.perf_counter() - started:.1f} s)"
            )
        loader = importers.YamlLoader.__name__
        print(f"database: {connection.vendor}; YAML loader: {loader}")
        timed("openstates: full import", importers.legislators_import_openstates, path=tree)
        again, _ = timed(
            "openstates: re-import", importers.legislators_import_openstates, path=tree
        )
        assert (again.created, again.updated, again.retired) == (0, 0, 0), again.summary
        if args.congress.is_dir():
            timed(
                "congress: full import", importers.legislators_import_congress, path=args.congress
            )
            timed("congress: re-import", importers.legislators_import_congress, path=args.congress)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
        workdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
