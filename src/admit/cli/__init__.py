"""The ``admit`` command: one module per command group.

``server`` (serve, worker, migrate, check-config, init), ``invitations`` (invite, invitations
list|resend|revoke), ``members`` (members list|deactivate|reactivate), ``workspaces``
(workspaces list|create|rename|delete|add|members), ``links`` (links show|refresh|set), ``scim`` (scim-tokens
create|list|revoke), ``hr`` (hr list|preview|link|sync…), ``audit`` (audit list); ``_shared`` holds
what they share, the exit codes among it. Commands call one service or flow inside a unit of
work, as the pages and the API do, and print its answer; never SQL, never a role compared.

The old names ``users``, ``workspace …`` and ``link …`` still work for one release, hidden from
``admit --help``.
"""

from __future__ import annotations

import click

from admit import __version__
from admit.cli import _shared, audit, hr, invitations, links, members, scim, server, workspaces


class Admit(click.Group):
    """Every command runs inside ``_shared.database_errors``: a database it cannot use is one
    line, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        with _shared.database_errors():
            return super().invoke(ctx)


@click.group(cls=Admit, epilog=_shared.EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="admit")
def main() -> None:
    """Admit: invite people into your portal. Settings come from ADMIT_* environment variables.

    \b
    First steps:
      admit migrate                      the database (ADMIT_DATABASE_URL)
      admit init --portal-name … --owner-email … --owner-password …
                                         a portal and its owner (or: admit serve, and the
                                         setup page it shows)
      admit invite --portal SLUG ADDRESS…
    """


for command in (
    server.serve,
    server.worker,
    server.migrate,
    server.check_config,
    server.init,
    invitations.invite,
    invitations.invitations,
    members.members,
    workspaces.workspaces,
    links.links,
    scim.scim_tokens,
    scim.scim_token,
    hr.hr,
    audit.audit,
    # Old names, hidden, for one release.
    members.users,
    workspaces.workspace,
    links.link,
):
    main.add_command(command)
