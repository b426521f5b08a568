"""`python -m webhooks`: the Stripe webhook service, until SIGINT or SIGTERM."""

import asyncio
import logging

from activities.clients import stripe_client
from client.connection import connect, exit_process
from dunning.settings import Settings
from serving import serve_until_stopped
from webhooks.service import WebhookService

log = logging.getLogger("dunning.webhooks")


async def serve() -> None:
    """Serve until stopped; in-flight requests finish first."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings.from_env()
    if not settings.webhook_secrets():
        raise SystemExit("STRIPE_WEBHOOK_SECRETS is required: the whsec_… signing secret(s)")
    service = WebhookService(
        await connect(),
        stripe_client(settings),
        settings.webhook_secrets(),
        settings.task_queue,
        settings.policy(),
        settings.day_seconds,
    )
    log.info("listening on :%d/stripe/webhook", settings.webhook_port)
    await serve_until_stopped(service.app(), settings.webhook_port)


if __name__ == "__main__":
    asyncio.run(serve())
    exit_process(0)
