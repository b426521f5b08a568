"""`python -m codec`: the codec server for the Web UI (`--ui-codec-endpoint`)."""

import asyncio
import logging
import signal

from aiohttp import web

from codec.encryption import EncryptionCodec, EncryptionKeys
from codec.server import CodecServer
from dunning.settings import Settings

log = logging.getLogger("dunning.codec")


async def serve() -> None:
    """Serve until SIGINT or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    keys = settings.encryption_keys.get_secret_value()
    if not keys:
        raise SystemExit("DUNNING_ENCRYPTION_KEYS is required: there is nothing to decode")
    origins = [o.strip() for o in settings.codec_cors_origins.split(",") if o.strip()]
    server = CodecServer(
        EncryptionCodec(EncryptionKeys.parse(keys)),
        settings.codec_token.get_secret_value(),
        origins,
    )
    runner = web.AppRunner(server.app())
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", settings.codec_port).start()
    log.info("codec server on :%d for %s", settings.codec_port, ", ".join(origins))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve())
