import pytest
from django.db import connection, transaction
from django.test.utils import override_settings

from .site import crawl
from .world import make_fuzz_world, visitors


@pytest.fixture(scope="module")
def fuzz_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world and what the crawl found, made once for the module inside a transaction
    that is rolled back at its end. Each test's own transaction (pytest-django's) nests
    inside it as a savepoint, and each example inside that as another (see `example`)."""
    media = tmp_path_factory.mktemp("fuzz-media")
    # A small page size so that the public list has several pages to ask for.
    overrides = override_settings(MEDIA_ROOT=media, SIGNER_LIST_PAGE_SIZE=3)
    with django_db_blocker.unblock(), overrides:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = make_fuzz_world()
            clients = visitors(world)
            site = crawl(world, clients)
            yield world, site
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.close_if_unusable_or_obsolete()
