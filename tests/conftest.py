import os

# Unit tests run background tasks inline; tests of the real workers choose their own backend.
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("CACHE_URL", "locmem://")

from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

# Hypothesis profiles. "ci" (the default) draws the same examples on every run (CI is
# reproducible) and keeps no example database. "thorough" (HYPOTHESIS_PROFILE=thorough)
# draws ten times as many, at random, and keeps failing examples to replay. Whatever
# hypothesis stores (those examples, its caches) goes under var/, never into the checkout.
HYPOTHESIS_HOME = Path(__file__).parent.parent / "var" / "hypothesis"
set_hypothesis_home_dir(HYPOTHESIS_HOME)
hypothesis_settings.register_profile("ci", derandomize=True, database=None, deadline=None)
hypothesis_settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    database=DirectoryBasedExampleDatabase(HYPOTHESIS_HOME / "examples"),
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
