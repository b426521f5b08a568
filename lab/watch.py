"""A renewal's watch played in the backtest: when it begins, what it sends, and when the
customer replaces the expiring card, through the workflow's own rules."""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dunning.contract.case import PreDunningContext
from dunning.contract.enums import EmailTemplate, WatchCheck
from dunning.contract.predunning import PreDunningCase
from dunning.rules.policy import DunningPolicy
from dunning.rules.predunning import WATCH_REQUESTS, billing_address, watch_checks
from lab.behaviour import account_of
from worlds.behaviour import CustomerAction, Reaction
from worlds.model import Customer, World
from worlds.renewals import Subscription


@dataclass
class WatchPlay:
    """What a renewal's watch did in the world."""

    watch_id: str | None = None
    """The watch's workflow id (None: pre-dunning is off)."""
    emails: list[EmailTemplate] = field(default_factory=list)
    """The emails the customer received, in order."""
    replaced_at: datetime | None = None
    """When the customer replaced the card after the watch's emails, if they did."""
    new_card_fails: bool = False
    """The card they replaced it with declines too."""
    paid_on_day: float | None = None
    """The world day the customer pays an invoiced renewal in answer to the watch's
    emails, if they do."""
    po: tuple[float, str] | None = None
    """The world day the AP team sends the PO the watch asked for, and the PO."""

    def context(self) -> PreDunningContext | None:
        """What the renewal's dunning case is told of the watch, as the webhook service
        tells it (None: the watch asked nothing)."""
        if self.watch_id is None or not self.emails:
            return None
        asked = tuple(dict.fromkeys(self.emails))
        return PreDunningContext(watch_id=self.watch_id, asked=asked)


def play_watch(
    world: World,
    subscription: Subscription,
    customer: Customer,
    policy: DunningPolicy,
    origin: datetime,
    replaced_elsewhere: datetime | None,
) -> WatchPlay:
    """The watch of one renewal: it begins at the first daily scan that finds the renewal
    in the policy's window, or when Stripe announces the coming invoice, whichever is
    first; it asks at once, reminds on the policy's days until the card is replaced (by
    its reminder, or by the customer's dunning elsewhere), and the customer reacts to the
    first email of each template as their behaviour says."""
    play = WatchPlay()
    if not policy.predunning:
        return play
    renews = subscription.renews_on_day
    scanned = max(math.ceil(renews - policy.predunning_window_days), 0)
    begins = min(scanned, max(renews - world.upcoming_notice_days, 0))
    card = subscription.card
    case = PreDunningCase(
        subscription_id=subscription.id,
        customer_id=subscription.customer,
        amount=subscription.amount,
        currency=subscription.currency,
        renews_on=subscription.renews_at(origin),
        days_to_renewal=renews - begins,
        card_exp_month=card.exp_month if card else None,
        card_exp_year=card.exp_year if card else None,
        email=customer.email,
        collection_method=subscription.collection_method,
        days_until_due=subscription.days_until_due if subscription.invoiced else None,
        policy=policy,
    )
    play.watch_id = case.workflow_id
    account = account_of(customer)
    checks = watch_checks(case, account)
    to = billing_address(case, account)
    sent: list[tuple[float, EmailTemplate]] = [
        (begins, template) for check, template in WATCH_REQUESTS if check in checks and to
    ]
    replaced = replaced_elsewhere
    if WatchCheck.CARD_EXPIRES in checks:
        for at in case.reminder_days():  # the workflow's own rule
            day = begins + at
            if replaced is not None and replaced <= origin + timedelta(days=day):
                break
            sent.append((day, EmailTemplate.EXPIRY_REMINDER))
            reacted = _acts_after(subscription, sent, CustomerAction.UPDATE_PAYMENT_METHOD)
            if reacted is not None and play.replaced_at is None:
                play.replaced_at = origin + timedelta(days=reacted[0])
                play.new_card_fails = reacted[1].new_card_fails
                replaced = min(filter(None, (replaced, play.replaced_at)))
    due_reminder = case.due_reminder_day()
    if WatchCheck.NET_TERMS_DUE in checks and due_reminder is not None:
        sent.append((begins + due_reminder, EmailTemplate.DUE_REMINDER))
        # A payment before the invoice is issued pays nothing.
        paid = _acts_after(subscription, sent, CustomerAction.PAY, renews)
        play.paid_on_day = paid[0] if paid else None
    play.emails = [template for _, template in sent]
    po = _acts_after(subscription, sent, CustomerAction.PROVIDE_PO)
    sends = [r.po_number for r in subscription.behaviour.reactions if r.po_number]
    if po is not None and sends:
        play.po = (po[0], sends[0])
    return play


def _acts_after(
    subscription: Subscription,
    sent: list[tuple[float, EmailTemplate]],
    does: CustomerAction,
    not_before: float = 0,
) -> tuple[float, Reaction] | None:
    """The world day the customer does `does` in answer to these emails, and the reaction
    that says so (to the first email of its template, or to the first at all), counting
    only what they do from `not_before` on."""
    acts = []
    for index, (day, _) in enumerate(sent):
        received = [template for _, template in sent[: index + 1]]
        for reaction in subscription.behaviour.reactions:
            if reaction.does is does and reaction.answers(received):
                acts.append((day + reaction.after_days, reaction))
    return min((act for act in acts if act[0] >= not_before), key=lambda a: a[0], default=None)
