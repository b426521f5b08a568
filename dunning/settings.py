"""The worker's settings, from the environment (names from CONTRACT.md). Secrets stay secret."""

import json
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from dunning.contract.case import REAL_DAY_SECONDS
from dunning.rules.policy import DunningPolicy

STRIPE_DEFAULT_BASE = "https://api.stripe.com"
HUBSPOT_DEFAULT_BASE = "https://api.hubapi.com"
SENDGRID_DEFAULT_BASE = "https://api.sendgrid.com"
DEFAULT_DATABASE_URL = "sqlite:///.dunning/ledger.db"


ENVIRONMENT = {
    "task_queue": "DUNNING_TASK_QUEUE",
    "stripe_api_key": "STRIPE_API_KEY",
    "stripe_api_base": "STRIPE_API_BASE",
    "hubspot_access_token": "HUBSPOT_ACCESS_TOKEN",
    "hubspot_api_base": "HUBSPOT_API_BASE",
    "sendgrid_api_key": "SENDGRID_API_KEY",
    "sendgrid_api_base": "SENDGRID_API_BASE",
    "email_from": "DUNNING_EMAIL_FROM",
    "policy_file": "DUNNING_POLICY_FILE",
    "stripe_webhook_secrets": "STRIPE_WEBHOOK_SECRETS",
    "webhook_port": "DUNNING_WEBHOOK_PORT",
    "day_seconds": "DUNNING_DAY_SECONDS",
    "metrics_port": "DUNNING_METRICS_PORT",
    "encryption_keys": "DUNNING_ENCRYPTION_KEYS",
    "codec_token": "DUNNING_CODEC_TOKEN",
    "codec_port": "DUNNING_CODEC_PORT",
    "codec_cors_origins": "DUNNING_CODEC_CORS_ORIGINS",
    "http_timeout_seconds": "DUNNING_HTTP_TIMEOUT_SECONDS",
    "charge_key_renewal_seconds": "DUNNING_CHARGE_KEY_RENEWAL_SECONDS",
    "search_settle_seconds": "DUNNING_SEARCH_SETTLE_SECONDS",
    "database_url": "DUNNING_DATABASE_URL",
}
"""Settings field → the environment variable it is read from."""


class Settings(BaseModel):
    """Everything the worker and starter read from the environment."""

    model_config = ConfigDict(frozen=True)

    task_queue: str = "dunning"
    """`DUNNING_TASK_QUEUE`."""
    stripe_api_key: SecretStr = SecretStr("")
    """`STRIPE_API_KEY`."""
    stripe_api_base: str = STRIPE_DEFAULT_BASE
    """`STRIPE_API_BASE`: the sandbox's URL to run locally."""
    hubspot_access_token: SecretStr = SecretStr("")
    """`HUBSPOT_ACCESS_TOKEN`."""
    hubspot_api_base: str = HUBSPOT_DEFAULT_BASE
    """`HUBSPOT_API_BASE`."""
    sendgrid_api_key: SecretStr = SecretStr("")
    """`SENDGRID_API_KEY`."""
    sendgrid_api_base: str = SENDGRID_DEFAULT_BASE
    """`SENDGRID_API_BASE`."""
    http_timeout_seconds: float = Field(default=20.0, gt=0, le=120)
    """`DUNNING_HTTP_TIMEOUT_SECONDS`: how long a provider call may take before it is retried."""
    charge_key_renewal_seconds: float = Field(default=12 * 3600, gt=0, le=20 * 3600)
    """`DUNNING_CHARGE_KEY_RENEWAL_SECONDS`: a charge still retrying this long after it was
    first asked for re-reads the invoice and its last charge, then uses a new idempotency
    key. Stripe keeps keys for 24 hours; renewing well inside that means a key is never
    reused after Stripe forgot it."""
    search_settle_seconds: float = Field(default=300, ge=0, le=3600)
    """`DUNNING_SEARCH_SETTLE_SECONDS`: how long SendGrid's and HubSpot's search may take to
    show a message or task just accepted. A retry that cannot find what an earlier try may
    have sent waits this long after that try before it sends again."""
    email_from: str = "billing@example.com"
    """`DUNNING_EMAIL_FROM`: the sender of dunning emails."""
    policy_file: Path | None = None
    """`DUNNING_POLICY_FILE`: a JSON `DunningPolicy` that replaces the defaults for new cases."""
    stripe_webhook_secrets: SecretStr = SecretStr("")
    """`STRIPE_WEBHOOK_SECRETS`: the signing secrets (`whsec_…`), comma-separated while one
    is rotated out."""
    webhook_port: int = 8788
    """`DUNNING_WEBHOOK_PORT`: where the webhook service listens."""
    day_seconds: int = Field(default=REAL_DAY_SECONDS, ge=1, le=REAL_DAY_SECONDS)
    """`DUNNING_DAY_SECONDS`: the policy day of the cases the webhook service opens (a
    compressed clock for the lab and staging)."""
    metrics_port: int | None = None
    """`DUNNING_METRICS_PORT`: serve Prometheus metrics on this port (off when unset)."""
    encryption_keys: SecretStr = SecretStr("")
    """`DUNNING_ENCRYPTION_KEYS`: `id:base64key,…`; when set, every payload Temporal stores
    is encrypted with the first key, and any listed key decrypts."""
    codec_token: SecretStr = SecretStr("")
    """`DUNNING_CODEC_TOKEN`: the bearer token the codec server requires."""
    codec_port: int = 8789
    """`DUNNING_CODEC_PORT`: where the codec server listens."""
    codec_cors_origins: str = "http://localhost:8233,http://localhost:8080"
    """`DUNNING_CODEC_CORS_ORIGINS`: the Web UI origins allowed to call the codec server."""
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    """`DUNNING_DATABASE_URL`: the case ledger's database, as a SQLAlchemy URL (SQLite
    under `.dunning/` by default; `postgresql+pg8000://user:password@host/db` for
    PostgreSQL). Secret: it may hold a password."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read the settings; unset variables keep their defaults."""
        env = os.environ if env is None else env
        return cls.model_validate(
            {field: env[var] for field, var in ENVIRONMENT.items() if env.get(var)}
        )

    def webhook_secrets(self) -> list[str]:
        """Every webhook signing secret in force."""
        raw = self.stripe_webhook_secrets.get_secret_value()
        return [secret.strip() for secret in raw.split(",") if secret.strip()]

    def policy(self) -> DunningPolicy:
        """The policy new cases capture: the file's, or the defaults."""
        if self.policy_file is None:
            return DunningPolicy()
        return DunningPolicy.model_validate(json.loads(self.policy_file.read_text()))
