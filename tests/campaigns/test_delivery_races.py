"""Two leads (or one double click) pressing "Send" at the same instant make one delivery run.

Threads with their own database connections post the confirmation form at once. On
PostgreSQL the campaign row lock serializes them (and a partial unique index would refuse a
second active run); SQLite runs one writing transaction at a time. Either way the first
makes the run and the others are told a delivery is already under way.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from campaigns.models import CampaignRole, Delivery, DeliveryRun
from tests.lead import make_verified_user

from .delivery_helpers import make_send_world

pytestmark = [pytest.mark.django_db(transaction=True)]

CLICKS = 8


def test_racing_send_clicks_make_one_delivery_run(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    world = make_send_world(emails=3, posts=2)
    leads = [make_verified_user() for _ in range(2)]
    for lead in leads:
        CampaignRole.objects.create(campaign=world.campaign, user=lead, role="editor")
    url = reverse("lead:delivery-send", kwargs={"slug": world.campaign.slug})
    barrier = threading.Barrier(CLICKS)
    results: list = [None] * CLICKS

    def click(index):
        client = Client()
        client.force_login(leads[index % 2])
        try:
            barrier.wait(timeout=10)
            response = client.post(url, {"when": "now", "expected_count": "5"}, follow=True)
            results[index] = response.content.decode()
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(i,)) for i in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results if not isinstance(r, str)], results
    assert DeliveryRun.objects.count() == 1
    assert Delivery.objects.count() == 5
    assert sum("Sending 5 copies." in page for page in results) == 1
    assert sum("already scheduled or under way" in page for page in results) == CLICKS - 1
