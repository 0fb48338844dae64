import os

# Unit tests run background tasks inline; tests of the real workers choose their own backend.
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("CACHE_URL", "locmem://")

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
