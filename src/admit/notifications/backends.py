"""Email delivery backends: ``dev`` keeps messages in the dev mailbox; ``smtp`` sends them.
(SMS backends are in ``notifications.sms``, with the same interface.)

A backend is opened once per batch (an SMTP connection is reused across messages) and
``send`` raises ``PermanentDeliveryError`` for a failure that retrying cannot fix.
"""

from __future__ import annotations

import contextlib
import functools
import re
import smtplib
import ssl
import uuid
from collections.abc import Sequence
from email.utils import formatdate, parseaddr
from typing import Protocol

from sqlalchemy.orm import Session

from admit.kit import mime
from admit.notifications.models import DevMessage
from admit.notifications.render import RenderedEmail
from admit.settings import Settings


class PermanentDeliveryError(Exception):
    """The server refused the message for good (an SMTP 5xx, an SMS provider's 4xx): do not retry."""


class RecipientRefused(PermanentDeliveryError):
    """The SMTP server refused the recipient's address for good (5xx at RCPT): a hard bounce,
    so the portal stops writing to it (``notifications.bounces``)."""


class Outgoing(Protocol):
    """What a backend sends: a ``Notification``, or what the worker read of one when it claimed it."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def to_address(self) -> str: ...


class Backend(Protocol):
    """An email or SMS backend. ``send`` gets the session that marks the row sent when the
    backend is ``dev`` (it writes the dev mailbox there), else ``None``."""

    name: str

    def open(self) -> None: ...
    def close(self) -> None: ...
    def send(self, session: Session | None, notification: Outgoing, message: RenderedEmail) -> None: ...


@functools.lru_cache(maxsize=1024)
def _sender(email_from: str, name: str | None) -> str:
    """The From header: the configured address under the portal's name when the email has one
    (people see who invites them, not the software that sends it)."""
    if not name:
        return email_from
    return mime.address(name, parseaddr(email_from)[1])


def build_message(
    settings: Settings, notification: Outgoing, email: RenderedEmail, *, utf8: bool = False
) -> bytes:
    """The email as sent (``kit.mime``: ~20x less work than ``email.mime`` and its generator).
    ``utf8``: sent with SMTPUTF8, so the To header carries the address as it is."""
    headers = [
        mime.header("From", _sender(settings.email_from, email.sender_name)),
        mime.header("To", notification.to_address, raw_utf8=utf8),
        mime.header("Subject", email.subject),
        mime.header("Date", formatdate(localtime=False)),
        # A stable Message-ID: if a crash makes the worker deliver the same row again, receivers
        # (and our tests) can tell it is the same message.
        mime.header("Message-ID", f"<{notification.id}@admit>"),
    ]
    unsubscribe = (getattr(notification, "context", None) or {}).get("unsubscribe_url")
    if unsubscribe:  # a kind the person may turn off: one click in their mail app (RFC 8058)
        headers.append(mime.header("List-Unsubscribe", f"<{unsubscribe}>"))
        headers.append(mime.header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return mime.compose(headers, email.text, email.html)


class Connectionless:
    """A backend with no connection to open or close (the dev mailbox, a refusal)."""

    name = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


class DevBackend(Connectionless):
    """Writes the message to ``dev_messages`` in the same transaction that marks it sent."""

    name = "dev"

    def send(self, session: Session | None, notification: Outgoing, email: RenderedEmail) -> None:
        assert session is not None, "the dev mailbox is written in the transaction that marks it sent"
        session.add(
            DevMessage(
                notification_id=notification.id,
                to_address=notification.to_address,
                subject=email.subject,
                text=email.text,
                html=email.html,
            )
        )


class SmtpBackend:
    name = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None
        self._open_error: Exception | None = None
        self._envelope_from = parseaddr(settings.email_from)[1]  # read once, not per email

    def open(self) -> None:
        # If the server could not be reached once in this batch, fail the rest of the batch at
        # once instead of waiting out a connection timeout per message.
        if self._open_error is not None:
            raise self._open_error
        try:
            self._open()
        except (smtplib.SMTPException, OSError) as exc:
            self._open_error = exc
            raise

    def _open(self) -> None:
        s = self.settings
        if s.smtp_security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host,
                s.smtp_port,
                timeout=s.smtp_timeout_seconds,
                context=ssl.create_default_context(),
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_security == "starttls":
                conn.starttls(context=ssl.create_default_context())
        if s.smtp_username:
            conn.login(s.smtp_username, s.smtp_password or "")
        self._conn = conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._conn.quit()
            self._conn = None

    def offers(self, extension: str) -> bool:
        """Whether the open connection's server announced ``extension`` (EHLO)."""
        assert self._conn is not None, "open() first"
        if self._conn.ehlo_resp is None:
            self._conn.ehlo_or_helo_if_needed()
        return bool(self._conn.has_extn(extension))

    def send(self, session: Session | None, notification: Outgoing, email: RenderedEmail) -> None:  # noqa: ARG002
        if self._conn is None:
            self.open()
        assert self._conn is not None
        # Non-ASCII before the @ (domains are stored as punycode) needs SMTPUTF8 (RFC 6531);
        # without it retrying cannot help (ADMIT_SMTP_UTF8=false refuses such addresses where
        # they are typed).
        utf8 = not notification.to_address.isascii()
        try:
            if utf8 and not self.offers("smtputf8"):
                raise PermanentDeliveryError(
                    "the mail server cannot deliver to an address with non-ASCII characters"
                    " before the @ (it does not offer SMTPUTF8)"
                )
            sendmail(
                self._conn,
                self._envelope_from,
                notification.to_address,
                build_message(self.settings, notification, email, utf8=utf8),
                options=["SMTPUTF8"] if utf8 else (),
            )
        except smtplib.SMTPRecipientsRefused as exc:
            # smtplib raises this for 4xx (greylisting, mailbox busy) as well as 5xx replies.
            if all(500 <= code < 600 for code, _reply in exc.recipients.values()):
                raise RecipientRefused(f"recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentDeliveryError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            self.close()
            raise
        except (smtplib.SMTPException, OSError):
            self.close()
            raise


_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_TAKEN = ({250}, {250, 251})  # what MAIL and RCPT answer when they take the message


def _taken(replies: list[tuple[int, bytes]]) -> bool:
    """Whether the server took the sender and the recipient, as far as ``replies`` go."""
    return all(code in ok for (code, _reply), ok in zip(replies, _TAKEN, strict=False))


def sendmail(
    conn: smtplib.SMTP, sender: str, recipient: str, message: bytes, *, options: Sequence[str] = ()
) -> None:
    """``conn.sendmail`` for one recipient; where the server offers PIPELINING (RFC 2920) its
    MAIL, RCPT and DATA go in one write, so a message costs two round trips instead of four.
    Raises what ``sendmail`` raises, for the same replies."""
    conn.ehlo_or_helo_if_needed()
    if not conn.has_extn("pipelining"):
        conn.sendmail(sender, [recipient], message, mail_options=list(options))
        return
    esmtp = [*([f"SIZE={len(message)}"] if conn.has_extn("size") else []), *options]
    if "SMTPUTF8" in options:
        conn.command_encoding = "utf-8"  # as smtplib's mail() does
    mail = " ".join([f"MAIL FROM:{smtplib.quoteaddr(sender)}", *esmtp])
    conn.send(f"{mail}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n")
    replies: list[tuple[int, bytes]] = []
    for _ in range(3):
        try:
            replies.append(conn.getreply())
        except smtplib.SMTPServerDisconnected:
            # A server that refused (a 421, a 5xx) may hang up before the other replies: what
            # it said decides, as smtplib's sendmail would have read it.
            if _taken(replies):
                raise
            replies += [(421, b"connection closed")] * (3 - len(replies))
            break
    (mail_code, mail_reply), (rcpt_code, rcpt_reply), (data_code, data_reply) = replies
    accepted = _taken(replies)
    if data_code == 354:
        # The message, dot-stuffed (RFC 5321 4.5.2); empty if the server took DATA after refusing
        # the sender or the recipient (RFC 2920 3.1), so it is not delivered.
        body = _LEADING_DOT.sub(b"..", message) if accepted else b""
        if body and not body.endswith(b"\r\n"):
            body += b"\r\n"
        conn.send(body + b".\r\n")
        data_code, data_reply = conn.getreply()
        if accepted and data_code == 250:
            return
    error: smtplib.SMTPException
    if mail_code != 250:
        error, last = smtplib.SMTPSenderRefused(mail_code, mail_reply, sender), mail_code
    elif rcpt_code not in (250, 251):
        error, last = smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)}), rcpt_code
    else:
        error, last = smtplib.SMTPDataError(data_code, data_reply), data_code
    if 421 in (mail_code, rcpt_code, data_code, last):
        conn.close()  # the server is closing the connection (as sendmail does)
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            conn.rset()
    raise error


def make_backend(settings: Settings) -> DevBackend | SmtpBackend:
    return SmtpBackend(settings) if settings.email_backend == "smtp" else DevBackend(settings)
