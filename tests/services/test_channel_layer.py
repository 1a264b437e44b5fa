"""The channel layer on the real Redis: a socket with nothing to receive for a while stays open.

With redis-py 8 (5 s read timeout by default) and channels_redis (a 5 s blocking BZPOPMIN per
wait), every socket idle for 5 s was closed with 1011 ("Timeout reading from 127.0.0.1:6379")
and the page reconnected, over and over: under load the reconnect storm cost more than the chat.
Runs in the services pass (REDIS_URL); see test_sla_worker.py.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.layers import get_channel_layer
from test_sla_worker import HAVE_SERVICES, MUST_RUN

pytestmark = [
    pytest.mark.services,
    pytest.mark.skipif(
        not HAVE_SERVICES and not MUST_RUN,
        reason="services pass only: set DATABASE_URL (PostgreSQL) and REDIS_URL",
    ),
]


async def test_a_wait_longer_than_redis_default_read_timeout_is_not_an_error():
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisChannelLayer"
    channel = await layer.new_channel()
    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(8)  # longer than the 5 s blocking wait and redis-py's 5 s default
    assert not waiting.done(), waiting.exception()
    await layer.send(channel, {"type": "chat.message", "message_id": 1})
    assert (await asyncio.wait_for(waiting, 10))["message_id"] == 1


async def test_a_backlog_of_pushes_to_one_web_process_is_not_dropped():
    """All the sockets of one process receive through one Redis list; at channels_redis's
    default capacity (100) a push beyond it vanished, and the patient's page waited for an
    answer that was already saved."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    groups = [f"conversation-{uuid.uuid4().hex[:8]}" for _ in range(150)]
    for group in groups:  # 150 conversations answered while the process was busy elsewhere
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "chat.message", "message_id": group})
    received = [(await asyncio.wait_for(layer.receive(channel), 10))["message_id"] for _ in groups]
    assert received == groups
    for group in groups:
        await layer.group_discard(group, channel)
