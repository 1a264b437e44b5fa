from channels.generic.websocket import AsyncJsonWebsocketConsumer


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """Placeholder until the chat protocol lands."""

    async def connect(self):
        await self.close()
