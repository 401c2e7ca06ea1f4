"""``admit`` itself: what its help says, its version."""

from __future__ import annotations

import pytest

SUBCOMMANDS = ("serve", "worker", "init", "invite", "users", "migrate", "check-config")


class TestHelp:
    def test_main_help_lists_every_command(self, run):
        """``admit --help`` says what Admit is and lists every subcommand."""
        result = run("--help")
        assert result.exit_code == 0
        assert "invite people into your portal" in result.output
        for name in SUBCOMMANDS:
            assert name in result.output

    @pytest.mark.parametrize(
        ("command", "phrase"),
        [
            ("serve", "Run the web app"),
            ("worker", "Run the worker alone"),
            ("init", "Create a portal and its owner"),
            ("invite", "Invite people by email"),
            ("users", "List the portal's people"),
            ("migrate", "Create or upgrade the database schema"),
            ("check-config", "Say what is wrong with the configuration"),
        ],
    )
    def test_each_subcommand_help_says_what_it_does(self, run, command, phrase):
        """Every subcommand's --help describes what it does."""
        result = run(command, "--help")
        assert result.exit_code == 0, result.output
        assert phrase in " ".join(result.output.split())

    def test_version(self, run):
        """``admit --version`` prints the package version."""
        from admit import __version__

        result = run("--version")
        assert result.exit_code == 0
        assert __version__ in result.output
