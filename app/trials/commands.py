"""flask trials notify: the reminders before and on the day a trial ends."""

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.extensions import db
from app.trials.notices import WARN_DAYS, send_trial_notices
from app.web.links import portal_links

trials = AppGroup("trials", help="Trial licenses.")


@trials.command("notify")
def notify():
    """Email customers whose trial ends within a week, and on the day it ends (each email once).

    Run it daily, e.g. from cron; running it more often sends nothing twice.
    """
    with portal_links():
        sent = send_trial_notices(db.session, datetime.now(UTC), warn_days=WARN_DAYS)
    db.session.commit()
    click.echo(f"Queued {sent.warnings} 'trial ends soon' and {sent.endings} 'trial ends today' email(s).")


def init_app(app):
    app.cli.add_command(trials)
