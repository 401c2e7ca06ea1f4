"""Generic helpers: bulk ids and tokens are as random and well-formed as the one-at-a-time kind."""

from __future__ import annotations

import base64
import re
import uuid

import pytest

from admit.kit.bulk import new_ids, new_tokens


def test_bulk_ids_are_version_4_and_distinct():
    """Ids made in bulk are RFC 4122 version-4 UUIDs, all different, equal to their parsed text."""
    ids = new_ids(5000)
    assert len(set(ids)) == 5000
    for u in ids[:500]:
        assert (u.version, u.variant) == (4, uuid.RFC_4122)
        assert uuid.UUID(str(u)) == u and hash(uuid.UUID(u.hex)) == hash(u)


def test_bulk_tokens_are_256_bits():
    """Tokens made in bulk carry 32 random bytes each, base64url without padding."""
    tokens = new_tokens(2000)
    assert len(set(tokens)) == 2000
    for t in tokens[:200]:
        assert "=" not in t and len(base64.urlsafe_b64decode(t + "=")) == 32


def test_values_sealed_as_a_batch_open_under_their_key_only():
    """``secretbox.seal_many`` (AES-GCM, the outbox's links) and ``seal`` (Fernet) both open with
    ``open_sealed``; another key, or one character changed, is ``SealBroken``."""
    from cryptography.fernet import Fernet

    from admit.kit import secretbox

    key = {"secret_key": "s" * 32, "encryption_key": Fernet.generate_key().decode()}
    plains = ["https://admit.example/invite/abc", "", "é ✓"]
    batch = secretbox.seal_many(plains, **key)
    assert len(set(batch)) == 3 and not any("abc" in value for value in batch)
    assert [secretbox.open_sealed(value, **key) for value in batch] == plains
    assert secretbox.open_sealed(secretbox.seal("webhook", **key), **key) == "webhook"
    derived = {"secret_key": "s" * 32}  # no ADMIT_ENCRYPTION_KEY: derived from the secret key
    assert secretbox.open_sealed(secretbox.seal_many(["x"], **derived)[0], **derived) == "x"
    other = {**key, "encryption_key": Fernet.generate_key().decode()}
    altered = batch[0][:20] + ("A" if batch[0][20] != "A" else "B") + batch[0][21:]
    for value, under in ((batch[0], other), (batch[0], derived), (altered, key)):
        with pytest.raises(secretbox.SealBroken):
            secretbox.open_sealed(value, **under)


def test_bulk_insert_applies_column_defaults(db):
    """Rows written in bulk get the column defaults the ORM would give them (never NULL where a
    model says otherwise): a scalar, a callable and the clock."""
    from sqlalchemy import select

    from admit.audit.models import AuditEvent
    from admit.kit.bulk import insert_rows, new_ids

    event_id = new_ids(1)[0]
    with db.unit_of_work() as session:
        insert_rows(
            session,
            AuditEvent.__table__,
            [{"id": event_id, "actor_label": "bulk", "action": "test.bulk", "target_type": "test"}],
        )
    with db.unit_of_work() as session:
        row = session.scalar(select(AuditEvent).where(AuditEvent.id == event_id))
        assert (row.target_label, row.detail) == ("", {})
        assert row.created_at is not None


def test_a_row_inserted_now_is_what_a_flush_would_have_left(db):
    """``kit.insert.insert_now``: the row is written with the ORM's defaults, what was pending
    first (its user, which it refers to); the object is persistent with its columns loaded (no
    statement to read them), a column the database fills in is read when asked for, and a later
    change to the object is flushed as usual."""
    from sqlalchemy import event, select

    from admit.kit.insert import insert_now
    from admit.members.models import Member, User
    from tests.factories import create_portal

    pf = create_portal(db)
    with db.unit_of_work() as session:
        user = User(email="now@example.com", name="Now")
        session.add(user)
        session.flush()  # the user's id; its row waits below with a change pending
        user.name = "Now Then"
        member = Member(
            portal_id=pf.portal_id, user_id=user.id, user_type="client", role="client", products=[],
            status="active", joined_via="invitation",
        )  # fmt: skip
        assert insert_now(session, member) is member
        assert member in session and member not in session.new and not session.dirty
        statements: list[str] = []

        def note(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202 - the event's signature
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            loaded = (member.id is not None, member.created_at is not None, member.inviter_label)
            assert (loaded, statements) == ((True, True, None), [])
            assert isinstance(member.sort_name, str)  # the database's (server_default), read now
            assert len(statements) == 1
            member.role = "admin"
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    with db.unit_of_work() as session:
        row = session.scalar(select(Member).where(Member.id == member.id))
        assert (row.role, row.user.name, row.products) == ("admin", "Now Then", [])


def test_a_row_inserted_later_goes_with_the_next_of_its_kind_or_at_commit(db):
    """``kit.insert.insert_later``: the held row is written in the same statement as the next
    ``insert_now`` of its class (one INSERT of both), or as the transaction commits when none
    comes; the audit log's reads write it first; a rollback drops it."""
    from sqlalchemy import event, func, select

    from admit.audit import service as audit_service
    from admit.audit.models import AuditEvent
    from admit.kit.insert import insert_later, insert_now
    from tests.factories import actor_for, create_portal

    pf = create_portal(db)

    def event_of(label: str) -> AuditEvent:
        return AuditEvent(portal_id=pf.portal_id, actor_label=label, action="test.later", target_type="user")

    def count(session) -> int:  # noqa: ANN001 - a session
        return session.scalar(select(func.count()).where(AuditEvent.action == "test.later"))

    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # noqa: ANN001, ANN202 - the event's signature
        if statement.startswith("INSERT INTO audit_events"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.unit_of_work() as session:
            first = insert_later(session, event_of("first"))
            assert first.created_at is not None and first not in session and count(session) == 0
            second = insert_now(session, event_of("second"))
            assert len(statements) == 1 and first in session and second in session
            assert count(session) == 2
        with db.unit_of_work() as session:
            insert_later(session, event_of("at commit"))
        assert len(statements) == 2
        with db.unit_of_work() as session:
            assert count(session) == 3
            insert_later(session, event_of("read"))
            actor = actor_for(session, pf.slug, pf.owner_email)
            events, _cursor = audit_service.list_events(session, actor)
            assert "read" in [e.actor_label for e in events]
            session.rollback()
        with db.unit_of_work() as session:
            insert_later(session, event_of("dropped"))
            session.rollback()
        with db.unit_of_work() as session:
            # A session closed with a row held drops it: the next transaction's commit on the same
            # session wrote it.
            insert_later(session, event_of("closed"))
            session.close()
        with db.unit_of_work() as session:
            insert_later(session, event_of("before the savepoint"))
            with session.begin_nested() as savepoint:
                # None held inside a savepoint; those held before stay held through its insert
                # (its rollback would not drop them) and go at the commit.
                with pytest.raises(RuntimeError, match="savepoint"):
                    insert_later(session, event_of("in the savepoint"))
                insert_now(session, event_of("rolled back"))
                savepoint.rollback()
        with db.unit_of_work() as session:
            labels = set(
                session.scalars(select(AuditEvent.actor_label).where(AuditEvent.action == "test.later"))
            )
            assert labels == {"first", "second", "at commit", "before the savepoint"}
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_one_of_finds_its_values_with_one_statement_whatever_their_number(db):
    """``one_of`` finds rows by a UUID column and a text column, and asks with the same SQL for
    one value or a thousand: the driver keeps its last statements prepared, and one statement
    per count filled that cache with thousands of placeholders (a 1,000,000-row preview held
    ~80 MB of them on SQLite)."""
    from sqlalchemy import event, select

    from admit.audit.models import AuditEvent
    from admit.kit.bulk import insert_rows, new_ids, one_of

    ids = new_ids(5)
    with db.unit_of_work() as session:
        insert_rows(
            session,
            AuditEvent.__table__,
            [{"id": i, "actor_label": f"label {n}", "action": "test.one_of", "target_type": "test"}
             for n, i in enumerate(ids)],
        )  # fmt: skip
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.unit_of_work() as session:
            for count in (1, 2, 3, 1000):
                wanted = [*ids[:count], *new_ids(max(0, count - len(ids)))]
                found = session.scalars(select(AuditEvent.id).where(one_of(session, AuditEvent.id, wanted)))
                assert set(found) == set(ids[:count])
            labels = session.scalars(
                select(AuditEvent.actor_label).where(
                    one_of(session, AuditEvent.actor_label, ["label 1", "nobody"])
                )
            )
            assert list(labels) == ["label 1"]
            assert (
                list(session.scalars(select(AuditEvent.id).where(one_of(session, AuditEvent.id, [])))) == []
            )
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    by_id = {s for s in statements if "actor_label" not in s and "audit_events" in s}
    assert len(by_id) == 1, by_id


@pytest.mark.parametrize(
    ("minutes", "words"),
    [(1, "1 minute"), (15, "15 minutes"), (60, "1 hour"), (90, "90 minutes"), (120, "2 hours"),
     (1440, "1 day"), (1500, "25 hours"), (10080, "7 days")],
)  # fmt: skip
def test_a_lifetime_in_words(minutes, words):
    """How long a link lives, as its email says it: exactly, in the largest whole unit."""
    from admit.kit.text import lifetime_in_words

    assert lifetime_in_words(minutes) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (40, "40 seconds"),
        (60, "1 minute"),
        (61, "2 minutes"),  # never shorter than the wait: who waits what it says gets through
        (300, "5 minutes"),
        (5400, "90 minutes"),
        (5401, "2 hours"),
        (84500, "24 hours"),
    ],
)
def test_a_wait_in_words(seconds, words):
    """How long someone must wait, as the limits' messages say it."""
    from admit.kit.text import wait_in_words

    assert wait_in_words(seconds) == words


def test_the_collector_is_held_off_by_the_outermost_batch_only():
    """``collector_paused``: off inside, on again after, even when the batch fails; a batch
    inside another leaves it to the outer one."""
    import gc

    from admit.kit.collector import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one did not turn it back on
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


class TestSentence:
    def test_a_name_ending_in_a_period_gets_no_second_one(self):
        from admit.kit.text import sentence

        assert sentence("Acme Inc.") == "Acme Inc."
        assert sentence("Acme") == "Acme."
        assert sentence("Wow!") == "Wow!"

    def test_the_link_pages_name_such_a_portal_with_one_full_stop(self):
        """The pages set the name apart (``<strong>``) and add the stop it still needs."""
        from admit.pages.deps import templates

        page = templates.env.from_string("<strong>{{ name }}</strong>{{ name|full_stop }}")
        assert page.render(name="Acme Inc.") == "<strong>Acme Inc.</strong>"
        assert page.render(name="Acme") == "<strong>Acme</strong>."

    def test_emails_about_a_portal_named_with_a_period(self):
        from admit.notifications.render import render

        context = {
            "adder_name": "Olivia",
            "recipient_name": "Ada",
            "workspace_name": "Loan",
            "portal_name": "Acme Inc.",
            "link": "http://x/",
        }
        email = render("workspace_added", context)
        assert "Acme Inc.." not in email.text and "Acme Inc.</strong>." not in email.html
        assert "in Acme Inc." in email.text
        plain = render("workspace_added", {**context, "portal_name": "Acme"})
        assert "in Acme." in plain.text and "<strong>Acme</strong>." in plain.html

    @pytest.mark.parametrize("template", ["invitation", "invitation_reminder", "workspace_added"])
    def test_texts_about_a_portal_named_with_a_period(self, template):
        """The SMS forms too ("… to join Acme Inc.. Accept:" cost a second SMS segment)."""
        from admit.notifications.render import render

        context = {
            "inviter_name": "Olivia",
            "adder_name": "Olivia",
            "workspace_name": "",
            "portal_name": "Acme Inc.",
            "link": "http://x/i/abc",
            "expires_at": "2030-12-09T12:00:00+00:00",
        }
        text = render(template, context, channel="sms").text
        assert "Acme Inc. " in text and "Inc.." not in text, text
        plain = render(template, {**context, "portal_name": "Acme"}, channel="sms").text
        assert "Acme. " in plain, plain

    def test_the_password_reset_email(self):
        from admit.kit.brand import Brand
        from admit.notifications.render import render

        context = {
            "name": "Ada",
            "email": "ada@acme.com",
            "link": "http://x/",
            "minutes": 30,
            "brand": Brand.build(name="Acme Inc."),
        }
        email = render("password_reset", context)
        assert "at Acme Inc." in email.text and "Inc.." not in email.text + email.html


def test_html_emails_fit_a_phone_and_follow_dark_mode():
    """Every HTML email: a viewport for phones, the long link allowed to wrap (the link alone),
    and colours for a mail app in dark mode."""
    from jinja2 import Environment, FileSystemLoader

    from admit.kit.brand import Brand
    from admit.notifications import render
    from admit.notifications.render import TEMPLATE_DIR, TEMPLATES

    # Rendered (the emails share a layout), with whatever the template asks left blank, through
    # the filters the emails are written with.
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True)
    env.filters.update(render._env.filters)
    env.globals.update(render._env.globals)  # invited_as: what someone joins as, in words
    for name in TEMPLATES:
        html = env.get_template(f"{name}.html").render(
            brand=Brand.build(name="Acme"), portal_name="Acme", link="http://x/", minutes=15,
            user_type="internal", role="member",
        )  # fmt: skip
        assert 'name="viewport"' in html, name
        assert "prefers-color-scheme: dark" in html, name
        if "Or open this link" in html:
            assert "word-break:break-all" in html, name
        # Only the link breaks anywhere: a paragraph that did broke its words too on a phone
        # ("… a client or an i / nternal user.", the join request's email).
        for styled in re.findall(r"<(\w+)[^>]*word-break:break-all", html):
            assert styled == "a", (name, styled)


@pytest.mark.parametrize("note", ["", "We met at the fair."])
@pytest.mark.parametrize("flow_roles", [[], ["Signer"]])
@pytest.mark.parametrize("message", ["", "Welcome aboard."])
@pytest.mark.parametrize("user_type", ["client", "internal"])
@pytest.mark.parametrize("resent", [False, True])
@pytest.mark.parametrize("sign_in_words", ["", "No password is needed: the link signs you in."])
def test_plain_text_emails_keep_their_sentences_apart(  # noqa: PLR0913
    user_type, resent, sign_in_words, message, flow_roles, note
):
    """The tester: a client's invitation read "It expires on 13 December 2026 at 20:48 UTC.No
    password is needed…" (a line's end eaten by the template's blocks), and with no personal
    message "… as a client." ran into "Accept the invitation:". Every plain-text email, in each
    case its blocks choose (optional parts there or not), has a space or a line between its
    sentences and a blank line between its paragraphs."""
    from admit.kit.brand import Brand
    from admit.notifications import render
    from admit.notifications.render import TEMPLATES

    context = {
        "brand": Brand.build(name="Acme"), "portal_name": "Acme", "inviter_name": "Olivia", "link": "http://x/",
        "minutes": 15, "user_type": user_type, "role": "member", "recipient": "ada@acme.com",
        "expires_at_text": "13 December 2026 at 20:48 UTC", "resent": resent, "sign_in_words": sign_in_words,
        "sent_at_text": "6 December 2026", "workspace_name": "Q3 Audit", "message": message,
        "flow_roles": flow_roles, "note": note,
        "title": "Sign the letter", "due_on_text": "6 December 2026",
    }  # fmt: skip
    from jinja2 import Undefined

    lenient = render._env.overlay(undefined=Undefined)  # what a template asks beyond these: blank
    for name in TEMPLATES:
        text = lenient.get_template(f"{name}.txt").render(**context)
        glued = re.findall(r"\w[.!?:][A-Z]\w*", text)
        assert not glued, (name, glued, text)
        # Nor does a paragraph run into the next on the line below (a client's invitation with no
        # message: "… as a client.\nAccept the invitation:"): a line that ends a sentence is
        # followed by a blank line, or by an item of the same list.
        lines = text.split("\n")
        for line, below in zip(lines, lines[1:], strict=False):
            if re.search(r"[.!?]$", line.strip()) and below.strip() and not _same_list(line, below):
                raise AssertionError((name, f"{line!r} runs into {below!r}", text))


def _same_list(line: str, below: str) -> bool:
    """Two lines of one list (its items each start "- " or "• "): no blank line between them."""
    return all(re.match(r"\s*(?:[-•*]|\d+[.)])\s", each) for each in (line, below))


class TestRawValues:
    """``db.raw_*``: a column's value as the driver gives it when a stream skips the types."""

    def test_times_read_as_the_apis_json_writes_them(self):
        from datetime import UTC, datetime

        from pydantic import TypeAdapter

        from admit.db import raw_iso

        as_json = TypeAdapter(datetime).dump_python  # how the API's answers write a time
        exact = as_json(datetime(2026, 12, 3, 8, 19, 25, 120000, tzinfo=UTC), mode="json")
        whole = as_json(datetime(2026, 12, 3, 8, 19, 25, tzinfo=UTC), mode="json")
        assert exact == "2026-12-03T08:19:25.120000Z" and whole == "2026-12-03T08:19:25Z"
        assert raw_iso("2026-12-03 08:19:25.120000") == exact  # SQLite
        assert raw_iso("2026-12-03 08:19:25.12") == exact  # PostgreSQL's text
        assert raw_iso("2026-12-03 08:19:25.000000") == whole
        assert raw_iso("2026-12-03 08:19:25") == whole
        assert raw_iso(datetime(2026, 12, 3, 8, 19, 25, 120000)) == exact
        assert raw_iso(datetime(2026, 12, 3, 8, 19, 25)) == whole
        assert raw_iso(None) == ""

    def test_lists_and_identifiers(self):
        import uuid

        from admit.db import raw_list, raw_uuid

        assert raw_list('["billing", "crm"]') == ("billing", "crm") == raw_list(["billing", "crm"])
        assert raw_list(None) == ()
        some = uuid.uuid4()
        assert raw_uuid(some.hex) == some == raw_uuid(str(some)) == raw_uuid(some)
        assert raw_uuid(None) is None


def test_seekable_binds_only_the_columns_before_the_last_filtered_one():
    """A count seeks in a (type, status, role) index when the columns before a filtered one are
    bound to every value they may hold; with no filter, or the first column filtered, nothing is
    added (an IN over every value would read the wide index where a narrow one serves)."""
    from sqlalchemy import column
    from sqlalchemy.dialects import sqlite

    from admit.kit.pagination import seekable

    kind, status, role = column("kind"), column("status"), column("role")

    def written(*bound: bool) -> list[str]:
        leading = zip((kind, status, role), bound, (("a", "b"), ("on", "off"), ("x", "y")), strict=True)
        conditions = seekable(*leading)
        return [
            str(c.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
            for c in conditions
        ]

    assert written(False, False, False) == []
    assert written(True, False, False) == []
    assert written(False, True, False) == ["kind IN ('a', 'b')"]
    assert written(False, False, True) == ["kind IN ('a', 'b')", "status IN ('on', 'off')"]
    assert written(True, False, True) == ["status IN ('on', 'off')"]


class TestOutputTemplate:
    """Templates written out by ``kit.templating`` (values as escaped text, each run of text and
    values between two tags one piece, built-in methods called at once) write exactly what
    Jinja's own do, in every place a value is written, and escape what must be escaped."""

    SOURCE = (
        "{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}"
        "{% set captured %}<b>{{ name }}</b>{% endset %}"
        '<p title="{{ name }}">{{ name }}|{{ safe }}|{{ number }}|{{ nothing }}|{{ shown }}|{{ missing }}</p>'
        "{{ cell(name) }}{{ captured }}{{ captured|upper }}{{ name|e }}{{ (name ~ safe) }}"
        "{% filter upper %}{{ name }}{% endfilter %}{% for x in items %}[{{ x }}]{% endfor %}"
        "{% for x in items %}<i>{{ words.get(x, x) }}</i>{{ '{n}!'.format(n=x) }}{{ loop.index }}"
        "{{ marked(x) }}{{ next(empty, 'none') }}{% endfor %}"
        "{% block tail %}{{ name|length }}{{ words.get(name) }}{% endblock %}"
    )
    CHILD = "{% extends 't.html' %}{% block tail %}<u>{{ name }}</u>{{ super() }}{% endblock %}"

    class Shown:
        def __html__(self) -> str:
            return "<i>as it says</i>"

        def __str__(self) -> str:
            return "<as text>"

    def _env(self, ours: bool, *, autoescape: bool = True):
        from jinja2 import DictLoader, Environment, pass_context

        from admit.kit.templating import write_out

        env = Environment(
            autoescape=autoescape, loader=DictLoader({"t.html": self.SOURCE, "c.html": self.CHILD})
        )
        if ours:
            write_out(env)
        env.globals["next"] = next
        env.globals["marked"] = pass_context(lambda ctx, x: f"{ctx['number']}:{x}")
        return env

    def _values(self) -> dict:
        return {
            "name": "<script>alert('x') & \"y\"</script>",
            "safe": __import__("markupsafe").Markup("<em>kept</em>"),
            "number": 42,
            "nothing": None,
            "shown": self.Shown(),
            "items": ["<a>", 3, None],
            "words": {"<a>": "<an a>", 3: "three"},
            "empty": iter(()),
        }

    def test_it_writes_what_jinja_writes(self):
        for autoescape in (True, False):
            for name in ("t.html", "c.html"):
                ours = self._env(True, autoescape=autoescape).get_template(name).render(self._values())
                stock = self._env(False, autoescape=autoescape).get_template(name).render(self._values())
                assert ours == stock, (autoescape, name)
        ours = self._env(True).get_template("t.html").render(self._values())
        assert "&lt;script&gt;alert(&#39;x&#39;) &amp; &#34;y&#34;&lt;/script&gt;" in ours
        assert "<script>" not in ours and "<em>kept</em>" in ours and "<i>as it says</i>" in ours
        assert "<i>&lt;an a&gt;</i>&lt;a&gt;!1" in ours and "42:3" in ours

    def test_each_run_between_two_tags_is_one_piece(self):
        """``<p title="{{ name }}">{{ name }}|…</p>`` is one piece, not one for each text and
        value: a page's pieces pass up through every template it extends."""
        ours = list(self._env(True).get_template("c.html").generate(self._values()))
        stock = list(self._env(False).get_template("c.html").generate(self._values()))
        assert "".join(ours) == "".join(stock)
        assert len(ours) < len(stock) / 2, (len(ours), len(stock))

    def test_pages_and_emails_use_it(self):
        """Both template environments write with it (a page's values are escaped by it)."""
        from admit.kit.templating import OutputCodeGenerator, OutputContext, OutputTemplate, escaped_text
        from admit.notifications import render
        from admit.pages.deps import templates

        for env in (templates.env, render._env):
            assert env.template_class is OutputTemplate
            assert env.code_generator_class is OutputCodeGenerator
            assert env.context_class is OutputContext
        page = templates.env.get_template("base.html")
        assert page.root_render_func.__globals__["escape"] is escaped_text


class TestMoments:
    """An email's and a text message's moments, in the portal's time zone (UTC by default)."""

    def test_in_utc_by_default_and_in_the_portals_zone(self):
        from datetime import UTC, datetime

        from admit.kit.text import moment_text, short_moment

        winter = datetime(2026, 12, 6, 9, 5, tzinfo=UTC)
        assert moment_text(winter) == "6 December 2026 at 09:05 UTC"
        assert moment_text(winter, "Europe/Paris") == "6 December 2026 at 10:05 CET"
        assert (
            moment_text(datetime(2026, 7, 6, 9, 5, tzinfo=UTC), "Europe/Paris") == "6 July 2026 at 11:05 CEST"
        )
        assert short_moment(winter.isoformat(), "America/New_York") == "6 Dec 04:05 EST"
        # A zone with no short name is told by its offset; an unknown one falls back to UTC.
        assert moment_text(winter, "Asia/Dubai") == "6 December 2026 at 13:05 UTC+0400"
        assert short_moment(winter, "Nowhere/Atlantis") == "6 Dec 09:05 UTC"
        # Near midnight the day is the day there, not UTC's (the reviewer: Paris had said the
        # 6th at 00:30 on the 7th, New York the 7th at 22:00 on the 6th).
        late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
        assert moment_text(late, "Europe/Paris") == "7 December 2026 at 00:30 CET"
        early = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
        assert moment_text(early, "America/New_York") == "6 December 2026 at 22:00 EST"

    def test_a_day_is_written_without_a_leading_zero(self):
        """The new-user tester: "6 December 2026", never "06 December 2026"; a moment's day is
        its day in the portal's zone."""
        from datetime import UTC, date, datetime

        from admit.kit.text import day_text

        assert day_text(date(2026, 12, 6)) == "6 December 2026"
        late = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
        assert day_text(late) == "5 December 2026"
        assert day_text(late, "Pacific/Auckland") == "6 December 2026"


def test_a_country_is_named_as_a_sentence_says_it():
    """``kit.text.country_name``: a country as it reads in a sentence ("numbers in …"), from the
    tz database's ``iso3166.tab`` where its short name reads as one, else as people say it (it
    said "Britain (UK)", "Korea (South)"); the code alone when it names no country."""
    from admit.kit.text import country_name

    assert country_name("GB") == "the United Kingdom"
    assert country_name("us") == "the United States"
    assert country_name("DE") == "Germany"
    assert country_name("FR") == "France"
    assert country_name("GG") == "Guernsey"
    assert country_name("KR") == "South Korea"
    assert country_name("NL") == "the Netherlands"
    assert country_name("KY") == "the Cayman Islands"
    assert country_name("TT") == "Trinidad and Tobago"
    assert country_name("XX") == "XX"
    import phonenumbers

    from admit.kit.text import _country_names

    if _country_names():  # every country a number can be from has its name
        assert [c for c in phonenumbers.SUPPORTED_REGIONS if country_name(c) == c] == []


def test_a_time_zone_is_said_by_its_place_and_short_name():
    """``kit.text.zone_text``: "Honolulu time (HST)", the short name as it is at the moment given
    (New York's changes with the season); UTC, none or an unknown zone: "UTC"."""
    from datetime import UTC, datetime

    from admit.kit.text import zone_text

    winter, summer = datetime(2026, 1, 15, tzinfo=UTC), datetime(2026, 7, 15, tzinfo=UTC)
    assert zone_text("Pacific/Honolulu", winter) == "Honolulu time (HST)"
    assert zone_text("America/New_York", winter) == "New York time (EST)"
    assert zone_text("America/New_York", summer) == "New York time (EDT)"
    assert [zone_text(z, winter) for z in ("UTC", None, "Mars/Olympus")] == ["UTC"] * 3


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+12025550173", "+12025550173"),  # a phone number as Admit writes it: kept
        ("+1 202-555-0173", "'+1 202-555-0173"),
        ("+1+1", "'+1+1"),
        ("+12025550173)", "'+12025550173)"),
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2", "'-2"),
        ("Ada", "Ada"),
        (None, ""),
    ],
)
def test_a_cell_that_could_run_is_written_as_text(value, cell):
    from admit.kit.sheets import safe_cell

    assert safe_cell(value) == cell


class TestPartedModel:
    """``kit.apart``: a body parsed apart keeps what parses and notes the rest."""

    def _model(self):
        from pydantic import BaseModel

        from admit.kit.apart import PartedModel

        class Inner(BaseModel):
            minutes: int | None = None
            flag: bool | None = None

        class Body(PartedModel):
            count: int | None = None
            name: str | None = None
            inner: Inner | None = None

        return Body

    def test_a_wrong_type_is_left_out_and_noted(self):
        """Each input that cannot be parsed (nested too) is left out, its error kept; the rest stays."""
        body = self._model().model_validate(
            {"count": "x", "name": "n", "inner": {"minutes": "y", "flag": True}}
        )
        assert (body.count, body.name, body.inner.minutes, body.inner.flag) == (None, "n", None, True)
        assert [e["loc"] for e in body.unparsed()] == [("count",), ("inner", "minutes")]

    def test_all_parsed_notes_nothing(self):
        assert self._model().model_validate({"count": 3}).unparsed() == []

    def test_what_leaving_out_cannot_mend_still_refuses(self):
        """A body that is not an object, or a required input missing, is refused as before."""
        from pydantic import ValidationError

        from admit.kit.apart import PartedModel

        class Needs(PartedModel):
            count: int
            name: str | None = None

        for given in ([1], {}, {"name": "n"}):
            with pytest.raises(ValidationError):
                Needs.model_validate(given)

    def test_a_required_input_that_cannot_be_parsed_is_left_out_too(self):
        """A required input sent but not parseable is None, its fault noted, so that the service
        still checks the rest (``{"user_type": "robot", "products": ["nope"]}`` had said only
        the user type); a wrong type elsewhere, or one of the rest missing, still refuses."""
        from pydantic import ValidationError

        from admit.kit.apart import PartedModel

        class Needs(PartedModel):
            count: int
            name: str
            size: int | None = None

        body = Needs.model_validate({"count": "x", "name": "n", "size": "y"})
        assert (body.count, body.name, body.size) == (None, "n", None)
        assert [e["loc"] for e in body.unparsed()] == [("count",), ("size",)]
        assert body.model_fields_set == {"name"}
        with pytest.raises(ValidationError):
            Needs.model_validate({"count": "x"})


@pytest.mark.parametrize(
    ("text", "piece"),
    [
        ("3f2a9c1b", True),  # the first characters of an id
        (" 3F2A9C1B-7d ", True),
        ("12345678", False),  # digits alone: a phone number, badly typed
        ("ada@x.com", False),
        ("not-an-id", False),
        ("3f2a9c1b-7d4e-4c1a-9b2e-0123456789ab", False),  # a whole id
    ],
)
def test_a_piece_of_an_id_is_told_from_an_address(text, piece):
    """``kit.ids.looks_partial``: what a console refuses as "not a whole id"."""
    from admit.kit.ids import looks_partial

    assert looks_partial(text) is piece
