"""Sending at most once through providers whose search lags behind their writes.

SendGrid and HubSpot have no idempotency keys. A retry of an email or a task first
searches for what an earlier try may have sent, but their search is eventually
consistent: a message accepted a moment ago may not show yet. So every try records when
it sent (the activity's heartbeat, which the server keeps across attempts), and a retry
that finds nothing sends again only once the search has had time to settle since the
last try that sent.
"""

from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.errors import TRANSIENT_TYPE


def before_sending(provider: str, settle: timedelta) -> None:
    """Call after a retry's search found nothing, right before sending. Raises a
    retryable error while an earlier try may have sent something the search cannot show
    yet; otherwise records this try and returns."""
    info = activity.info()
    now = datetime.now(UTC)
    if info.attempt > 1:
        last = _last_send(info)
        wait = last + settle - now
        if wait > timedelta():
            activity.heartbeat(last.isoformat())
            raise ApplicationError(
                f"{provider}: an earlier try may have sent this; its search may not show it "
                f"yet, so the retry waits {wait.total_seconds():.1f}s",
                type=TRANSIENT_TYPE,
                next_retry_delay=wait,
            )
    activity.heartbeat(now.isoformat())


def _last_send(info: activity.Info) -> datetime:
    """When an earlier try last sent: recorded by its heartbeat; when that did not reach
    the server (a worker killed at once), no later than this attempt was scheduled."""
    for detail in reversed(info.heartbeat_details):
        try:
            return datetime.fromisoformat(str(detail))
        except ValueError:
            continue
    return info.current_attempt_scheduled_time
