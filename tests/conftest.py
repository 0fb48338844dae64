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


@pytest.fixture(autouse=True)
def _tasks_run_inline(settings):
    # pytest-django sets Django up before this file runs, so TASK_BACKEND above comes too
    # late for settings.TASKS; override it here. Tests of real workers override it again.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _default_language():
    # A request through the test client activates its page's language (/es/ is Spanish)
    # in this thread, and nothing deactivates it: each test starts in the default language.
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
