"""The README's screenshots, made from the real app so they stay current.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/*.png

Serves Admit on a free 127.0.0.1 port with a fresh SQLite file (dev mailbox, worker inside),
sets a demo portal up through its pages (the first-run setup, the Invite box, a list upload, a
flow workspace with roles and actions), then photographs the main pages in Chromium
(/usr/bin/chromium, as the tests do) at a desktop size and, for User Management and the flow,
at a phone's 390 px. Talks to 127.0.0.1 only; stops by itself.
"""

from __future__ import annotations

import re
import socket
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # the tests' fake HR system, for the HR preview
OUT = ROOT / "docs" / "screenshots"

OWNER = ("Olivia Owner", "olivia@acme.example", "owner-password-123")
PEOPLE = [
    "Ada Lovelace <ada@acme.example>",
    "Grace Hopper <grace@acme.example>",
    "Alan Turing <alan@acme.example>",
    "Katherine Johnson <katherine@acme.example>",
]
CLIENTS = [
    "Cleo Client <cleo@client.example>",
    "Bruno Díaz <bruno@client.example>",
    "Mina Park <mina@client.example>",
    "+1 202 555 0173",
]


def serve(tmp: Path):
    import uvicorn

    from admit.app import create_app
    from admit.migrate import upgrade
    from admit.settings import Settings

    url_db = f"sqlite:///{tmp / 'demo.db'}"
    upgrade(url_db)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        database_url=url_db, public_url=url, email_backend="dev", rate_limits_enabled=False,
        run_worker_in_web=True, worker_poll_seconds=0.2, environment="test",
        directory_allow_private=True,  # the demo's HR system answers on loopback
    )  # fmt: skip
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    return url, server, thread


def main() -> None:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="admit-shots-") as tmp:
        url, server, thread = serve(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                page = browser.new_page(viewport={"width": 1280, "height": 820})

                def shot(name: str, *, full: bool = False) -> None:
                    page.wait_for_timeout(150)
                    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
                    print(f"docs/screenshots/{name}.png")

                page.goto(url + "/")
                shot("setup")
                page.get_by_label("Portal name").fill("Acme")
                page.get_by_label("Your name").fill(OWNER[0])
                page.get_by_label("Your email").fill(OWNER[1])
                page.get_by_label("Password").fill(OWNER[2])
                page.get_by_role("button", name="Create portal").click()
                expect(page).to_have_url(re.compile(r"/p/[^/]+/users"))
                users = page.url.split("?")[0]

                def invite(people: list[str], user_type: str, chips: bool = False) -> None:
                    page.get_by_role("button", name="Invite Users").click()
                    dialog = page.locator("dialog#invite-dialog")
                    dialog.get_by_label("User type").select_option(user_type)
                    dialog.get_by_label("Email addresses").fill("\n".join(people))
                    if chips:
                        expect(dialog.locator("[data-chips-summary]")).to_be_visible()
                        shot("invite-users")
                        # Send holds a list with an address to fix: the mistyped one goes first.
                        dialog.get_by_label("Email addresses").fill(
                            "\n".join(p for p in people if "gmial" not in p)
                        )
                    dialog.get_by_role("button", name="Send Invitation").click()
                    expect(page.locator("[data-report]")).to_be_visible()

                invite([*PEOPLE, "typo@gmial.com"], "internal", chips=True)
                invite(CLIENTS, "client")
                page.goto(users)
                shot("user-management")
                page.set_viewport_size({"width": 390, "height": 844})
                shot("user-management-phone")
                page.set_viewport_size({"width": 1280, "height": 820})

                upload = Path(tmp) / "team.csv"
                upload.write_text(
                    "Email,First Name,Last Name,Role\r\n"
                    + "".join(f"person{i}@acme.example,Person,{i},member\r\n" for i in range(40))
                    + "lead@acme.example,Lea,Lead,admin\r\n"
                    + "broken@gmial.com,Bo,Ken,\r\nada@acme.example,Ada,L,\r\n"
                )
                page.get_by_role("button", name="Invite Users").click()
                dialog = page.locator("dialog#invite-dialog")
                dialog.get_by_label("User type").select_option("internal")
                dialog.get_by_label("Role").select_option("admin")
                dialog.get_by_label("Or upload email list").set_input_files(str(upload))
                dialog.get_by_role("button", name="Preview").click()
                expect(page.locator("[data-preview]")).to_be_visible()
                page.get_by_label("Use the Role column").check()
                expect(page.locator("[data-roles]")).to_contain_text("Admin")
                shot("import-preview")

                # An HR system (the tests' fake HiBob on loopback): connected, then its preview.
                from tests.directory.hr.fakes import Person
                from tests.directory.hr.fakes import serve as serve_hr

                with serve_hr("hibob") as hr:
                    hr.people = [
                        Person(id="1", first_name="Ada", last_name="Lovelace", email="ada@acme.example",
                               department="Engineering"),
                        Person(id="2", first_name="Grace", last_name="Hopper", email="grace@acme.example",
                               department="Engineering"),
                        Person(id="3", first_name="Zoë", last_name="Ødegaard", email="zoe@acme.example",
                               department="Sales", start_date=date.today() + timedelta(days=21)),
                        Person(id="4", first_name="Tom", last_name="Field", email="", department="Sales"),
                        Person(id="5", first_name="Cy", last_name="Former", email="cy@acme.example",
                               active=False),
                        Person(id="6", first_name="Mina", last_name="Park", email="mina@acme.example",
                               department="Finance"),
                    ]  # fmt: skip
                    page.goto(users.replace("/users", "/hr/connect/hibob"))
                    page.get_by_label("Grant Admit read access to these fields").check()
                    page.get_by_label("Service user ID").fill(hr.credentials.account)
                    page.get_by_label("Service user token").fill(hr.credentials.api_key)
                    page.get_by_text("Advanced").click()
                    page.get_by_label("API address").fill(hr.credentials.base_url)
                    page.get_by_role("button", name="Connect").click()
                    page.get_by_role("link", name="Preview the list").click()
                    expect(page.locator("#hr-preview")).to_be_visible()
                    shot("hr-preview")

                page.goto(users.replace("/users", "/workspaces"))
                shot("workspaces")

                # A flow: its roles (one held by a client), its actions, the Members panel.
                page.get_by_label("New workspace").fill("Q3 Audit")
                page.get_by_label("Kind").select_option("flow")
                page.get_by_label("Roles").fill("Reviewer, Client signer")
                page.get_by_role("button", name="Create workspace").click()
                expect(page.get_by_role("heading", name="Q3 Audit")).to_be_visible()
                flow = page.url.split("?")[0]
                for title, role, due in (
                    ("Upload last year's statements", "Client signer", "2030-01-31"),
                    ("Review the ledger", "Reviewer", "2030-02-14"),
                    ("Sign the engagement letter", "Client signer", ""),
                ):
                    page.get_by_label("Add action").fill(title)
                    page.get_by_label("For", exact=True).select_option(label=role)
                    if due:
                        page.locator("#action-due").fill(due)
                    page.get_by_role("button", name="Add action").click()
                    expect(page.locator("#workspace-actions")).to_contain_text(title)
                page.locator('[data-role="Client signer"]').get_by_role("button", name="Assign").click()
                box = page.locator('[data-assign="Client signer"]')
                box.get_by_label("Or someone new: email or phone number").fill("cleo@client.example")
                box.get_by_role("button", name="Invite New Client").click()
                expect(page.locator('[data-role="Client signer"] [data-holder]')).to_be_visible()
                page.goto(flow)
                shot("workspace-flow")
                page.set_viewport_size({"width": 390, "height": 844})
                shot("workspace-flow-phone", full=True)
                page.set_viewport_size({"width": 1280, "height": 820})
                page.get_by_role("link", name=re.compile(r"^Members \(\d+\)$")).click()
                expect(page.locator("dialog#members-panel")).to_be_visible()
                shot("workspace-members")
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=15)


if __name__ == "__main__":
    main()
