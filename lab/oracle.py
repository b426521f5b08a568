"""The most any policy could recover from a world: its hidden truth, within each tier's
window. An invoice counts when its money comes back, its customer pays, or a reaction the
best-timed email would trigger lands, before the end action would be applied."""

from dunning.contract.enums import CustomerTier, PaymentMethodType
from dunning.rules.policy import DunningPolicy, EndStateRule
from worlds.behaviour import CustomerAction
from worlds.declines import never_recovers
from worlds.model import SUCCEEDED, Customer, Invoice, World


def window(invoice: Invoice, customer: Customer, policy: DunningPolicy) -> EndStateRule:
    """The end state the invoice's case would reach if nothing recovered it."""
    if invoice.payment_method_type is PaymentMethodType.INVOICE:
        return policy.net_terms_end_state
    value = customer.annual_contract_value or 0
    enterprise = value >= policy.high_value_annual_contract
    return policy.end_states[CustomerTier.ENTERPRISE if enterprise else customer.tier]


def recoverable(invoice: Invoice, customer: Customer, policy: DunningPolicy) -> bool:
    """Whether a perfect policy recovers the invoice inside its window."""
    behaviour = invoice.behaviour
    card_recovers = invoice.failure is not None and not never_recovers(invoice.failure)
    if behaviour is None:  # scripted: some charge of its script pays
        return card_recovers and SUCCEEDED in invoice.attempt_outcomes
    days = window(invoice, customer, policy).end_day
    if behaviour.pays_on_day is not None and behaviour.pays_on_day - invoice.fails_on_day <= days:
        return True
    funds = behaviour.funds_return_day
    if card_recovers and funds is not None and funds - invoice.fails_on_day <= days:
        return True
    for reaction in behaviour.reactions:
        pays = reaction.does in (CustomerAction.PAY, CustomerAction.UPDATE_PAYMENT_METHOD)
        if pays and not reaction.new_card_fails and reaction.after_days <= days:
            return True
    return False


def oracle_recovered(world: World, policy: DunningPolicy) -> int:
    """How many of the world's invoices a perfect policy recovers."""
    return sum(
        recoverable(invoice, world.customer(invoice.customer), policy) for invoice in world.invoices
    )
