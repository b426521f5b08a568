"""The pre-dunning benchmark's comparison, on small worlds: the same failures counted with
and without the watches, and the goal judged from what the worlds' customers would do."""

from bench.predunning import measure, section


def test_pre_dunning_prevents_failures_that_react_and_the_goal_is_judged() -> None:
    without, with_ = measure(invoices=10, renewals=300)
    assert without.prevented == 0 and without.saved_amount == 0
    assert with_.prevented > 0
    assert with_.renewal_failures + with_.prevented == without.renewal_failures
    assert 0 < with_.reacting_prevented <= with_.reacting
    assert with_.emails > without.emails
    text = section([without, with_], 10, 300, None)
    assert f"{with_.reacting_prevented} of {with_.reacting}" in text
    assert "| met |" in text or "| not met |" in text
