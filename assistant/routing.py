from django.urls import path

from . import consumers
from .inbox import consumers as inbox_consumers

websocket_urlpatterns = [
    path("ws/chat/<int:conversation_id>/", consumers.ChatConsumer.as_asgi()),
    path("ws/inbox/", inbox_consumers.InboxConsumer.as_asgi()),
]
