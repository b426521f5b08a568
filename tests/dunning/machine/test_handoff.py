"""A renewal that failed after its watch: the case knows what the watch asked, and does not
ask again."""

from dunning.contract.case import PreDunningContext
from dunning.contract.enums import EmailTemplate, WorkflowReason
from dunning.providers.facts import AccountFacts, Person
from harness.temporal import make_case
from lab.scripted import ScriptedProviders
from lab.virtual import VirtualClock, simulate

AP = Person(email="ap@customer.example")


def run(context: PreDunningContext | None) -> list[EmailTemplate]:
    case = make_case().model_copy(update={"predunning": context})
    clock = VirtualClock(case.failed_at)
    providers = ScriptedProviders(
        account=AccountFacts(po_required=True, ap_contact=AP), clock=clock
    )
    state = simulate(case, providers, clock=clock)
    assert state.reason == WorkflowReason.MISSING_PO
    assert any(entry.event == "watched" for entry in state.timeline) is (context is not None)
    return [email.template for email in state.emails]


def test_a_po_the_watch_asked_for_is_not_asked_for_again() -> None:
    asked_before = PreDunningContext(
        watch_id="predunning-sub_1-1", asked=(EmailTemplate.PO_REQUEST,)
    )
    assert EmailTemplate.PO_REQUEST in run(None)
    assert EmailTemplate.PO_REQUEST not in run(asked_before)


def test_a_watch_that_asked_something_else_changes_nothing() -> None:
    reminded = PreDunningContext(
        watch_id="predunning-sub_1-1", asked=(EmailTemplate.EXPIRY_REMINDER,)
    )
    assert run(reminded) == run(None)
