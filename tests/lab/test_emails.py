"""Email timing as the learner reads it: which emails a customer answered, and whether the
cases say when an email works best."""

import random

from dunning.contract.enums import EmailTemplate, FailureCategory
from dunning.rules.policy import DunningPolicy
from lab.backtest import case_line, run_world
from lab.emails import EmailSent, emails_of, fit_emails
from lab.learn import send_sooner
from tests.lab.test_backtest import card, world


def test_an_email_is_answered_by_the_customer_acting_before_the_next() -> None:
    reaction = {"to": "reminder", "after_days": 1, "does": "update_payment_method"}
    reacting = world(card({"funds_return_day": None, "reactions": [reaction]}))
    _, [state] = run_world(reacting, DunningPolicy())
    sent = emails_of([case_line(state)])
    assert [(e.template, e.succeeded) for e in sent] == [
        (EmailTemplate.PAYMENT_FAILED, False),
        (EmailTemplate.REMINDER, True),
    ]
    assert [round(e.day) for e in sent] == [1, 7]
    assert sent[1].weekday == 0, "2026-03-02 is a Monday: day 7 is the Monday after"


SOFT = FailureCategory.SOFT_DECLINE


def sends(early: float, late: float, weekend: float | None = None) -> list[EmailSent]:
    """Reminders sent on days 3-10 to mid-market customers: answered with chance `early`
    up to day 6, `late` after, and `weekend` on a Saturday or Sunday when given."""
    rng = random.Random(11)
    made = []
    for n in range(1600):
        day, weekday = 3 + n % 8, n % 7
        chance = early if day <= 6 else late
        if weekend is not None and weekday >= 5:
            chance = weekend
        answered = rng.random() < chance
        made.append(EmailSent(SOFT, EmailTemplate.REMINDER, "mid_market", day, weekday, answered))
    return made


def test_an_email_answered_more_often_when_sent_earlier_is_sent_sooner() -> None:
    fit = fit_emails(sends(early=0.3, late=0.1))
    [reminder] = [note for note in fit.notes if note.startswith("soft_decline reminder:")]
    assert reminder.startswith("soft_decline reminder: sent by day 6.5, answered"), reminder
    ratio = float(reminder.split("answered ")[1].split("x")[0])
    assert ratio > 2
    assert fit.sooner == {(SOFT, EmailTemplate.REMINDER): 4.5}, "the median of its earlier sends"
    assert "email weekday: no level differs or can be compared" in fit.notes
    assert fit.notes[-1] == "the cadence sends soft_decline reminder by day 4.5"

    cadence = DunningPolicy().email_cadence
    sooner = send_sooner(cadence, fit.sooner)
    soft = [(step.template, step.day) for step in sooner[SOFT]]
    assert soft == [
        (EmailTemplate.PAYMENT_FAILED, 0),
        (EmailTemplate.REMINDER, 4.5),
        (EmailTemplate.SERVICE_IMPACT, 14),
    ]
    assert sooner[FailureCategory.OVERDUE] == cadence[FailureCategory.OVERDUE], "its own cadence"


def test_an_email_answered_more_often_when_sent_later_keeps_its_day() -> None:
    fit = fit_emails(sends(early=0.1, late=0.3))
    assert fit.sooner == {}
    assert fit.notes[-1] == "the cadence keeps its days: no email works better on another"


def test_a_weekday_whose_emails_go_unanswered_is_reported_and_no_day_without_an_effect() -> None:
    notes = fit_emails(sends(early=0.2, late=0.2, weekend=0.02)).notes
    no_day = "soft_decline reminder: sent on days 3.0-10.0, no day works better"
    assert any(note.startswith(no_day) for note in notes)
    [weekdays] = [note for note in notes if note.startswith("email weekday:")]
    assert "Saturday" in weekdays and "Sunday" in weekdays and "Monday" not in weekdays


def test_an_email_always_sent_on_one_day_says_nothing_of_its_day() -> None:
    template = EmailTemplate.PAYMENT_FAILED
    notes = fit_emails(
        [EmailSent(SOFT, template, "self_serve", 1.0, n % 7, n % 3 == 0) for n in range(40)]
    ).notes
    assert "soft_decline payment_failed: sent on days 1.0-1.0, too close together" in notes[1]
