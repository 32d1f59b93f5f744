"""Vietnamese reminder e-mails, rendered from the Jinja2 templates of this package (no Flask)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from typing import cast

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from notifications.models import OutboxItem, OutboxMessage
from workflow.calendar import LOCAL_TZ, local_date
from workflow.deadlines import ReminderKind

_ENV = Environment(
    loader=PackageLoader("notifications", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def vn_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


_ENV.filters["vn_date"] = vn_date


def describe_days(last_day: dt.date, today: dt.date) -> str:
    """ "còn 3 ngày", "hôm nay là hạn cuối", "đã quá hạn 2 ngày"."""
    days = (last_day - today).days
    if days > 0:
        return f"còn {days} ngày"
    if days == 0:
        return "hôm nay là hạn cuối"
    return f"đã quá hạn {-days} ngày"


@dataclass(frozen=True)
class ItemView:
    title: str
    obligor_name: str
    period_label: str
    before: dt.date | None
    last_day: dt.date
    link: str
    is_escalation: bool
    when: str


def _view(item: OutboxItem, today: dt.date) -> ItemView:
    return ItemView(
        title=item.title,
        obligor_name=item.obligor_name,
        period_label=item.period_label,
        before=item.before,
        last_day=item.last_day,
        link=item.link,
        is_escalation=item.kind == ReminderKind.ESCALATION,
        when=describe_days(item.last_day, today),
    )


def render_email(
    message: OutboxMessage, items: Sequence[OutboxItem], *, sender: str, now: dt.datetime
) -> RenderedEmail:
    """The e-mail of `message` listing `items` (reminders first, each by last day), as of `now`."""
    today = local_date(now)
    views = sorted((_view(item, today) for item in items), key=lambda v: (v.is_escalation, v.last_day, v.title))
    context = {
        "to_name": message.to_name,
        "items": views,
        "reminders": [v for v in views if not v.is_escalation],
        "escalations": [v for v in views if v.is_escalation],
        "today": today,
    }
    subject = " ".join(_ENV.get_template("reminder.subject.j2").render(context).split())
    # The legacy MIME classes: the newer EmailMessage API drops the space between two encoded words
    # when it folds a long Vietnamese subject ("quá hạn" arrives as "quáhạn"); Header does not.
    email = MIMEMultipart("alternative")
    # typeshed types compat32 header values as str; a Header object is what this policy folds correctly
    email["Subject"] = cast(str, Header(subject, "utf-8"))
    email["From"] = _address(sender)
    email["To"] = formataddr((message.to_name, message.to_address), charset="utf-8")
    email["Date"] = format_datetime(now.astimezone(LOCAL_TZ))
    email["Message-ID"] = message.message_id_header
    # RFC 3834: no vacation auto-replies to a machine
    email["Auto-Submitted"] = "auto-generated"
    email["X-NTM-Outbox-Message"] = str(message.id)
    email.attach(MIMEText(_ENV.get_template("reminder.txt.j2").render(context), "plain", "utf-8"))
    email.attach(MIMEText(_ENV.get_template("reminder.html.j2").render(context, subject=subject), "html", "utf-8"))
    return RenderedEmail(subject=subject, message=email)


def render_notice(message: OutboxMessage, *, sender: str, now: dt.datetime) -> RenderedEmail:
    """A notice written once (`OutboxMessage.body`), as a plain-text e-mail with the usual headers."""
    subject = message.subject or "Thông báo của hệ thống Hồ sơ nông thôn mới"
    email = MIMEMultipart("alternative")
    email["Subject"] = cast(str, Header(subject, "utf-8"))
    email["From"] = _address(sender)
    email["To"] = formataddr((message.to_name, message.to_address), charset="utf-8")
    email["Date"] = format_datetime(now.astimezone(LOCAL_TZ))
    email["Message-ID"] = message.message_id_header
    email["Auto-Submitted"] = "auto-generated"
    email["X-NTM-Outbox-Message"] = str(message.id)
    email.attach(MIMEText(message.body or "", "plain", "utf-8"))
    return RenderedEmail(subject=subject, message=email)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    message: Message


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8")


def sender_domain(sender: str) -> str:
    """The domain of the configured sender, for Message-IDs ("ntm.local" by default)."""
    address = parseaddr(sender)[1]
    return address.rpartition("@")[2] or "ntm.local"
