"""Builds the official provider clients from settings, and the activities around them."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import hubspot
import stripe
from sendgrid import SendGridAPIClient
from temporalio.client import Client

from activities.crm import CrmActivities
from activities.email import EmailActivities
from activities.facts import FactActivities
from activities.ledger import LedgerActivities
from activities.nap import nap
from activities.payments import PaymentActivities
from activities.watches import WatchActivities
from dunning.settings import Settings


def stripe_client(settings: Settings) -> stripe.StripeClient:
    """Stripe, with no retries of its own: Temporal retries, with the same idempotency key."""
    return stripe.StripeClient(
        settings.stripe_api_key.get_secret_value() or "sk_test_unset",
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=settings.http_timeout_seconds),
    )


def hubspot_client(settings: Settings) -> hubspot.Client:
    """HubSpot, with no urllib3 retries of its own."""
    return hubspot.Client.create(
        access_token=settings.hubspot_access_token.get_secret_value() or "unset",
        host=settings.hubspot_api_base.rstrip("/"),
        retry=False,
    )


def sendgrid_client(settings: Settings) -> SendGridAPIClient:
    """SendGrid, with a timeout (its client has none by default)."""
    client = SendGridAPIClient(
        settings.sendgrid_api_key.get_secret_value() or "unset",
        host=settings.sendgrid_api_base.rstrip("/"),
    )
    client.client.timeout = settings.http_timeout_seconds
    return client


def all_activities(settings: Settings, client: Client) -> list[Callable[..., Any]]:
    """Every activity of the product, bound to provider clients built from `settings`, and
    to the worker's Temporal `client` (the daily scan starts renewal watches with it)."""
    settle = timedelta(seconds=settings.search_settle_seconds)
    key_renewal = timedelta(seconds=settings.charge_key_renewal_seconds)
    payments = PaymentActivities(stripe_client(settings), key_renewal)
    crm = CrmActivities(hubspot_client(settings), settings.http_timeout_seconds, settle)
    email = EmailActivities(sendgrid_client(settings), settings.email_from, settle)
    ledger = LedgerActivities(settings.database_url.get_secret_value())
    facts = FactActivities(crm, payments, ledger)
    watches = WatchActivities(client, settings.task_queue)
    return [
        facts.read_case_facts,
        ledger.record_case,
        crm.read_account,
        payments.list_renewals,
        payments.store_renewal_po,
        watches.start_watches,
        payments.charge_invoice,
        payments.read_settlement,
        payments.apply_po_number,
        payments.resend_invoice,
        payments.update_customer_email,
        payments.apply_invoice_action,
        crm.create_task,
        crm.update_billing_contact,
        email.send_email,
        nap,
    ]
