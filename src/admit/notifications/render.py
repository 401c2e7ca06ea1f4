"""Rendering messages: an email is subject, plain text and HTML templates (HTML autoescaped);
an SMS is one short plain-text template, ``{name}_sms.txt``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from admit.kit.text import sentence

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATES = (
    "invitation",
    "sign_in",
    "password_reset",
    "link_confirm",
    "join_request_approved",
    "join_request_declined",
    "workspace_added",
    "action_assigned",
    "join_request_new",
)
# Templates that also have an SMS form (``{name}_sms.txt``), for recipients known by phone.
SMS_TEMPLATES = ("invitation", "workspace_added", "sign_in", "action_assigned", "join_request_new")

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["sentence"] = sentence  # "in Acme Inc." never "Acme Inc.."


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


CHANNELS = ("email", "sms")


def render(template: str, context: Mapping[str, Any], channel: str = "email") -> RenderedEmail:
    """Render ``template`` for ``channel``; an SMS has only ``text`` (subject and html are "")."""
    if channel == "sms":
        if template not in SMS_TEMPLATES:
            raise ValueError(f"no SMS form of template {template!r}")
        text = _env.get_template(f"{template}_sms.txt").render(context)
        return RenderedEmail(subject="", text=text.strip(), html="")
    if channel != "email":
        raise ValueError(f"unknown channel {channel!r}")
    subject = _env.get_template(f"{template}_subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=_env.get_template(f"{template}.txt").render(context),
        html=_env.get_template(f"{template}.html").render(context),
    )
