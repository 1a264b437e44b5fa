from channels.generic.websocket import AsyncJsonWebsocketConsumer


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Placeholder until the nurse inbox lands."""

    async def connect(self):
        await self.close()
