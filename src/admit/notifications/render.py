"""Rendering messages: an email is subject, plain text and HTML templates (HTML autoescaped);
an SMS is one short plain-text template, ``{name}_sms.txt``.

Every message names the portal, never the product: a context's ``brand`` (``name``,
``logo_url``, ``color``; ``portals.brand.email_context``) becomes a ``kit.brand.Brand`` that the
HTML layout (``_layout.html``) draws as the logo or the name, and the buttons' colours. A
message queued before brands existed falls back to its ``portal_name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from admit.kit.brand import Brand
from admit.kit.templating import write_out
from admit.kit.text import lifetime_in_words, sentence, short_moment
from admit.notifications.held_roles import said as held_roles
from admit.policy import invited_as

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATES = (
    "invitation",
    "sign_in",
    "password_reset",
    "link_confirm",
    "join_request_approved",
    "join_request_declined",
    "join_request_workspace_deleted",
    "workspace_added",
    "action_assigned",
    "join_request_new",
    "invitation_reminder",
    "invitation_digest",
    "invitation_new_requested",
    "mention",
    "action_due",
    "activity_digest",
    "security_notice",
    "access_ended",
)
# Templates that also have an SMS form (``{name}_sms.txt``), for recipients known by phone.
SMS_TEMPLATES = (
    "invitation",
    "invitation_new_requested",
    "invitation_reminder",
    "workspace_added",
    "sign_in",
    "password_reset",
    "action_assigned",
    "join_request_new",
    "mention",
    "action_due",
    "activity_digest",
    "security_notice",
    "access_ended",
)

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Templates ship with the code: read once, never checked again (checking each file's time
    # at every render was 4% of a worker's delivery time: bench/bulk.py under py-spy).
    auto_reload=False,
)
write_out(_env)  # values written out as escaped text, fewer pieces, quicker calls
_env.filters["sentence"] = sentence  # "in Acme Inc." never "Acme Inc.."
_env.filters["short_moment"] = short_moment  # a text message's "6 Dec 09:05 UTC"
_env.filters["lifetime"] = lifetime_in_words  # a link's "15 minutes", "7 days"
_env.globals["held_roles"] = held_roles  # "You will hold the role “Reviewer” there." (its module)
_env.globals["invited_as"] = invited_as  # "a client", "an internal user (Admin)": the pages' words


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    # Who the email is from, as people read it: the portal's name (``backends.build_message``); None keeps
    # the configured sender's own.
    sender_name: str | None = None


CHANNELS = ("email", "sms")


# The name a message without a portal's brand gives (never the product's).
NO_BRAND_NAME = "your portal"


def brand_of(context: Mapping[str, Any]) -> Brand:
    """The brand a message is drawn with (see the module docstring)."""
    given = context.get("brand")
    if isinstance(given, Brand):
        return given
    given = given if isinstance(given, Mapping) else {}
    return Brand.build(
        name=str(given.get("name") or context.get("portal_name") or NO_BRAND_NAME),
        logo_url=given.get("logo_url"),
        color=given.get("color"),
    )


def render(template: str, context: Mapping[str, Any], channel: str = "email") -> RenderedEmail:
    """Render ``template`` for ``channel``; an SMS has only ``text`` (subject and html are "")."""
    brand = brand_of(context)
    named = bool(context.get("brand") or context.get("portal_name"))  # else the fallback name
    context = {**context, "brand": brand}
    if channel == "sms":
        if template not in SMS_TEMPLATES:
            raise ValueError(f"no SMS form of template {template!r}")
        text = _env.get_template(f"{template}_sms.txt").render(context)
        return RenderedEmail(subject="", text=text.strip(), html="")
    if channel != "email":
        raise ValueError(f"unknown channel {channel!r}")
    subject = _env.get_template(f"{template}_subject.txt").render(context)
    return RenderedEmail(
        sender_name=" ".join(brand.name.split()) if named else None,
        subject=" ".join(subject.split()),
        text=_env.get_template(f"{template}.txt").render(context),
        html=_env.get_template(f"{template}.html").render(context),
    )
