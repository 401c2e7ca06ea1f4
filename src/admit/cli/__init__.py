"""The ``admit`` command: one module per command group.

``server`` (serve, worker, migrate, check-config, init), ``invitations`` (invite), ``members``
(users), ``workspaces`` (workspace …), ``links`` (link …); ``_shared`` holds what they share.
Commands call services inside a unit of work, as the pages and the API do; never SQL.
"""

from __future__ import annotations

import click

from admit import __version__
from admit.cli import _shared, invitations, links, members, server, workspaces


@click.group(epilog=_shared.EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="admit")
def main() -> None:
    """Admit: invite people into your portal. Settings come from ADMIT_* environment variables."""


for command in (
    server.migrate,
    server.serve,
    server.worker,
    server.init,
    invitations.invite,
    members.users,
    server.check_config,
    links.link,
    workspaces.workspace,
):
    main.add_command(command)
