"""The report's lines for what lives beside the cases: disputes and renewal watches."""

from cli.report import render_report


def test_disputes_and_watches_are_counted_in_the_report() -> None:
    text = render_report([], disputes={"usd": [4200, 800]}, watches={"prevented": 3, "failed": 1})
    assert "disputed after recovery: 2 (50.00 USD)" in text
    assert "renewals watched (pre-dunning): 4: failed 1, prevented 3" in text
    assert "renewals watched" not in render_report([])
