"""Serving an aiohttp application until SIGINT or SIGTERM (the webhook and codec services)."""

import asyncio
import signal

from aiohttp import web


async def serve_until_stopped(app: web.Application, port: int) -> None:
    """Listen on `port`; on a stop signal, finish the requests in flight and return."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
