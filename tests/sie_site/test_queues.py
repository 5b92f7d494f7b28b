"""Celery queues: enrichment and alerting messages each land in exactly one queue."""

from __future__ import annotations

import redis
from django.conf import settings

from sie_site.celery import app
from tests.conftest import requires_redis


@requires_redis
def test_a_message_lands_in_its_own_queue_and_no_other():
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("celery", "alerting")
    with app.connection_for_write() as conn:
        # Declare and bind every queue as a worker does when it starts consuming.
        for queue in app.amqp.queues.values():
            queue.bind(conn.default_channel).declare()
    try:
        app.send_task("sie.test.default_queue")
        app.send_task("sie.test.alerting_queue", queue="alerting")
        app.send_task("sie.test.alerting_queue", queue="alerting")
        assert (broker.llen("celery"), broker.llen("alerting")) == (1, 2)
    finally:
        broker.delete("celery", "alerting")
