"""SMS delivery backends: ``dev`` keeps messages in the dev mailbox; ``twilio`` sends them.

The interface is the email backends' (``notifications.backends``): ``open``, ``close`` and
``send(session, notification, rendered)``, where ``rendered.text`` is the message body.
``send`` raises ``PermanentDeliveryError`` for a failure that retrying cannot fix; any other
exception is retried with backoff. A provider is a class with that interface and a ``name``;
``make_sms_backend`` picks one from ``ADMIT_SMS_BACKEND``.

Twilio (https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource):
a form-encoded ``POST`` of ``To``, ``From`` and ``Body`` to
``/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP basic auth (account SID, auth
token). The standard library is enough: one request per message, no new dependency.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy.orm import Session

from admit.notifications.backends import Connectionless, Outgoing, PermanentDeliveryError
from admit.notifications.models import DevMessage
from admit.notifications.render import RenderedEmail
from admit.settings import Settings

__all__ = ["DevSmsBackend", "SmsDeliveryError", "TwilioSmsBackend", "make_sms_backend"]


class SmsDeliveryError(Exception):
    """A transient SMS failure (rate limited, provider unavailable): retried with backoff."""


class DevSmsBackend(Connectionless):
    """Writes the SMS to ``dev_messages`` (channel ``sms``) in the transaction that marks it sent."""

    name = "dev"

    def send(self, session: Session | None, notification: Outgoing, message: RenderedEmail) -> None:
        assert session is not None, "the dev mailbox is written in the transaction that marks it sent"
        session.add(
            DevMessage(
                notification_id=notification.id,
                to_address=notification.to_address,
                channel="sms",
                subject="",
                text=message.text,
                html="",
            )
        )


class TwilioSmsBackend:
    """Sends through Twilio's Messages API (or anything that speaks it at ``sms_twilio_base_url``)."""

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        sid = settings.sms_twilio_account_sid or ""
        self.url = (
            f"{settings.sms_twilio_base_url.rstrip('/')}/2010-04-01/Accounts/"
            f"{urllib.parse.quote(sid, safe='')}/Messages.json"
        )
        credentials = f"{sid}:{settings.sms_twilio_auth_token or ''}".encode()
        self._authorization = "Basic " + base64.b64encode(credentials).decode("ascii")

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, session: Session | None, notification: Outgoing, message: RenderedEmail) -> None:  # noqa: ARG002
        if not (self.settings.sms_twilio_account_sid and self.settings.sms_twilio_auth_token):
            raise PermanentDeliveryError("SMS provider not configured (ADMIT_SMS_TWILIO_*)")
        if not self.settings.sms_from:
            raise PermanentDeliveryError("SMS sender not configured (ADMIT_SMS_FROM)")
        body = urllib.parse.urlencode(
            {"To": notification.to_address, "From": self.settings.sms_from, "Body": message.text}
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": "admit",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.sms_timeout_seconds) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            detail = _provider_message(exc)
            exc.close()
            reason = f"HTTP {status}" + (f": {detail}" if detail else "")
            if 400 <= status < 500 and status != 429:
                raise PermanentDeliveryError(reason) from None
            raise SmsDeliveryError(reason) from None
        # URLError (refused, DNS, TLS), timeouts and other OSErrors propagate: retried.


def _provider_message(exc: urllib.error.HTTPError) -> str:
    """Twilio's error ``message`` (and ``code``) from a JSON error body, else a short raw excerpt."""
    try:
        raw = exc.read(4096)
    except OSError:
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace").strip()[:300]
    if not isinstance(data, dict):
        return ""
    text = str(data.get("message") or "").strip()
    code = data.get("code")
    if code is not None:
        text = f"{text} (code {code})" if text else f"code {code}"
    return text[:500]


class NoSmsBackend(Connectionless):
    """Production without an SMS provider: each SMS fails at once, with a reason that shows next
    to the invitation, rather than vanishing into a dev mailbox nobody can open."""

    name = "none"

    def send(self, session: Session | None, notification: Outgoing, message: RenderedEmail) -> None:  # noqa: ARG002
        raise PermanentDeliveryError("No SMS provider is configured: set ADMIT_SMS_BACKEND=twilio.")


def make_sms_backend(settings: Settings) -> DevSmsBackend | TwilioSmsBackend | NoSmsBackend:
    if settings.sms_backend == "twilio":
        return TwilioSmsBackend(settings)
    if settings.environment == "production":
        return NoSmsBackend(settings)
    return DevSmsBackend(settings)
