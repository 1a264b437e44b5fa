"""The project's Celery app on a queue of its own, for tests/services/test_sla_worker.py.

The worker and beat started by that test share Redis with anything else running on this machine;
a queue named per test run keeps their messages apart (beat sends to the default queue).
"""

import os

from portal.celery import app

app.conf.task_default_queue = os.environ["SLA_TEST_QUEUE"]

__all__ = ["app"]
