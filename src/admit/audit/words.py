"""The audit log in words: "Olivia Owner invited ada@acme.com as Admin". One phrase per action,
written once, for the page and the API (``AuditEventRead.summary``); an action without a phrase
reads as its name."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, Protocol

from admit.actor import CONSOLE_IP, key_of_label, key_words, scim_of_label
from admit.kit.text import readable_phone

__all__ = [
    "ANONYMOUS",
    "NO_ONE_WORDS",
    "BY_THEMSELVES",
    "CATEGORIES",
    "PHRASES",
    "actions_saying",
    "address",
    "came_from",
    "category_of",
    "sentence",
    "was_now",
]

ANONYMOUS = "anonymous"  # the actor label of an event recorded with nobody signed in

# The labels that name no one, as a reader is told who acted ("Who did it"): not "anonymous".
NO_ONE_WORDS = {
    ANONYMOUS: "Someone not signed in (through a link)",
    "system": "The system (Admit itself)",
}


def address(ip: str | None) -> str | None:
    """An event's ip as the API and the CSV give it: an IP address, or None (what the console did
    keeps ``CONSOLE_IP``, which is not one)."""
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


def came_from(ip: str | None) -> str:
    """The Audit Log page's From: the address, "Console", or a dash."""
    return "Console" if ip == CONSOLE_IP else (address(ip) or "—")


# "{target}" is the event's target label, with the person's name first when the event keeps it
# ("name" in its detail: "Ada Lovelace (ada@acme.com)"); "{role}", "{via}", "{was}", "{workspace}"… come from
# its detail ("{workspace}": "the workspace Q3 Audit", or "a workspace" for an event written
# before the name was kept; "{renamed}": "“Q3 Audti” to “Q3 Audit”", from its ``from`` and ``to``).
PHRASES: dict[str, str] = {
    "portal.created": "set up the portal {target}",
    "portal.settings_changed": "{settings_change}",
    "invitation.created": "invited {target}{as_role}",
    # "resent the invitation to ada@acme.com"; one that brings them into a workspace (a
    # workspace's Resend Invitation, or its invitation resent from User Management) names it:
    # "resent nora@home.net the invitation to the workspace Q3 Audit".
    "invitation.resent": "resent {resent_to}{taken_over}",
    "invitation.revoked": "revoked the invitation to {target}",
    "invitation.new_requested": "asked for a new invitation (theirs had expired)",
    "invitation.renamed": "changed the name on the invitation to {target}{was}",
    "invitation.role_changed": "changed the role the invitation to {target} offers{was}",
    "invitation.products_changed": "changed the products the invitation to {target} offers{was}",
    "invitation.reminded": "reminded {target} of their invitation{nth}",
    "invitation.expired": "expired the invitation to {target} (not accepted in time)",
    "invitation.accepted": "accepted their invitation and joined{as_role}",
    "invitation.directory_took_over": (
        "took over the invitation to {target}, not accepted yet: the directory manages it from now on"
    ),
    "invitation_import.created": "uploaded {target} to invite from",
    "invitation_import.confirmed": "started inviting from {target}",
    "invitation_import.completed": "finished inviting from {target}",
    "member.added": "added {target} to the portal without an invitation",
    "member.updated": "updated the details of {target}",
    "member.deactivated": "deactivated {target}",
    "member.reactivated": "reactivated {target}",
    "member.directory_took_over": (
        "took over {target}, in the portal already: the directory manages them from now on"
    ),
    "member.second_factor_reset": "reset the two-step verification of {target}",
    "member.role_changed": "changed the role of {target}{was}",
    "member.products_changed": "changed the products of {target}{was}",
    "people.bulk_resend": "started resending the invitations of {target}",
    "people.bulk_revoke": "started revoking the invitations of {target}",
    "people.bulk_deactivate": "started deactivating {target}",
    "people.bulk_reactivate": "started reactivating {target}",
    "people.bulk_resend_finished": "finished resending the invitations of {target}: {bulk_outcome}",
    "people.bulk_revoke_finished": "finished revoking the invitations of {target}: {bulk_outcome}",
    "people.bulk_deactivate_finished": "finished deactivating {target}: {bulk_outcome}",
    "people.bulk_reactivate_finished": "finished reactivating {target}: {bulk_outcome}",
    "user.signed_in": "signed in{via}",
    "user.password_reset": "chose a new password",
    "user.password_set": "chose a password",
    "user.password_changed": "changed their password",
    "user.renamed": "changed their name{was}",
    "user.signed_out_elsewhere": "signed out of every other browser",
    "user.signed_out_browser": "signed out of {browser}",
    "user.second_factor_added": "turned on two-step verification",
    "user.second_factor_used": "passed two-step verification",
    "user.second_factor_removed": "turned off two-step verification",
    "user.second_factor_locked": (
        "was locked out of two-step verification for {pause} after {tries} wrong codes"
    ),
    "api_key.created": "created the API key {target}",
    "api_key.revoked": "revoked the API key {target}",
    "scim_token.created": "created the SCIM token {target}",
    "scim_token.revoked": "revoked the SCIM token {target}",
    "address.suppressed": "stopped sending to {target} (on the portal's do-not-send list)",
    "address.unsuppressed": "took {target} off the portal's do-not-send list: messages to it are sent again",
    "hr.connected": "connected the HR system {target}",
    "hr.connection_changed": "changed the connection to the HR system {target}",
    "hr.disconnected": "disconnected the HR system {target}",
    "hr.sync_started": "started a sync from the HR system {target}",
    "hr.sync_dismissed": "dismissed a failed sync from the HR system {target}",
    "webhook.created": "added the webhook endpoint {target}",
    "webhook.updated": "changed the webhook endpoint {target}",
    "webhook.deleted": "deleted the webhook endpoint {target}",
    "webhook.secret_rotated": "rotated the signing secret of the webhook endpoint {target}",
    "webhook.redelivered": "redelivered a message to the webhook endpoint {target}",
    "invite_link.created": "created {link}",
    "invite_link.refreshed": "refreshed {link} (the previous one stopped working)",
    "invite_link.policy_changed": "{link_change}",
    "invite_link.signup_requested": "signed up through the invite link",
    "invite_link.signup_removed": "removed the sign-up of {target} through the invite link",
    "invite_link.signup_resent": "sent {target} a new confirmation email for their sign-up",
    "invite_link.joined": "joined through the invite link{as_role}",
    "join_request.created": "asked to join {workspace}",
    "join_request.approved": "approved {target}'s request to join {workspace}",
    "join_request.declined": "declined {target}'s request to join {workspace}",
    "workspace.created": "created the workspace {target}",
    "workspace.renamed": "renamed the workspace {renamed}",
    "workspace.deleted": "deleted the workspace {target}",
    "workspace.member_added": "added {target} to {workspace}",
    "workspace.member_removed": "removed {target} from {workspace}",
    # Written until a workspace's Resend Invitation wrote ``invitation.resent`` alone (it wrote both).
    "workspace.invitation_resent": "resent {target} the invitation to {workspace}",
    "workspace.role_assigned": "gave {target} {flow_role} in {workspace}",
    "workspace.roles_added": "added roles to the workspace {target}",
    "workspace.action_added": "added {title} to the workspace {target}",
    "workspace.action_done": "marked {title} done in the workspace {target}",
    "workspace.action_reopened": "reopened {title} in the workspace {target}",
    "workspace.action_deleted": "deleted {title} from the workspace {target}",
    "workspace.action_edited": "edited {title} in the workspace {target}{was}",
    "contact.added": "added {target} to contacts",
    "contact.used": "used the contact {target}",
    "contact.invited": "invited the contact {target}",
    "team.created": "created the team {target}",
    "client_group.created": "created the client group {target}",
    "team.members_added": "added {added} to the team {target}",
    "client_group.members_added": "added {added} to the client group {target}",
    "team.members_removed": "removed {removed} from the team {target}",
    "client_group.members_removed": "removed {removed} from the client group {target}",
    "team.renamed": "renamed the team {target}{was}",
    "client_group.renamed": "renamed the client group {target}{was}",
    "team.deleted": "deleted the team {target}",
    "client_group.deleted": "deleted the client group {target}",
    "contact.renamed": "renamed the contact {target}{was}",
    "contact.deleted": "removed {target} from contacts",
    "workspace.role_renamed": "renamed a role of the workspace {target}{was}",
    "workspace.role_deleted": "deleted a role of the workspace {target}",
}

# What the person in the target did themselves (their phrase does not name them again): the
# sentence names them by that address, never "anonymous" nor by a name alone. A member's own
# account events (``ACCOUNT``) add the name the portal knows them by: "Ada Lovelace
# (ada@acme.com) changed their password"; the others, the name the event was given, in quotes.
BY_THEMSELVES = frozenset(
    {
        "invitation.accepted",
        "invitation.new_requested",
        "invite_link.signup_requested",
        "invite_link.joined",
        "join_request.created",
        "user.signed_in",
        "user.password_reset",
        "user.password_set",
        "user.password_changed",
        "user.renamed",
        "user.signed_out_elsewhere",
        "user.signed_out_browser",
        "user.second_factor_added",
        "user.second_factor_used",
        "user.second_factor_removed",
        "user.second_factor_locked",
    }
)

# A person's own account (a sign-in, a password, two-step verification, a name): written by the
# account itself, which has a name in the portal's words (or none); it names nothing at the time.
ACCOUNT = "user."

# Events whose person named themselves (a link sign-up, a join request): the name is what a
# visitor typed, shown in quotes.
SELF_NAMED = ("invite_link.", "join_request.")

# The log's filter: a category is the actions whose names start with one of its prefixes.
CATEGORIES: dict[str, tuple[str, ...]] = {
    # An address put on the do-not-send list (a bounce, a complaint): what its invitations met.
    "invitations": (
        "invitation.",
        "invitation_import.",
        "people.bulk_resend",
        "people.bulk_revoke",
        "address.",
    ),
    "members": ("member.", "people.bulk_deactivate", "people.bulk_reactivate"),
    "sign-ins": ("user.",),
    "links": ("invite_link.", "join_request."),
    "workspaces": ("workspace.", "team.", "client_group.", "contact."),
    "settings": ("portal.", "api_key.", "webhook."),
    "directory": ("hr.", "scim_token."),  # HR systems and SCIM
}


def category_of(action: str) -> str:
    """The category an action is filed under (``CATEGORIES``), or "" for none."""
    return next((c for c, prefixes in CATEGORIES.items() if action.startswith(prefixes)), "")


# An invite link's settings, as its change is told ("changed the invite link's role and limit").
LINK_SETTINGS = {
    "user_type": "user type",
    "role": "role",
    "allowed_domains": "allowed domains",
    "max_uses": "limit of sign-ups",
    "lifetime_seconds": "lifetime",
    "expires_at": "expiry",
    "never_expires": "expiry",
}

# The portal's settings, as their change is told ("changed the portal's time zone and
# invitation lifetime"; a rule turned on or off is told so).
PORTAL_SETTINGS = {
    "invitation_ttl_seconds": "invitation lifetime",
    "invitation_reminders": "reminders",
    "enabled_products": "enabled products",
    "time_zone": "time zone",
    "brand_color": "brand colour",
    "logo": "logo",
    "sms_countries": "countries texted",
    "sms_daily_budget": "texts a day",
    "client_sign_in_link_minutes": "client sign-in link lifetime",
    "internal_sign_in_link_minutes": "internal sign-in link lifetime",
    "scim_new_users": "way new SCIM users come in",
    "scim_products": "products new SCIM users get",
    "mandatory_notifications": "required notifications",
}
PORTAL_RULES = {
    "client_require_password": "a password for clients",
    "client_require_2fa": "two-step verification for clients",
    "internal_require_2fa": "two-step verification for internal users",
}

VIA = {
    "password": "with a password",
    "sign_in_link": "with a sign-in link",
    "sign_in_code": "with a sign-in code",
    "invitation": "by accepting an invitation",
    "link_signup": "through the invite link",
    "setup": "after setting up",
    "password_reset": "after choosing a new password",
}


# The first step's way, then the app's code when it was asked: "signed in with a password and
# two-step verification", "… by accepting an invitation, with two-step verification".
_TWO_STEP = {True: " and two-step verification", False: ", with two-step verification"}


def _via(detail: dict[str, Any]) -> str:
    """How someone signed in (``user.signed_in``'s ``via`` and ``second_factor``), said after
    "signed in"; nothing for a way not known (an event from before the ways were kept)."""
    way = VIA.get(detail.get("via") or "")
    if not detail.get("second_factor"):
        return f" {way}" if way else ""
    if not way:
        return " with two-step verification"
    return f" {way}{_TWO_STEP[way.startswith('with ')]}"


class Event(Protocol):
    actor_label: str
    action: str
    target_label: str
    detail: dict[str, Any]


def actions_saying(q: str) -> list[str]:
    """The actions whose phrase holds ``q`` (any case), its blanks (``{target}``…) left out: a
    search for "revoked" finds what the lines say was revoked."""
    wanted = " ".join(q.lower().split())
    if not wanted:
        return []
    return [
        action
        for action, phrase in PHRASES.items()
        if wanted in " ".join(re.sub(r"\{[a-z_]+\}", " ", SEARCHED_AS.get(action, phrase)).lower().split())
    ]


# Actions whose line is mostly blanks filled in from the event, searched by the words of their
# kind ("settings", "action").
SEARCHED_AS = {
    "invitation.resent": "resent the invitation to {target}",
    "portal.settings_changed": "changed the portal's settings",
    "workspace.action_added": "added an action to {target}",
    "workspace.action_done": "marked an action done in {target}",
    "workspace.action_reopened": "reopened an action in {target}",
    "workspace.action_deleted": "deleted an action from {target}",
    "workspace.action_edited": "edited an action in {target}",
    "team.members_removed": "removed people from the team {target}",
    "client_group.members_removed": "removed people from the client group {target}",
    "team.members_added": "added people to the team {target}",
    "client_group.members_added": "added people to the client group {target}",
}


def _named(label: str) -> str:
    """How a sentence names the actor an event's label is: an API key by its name, a person's
    phone number as the pages write numbers, anything else as it is."""
    key = key_of_label(label)
    if key is not None:
        return f"The API key {key_words(*key)}"
    return scim_of_label(label) or readable_phone(label)


def sentence(event: Event, actor: str | None = None) -> str:
    """The event as one sentence, its actor first (``actor``: how to name them, when the
    reader knows better than the label the event was written with)."""
    detail = event.detail or {}
    address = readable_phone(event.target_label)  # "+1 202-555-0173", as the pages show numbers
    name = detail.get("name")
    if not (name and isinstance(name, str) and name != address):  # a setting's change is a list
        name = None
    elif event.action.startswith(SELF_NAMED):
        name = f"“{name}”"  # typed by a visitor about themselves: quoted, never taken as fact
    if actor == ANONYMOUS:  # an account event written before its account was kept as who did it
        actor = None
    who = actor or _named(event.actor_label)
    target = (f"{name} ({address})" if address else name) if name else address or "someone"
    suffix = ""
    if event.action.startswith(ACCOUNT) and address:
        # Their own account: by its address, after the name the portal knows them by.
        who = f"{actor} ({address})" if actor and actor != address else address
    elif event.action in BY_THEMSELVES and address:
        # What a person did themselves (signing up, joining) is told by the address the event is
        # about: the name they gave is theirs to claim, and a name alone could be anyone's
        # ("Olive Owner" typed at a sign-up), so it follows in quotes.
        who = address
        # The name their account goes by: none when the portal knows them by their address
        # (a phone number, written either way).
        given = actor if actor and readable_phone(actor) != address else None
        claimed = name or (f"“{given}”" if given else None)
        suffix = f" (giving the name {claimed})" if claimed else ""
    phrase = PHRASES.get(event.action)
    if phrase is None:
        words = event.action.replace("_", " ").replace(".", ": ")
        return f"{who} · {words}{' · ' + address if address else ''}"
    role = detail.get("role")
    # A workspace's link is named by its workspace; the portal's is "the invite link".
    link = (
        f"the invite link of the workspace {address}"
        if detail.get("kind") == "workspace"
        else "the invite link"
    )
    text = phrase.format(
        link=link,
        link_change=_link_change(detail, link),
        settings_change=_settings_change(detail),
        title=f"the action “{detail['title']}”" if detail.get("title") else "an action",
        target=target,
        as_role=f" as {str(role).capitalize()}" if role else "",
        flow_role=f"the role “{role}”" if role else "a role",
        workspace=f"the workspace {detail['workspace']}" if detail.get("workspace") else "a workspace",
        resent_to=f"{target} the invitation to the workspace {detail['workspace']}"
        if detail.get("workspace")
        else f"the invitation to {target}",
        via=_via(detail),
        nth=f" (reminder {detail['reminder']} of {detail['of']})"
        if detail.get("reminder") and detail.get("of")
        else "",
        was=was_now(event.action, detail),
        renamed=f"“{detail['from']}” to “{detail['to']}”"
        if detail.get("from") and detail.get("to")
        else target,
        bulk_outcome=_bulk_outcome(detail),
        removed=_people_in(detail, "removed"),
        added=_people_in(detail, "added"),
        browser=_browser(detail),
        pause=detail.get("pause") or "a while",
        tries=detail.get("tries") or "too many",
        # A Resend that made it the resender's: its maker could no longer give it.
        taken_over=f" and made it theirs ({readable_phone(detail['taken_over_from'])}, who made it, can no "
        "longer give it)"
        if detail.get("taken_over_from")
        else "",
    )
    return f"{who} {text}{suffix}"


def _people_in(detail: dict[str, Any], key: str) -> str:
    """Who was put in (``added``) or taken out of (``removed``) a team or client group: the one
    person's address, else how many ("3 people"; each address stays in the detail)."""
    people = detail.get(key)
    count = detail.get("count")
    if isinstance(people, list) and len(people) == 1 and count in (1, None):
        return readable_phone(str(people[0]))
    return f"{count} people" if isinstance(count, int) else "people"


def _browser(detail: dict[str, Any]) -> str:
    """A browser signed out: "Safari on iPhone (203.0.113.7)"."""
    named = detail.get("browser") or "a browser"
    return f"{named} ({detail['ip']})" if detail.get("ip") else named


# What a bulk action did to each person it could ("2 deactivated, 3 skipped").
BULK_DONE = {
    "resend": "resent",
    "revoke": "revoked",
    "deactivate": "deactivated",
    "reactivate": "reactivated",
}


def _bulk_outcome(detail: dict[str, Any]) -> str:
    found = detail.get("counts")
    counts: dict[str, Any] = found if isinstance(found, dict) else {}
    done = int(counts.get("done", 0))
    skipped = sum(int(n) for code, n in counts.items() if code != "done")
    said = f"{done:,} {BULK_DONE.get(str(detail.get('action')), 'done')}"
    return f"{said}, {skipped:,} skipped" if skipped else said


def was_now(action: str, detail: dict[str, Any]) -> str:
    """What a change event's ``detail`` (``from``, ``to``) says, as its sentence says it:
    " (was “Member”, now “Admin”)" (a role capitalised, a list of products joined); "" when
    they are the same or missing."""
    return _was(
        detail, shown=_role_said if action in ("member.role_changed", "invitation.role_changed") else str
    )


def _role_said(role: str) -> str:
    return role.capitalize()


def _was(detail: dict[str, Any], shown: Callable[[str], str] = str) -> str:
    """A change's before and after: " (was “A”, now “B”)", each ``shown`` (a list, such as a
    member's products, as "messaging, billing"); a name taken away or given where there was
    none says so ("now none", "was none")."""

    def said(value: Any) -> str | None:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        return value if isinstance(value, str) else None

    def quoted(text: str) -> str:
        return f"“{shown(text)}”" if text else "none"

    before, after = said(detail.get("from")), said(detail.get("to"))
    if before is None or after is None or before == after:
        return ""
    return f" (was {quoted(before)}, now {quoted(after)})"


def _link_change(detail: dict[str, Any], link: str) -> str:
    """What a change of an invite link's settings did: "turned the invite link on", "changed
    the invite link's role and limit of sign-ups"."""
    enabled = detail.get("enabled")
    said = []
    changed = [key for key in detail if key in LINK_SETTINGS]
    if isinstance(enabled, list) and len(enabled) == 2:
        said.append(f"turned {link} {'on' if enabled[1] else 'off'}")
        if enabled[1] and not {"lifetime_seconds", "never_expires"} & detail.keys():
            # Turned on, its lifetime runs from now (``links.service``): no change of its own.
            changed = [key for key in changed if key != "expires_at"]
    settings = list(dict.fromkeys(LINK_SETTINGS[key] for key in changed))
    if settings:
        listed = _listed(settings)
        said.append(f"changed {link}'s {listed}" if not said else f"changed its {listed}")
    return " and ".join(said) or f"changed {link}'s settings"


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _products_change(before: Any, after: Any) -> list[str]:
    """Which products a change turned on and off ("turned on Analytics", "turned off Billing and
    Messaging"), as the settings page names them."""
    if not isinstance(before, list) or not isinstance(after, list):
        return ["changed the portal's enabled products"]
    on = sorted(str(p).capitalize() for p in after if p not in before)
    off = sorted(str(p).capitalize() for p in before if p not in after)
    said = [f"turned on {_listed(on)}"] if on else []
    return said + ([f"turned off {_listed(off)}"] if off else [])


# Settings whose change ``_settings_change`` tells in its own words, not by their name.
TOLD_APART = ("enabled_products",)


def _settings_change(detail: dict[str, Any]) -> str:
    """What a change of the portal's settings did: "required two-step verification for clients
    and changed the portal's time zone" (each setting's old and new value stay in the detail)."""
    # Events written before only real changes were recorded may hold a setting sent unchanged.
    changed = {
        key
        for key, values in detail.items()
        if not (isinstance(values, list) and len(values) == 2 and values[0] == values[1])
    }
    said = []
    for key, rule in PORTAL_RULES.items():
        values = detail.get(key)
        if key in changed and isinstance(values, list) and len(values) == 2:
            said.append(f"{'required' if values[1] else 'stopped requiring'} {rule}")
    products = detail.get("enabled_products")
    if "enabled_products" in changed and isinstance(products, list) and len(products) == 2:
        said.extend(_products_change(*products))
    names = detail.get("name")
    if "name" in changed and isinstance(names, list) and len(names) == 2:
        said.append(f"renamed the portal “{names[0]}” to “{names[1]}”")
    settings = [name for key, name in PORTAL_SETTINGS.items() if key in changed and key not in TOLD_APART]
    if settings:
        said.append(f"changed the portal's {_listed(settings)}")
    return " and ".join(said) or "changed the portal's settings"
