"""`python -m codec`: the codec server for the Web UI (`--ui-codec-endpoint`)."""

import asyncio
import logging

from client.connection import exit_process
from codec.encryption import EncryptionCodec, EncryptionKeys
from codec.server import CodecServer
from dunning.settings import Settings
from serving import serve_until_stopped

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
    log.info("codec server on :%d for %s", settings.codec_port, ", ".join(origins))
    await serve_until_stopped(server.app(), settings.codec_port)


if __name__ == "__main__":
    asyncio.run(serve())
    exit_process(0)
