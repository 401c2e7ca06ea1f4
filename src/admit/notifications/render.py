"""Rendering emails: subject, plain text and HTML templates, HTML autoescaped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATES = ("invitation", "sign_in", "link_confirm", "join_request_approved", "join_request_declined")

_env = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render(template: str, context: dict) -> RenderedEmail:
    subject = _env.get_template(f"{template}_subject.txt").render(context)
    return RenderedEmail(
        subject=" ".join(subject.split()),
        text=_env.get_template(f"{template}.txt").render(context),
        html=_env.get_template(f"{template}.html").render(context),
    )
