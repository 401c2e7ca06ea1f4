"""kit.mime writes emails by hand: what the standard library's parser reads back must be what
was given (headers decoded, both parts, UTF-8), and no value can add a header."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.header import decode_header, make_header

from admit.kit import mime


def _parsed(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def _message(
    subject: str, text: str = "Hello\nsecond line", html: str = "<p>Hello</p>", **extra: str
) -> bytes:
    headers = [
        mime.header("From", '"Acme, Inc." <noreply@acme.example>'),
        mime.header("To", "ada@client.org"),
        mime.header("Subject", subject),
        *(mime.header(name, value) for name, value in extra.items()),
    ]
    return mime.compose(headers, text, html)


def test_headers_and_both_parts_read_back():
    raw = _message(
        "You're invited to Acme", text="Hi Ada,\nJoin: https://x.example/invite/abc", html="<p>Hi</p>"
    )
    msg = _parsed(raw)
    assert msg["Subject"] == "You're invited to Acme" and msg["To"] == "ada@client.org"
    assert msg["From"].addresses[0].display_name == "Acme, Inc."
    assert msg.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in msg.iter_parts())
    assert text == "Hi Ada,\nJoin: https://x.example/invite/abc" and html == "<p>Hi</p>"
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # CRLF line ends only


def test_words_that_are_not_ascii_are_encoded_and_read_back():
    subject = "Zoë Ünal invited you to Société Générale — " + "ü" * 80
    raw = _message(subject, text="Grüße 👋", html="<p>日本語</p>")
    assert raw.isascii()  # headers as encoded words, bodies in base64
    msg = _parsed(raw)
    assert msg["Subject"] == subject
    text, html = (part.get_content() for part in msg.iter_parts())
    assert text == "Grüße 👋" and html == "<p>日本語</p>"
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))


def test_a_line_break_in_a_value_cannot_add_a_header():
    raw = _message("Hello\r\nBcc: everyone@example.com\nX-Evil: 1")
    msg = _parsed(raw)
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert msg["Subject"] == "Hello Bcc: everyone@example.com X-Evil: 1"


def test_long_ascii_values_are_folded_and_unfold_to_the_same():
    subject = " ".join(f"word{i}" for i in range(60))
    raw = _message(subject, List_Unsubscribe="<https://acme.example/u/" + "t" * 60 + ">")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert max(len(line) for line in raw.split(b"\r\n")[:6]) <= 78
    assert _parsed(raw)["Subject"] == subject


def test_utf8_headers_stay_as_they_are_for_smtputf8():
    line = mime.header("To", "zoë@exämple.com", raw_utf8=True)
    assert line == "To: zoë@exämple.com"


def test_a_long_name_that_is_not_ascii_stays_within_encoded_words():
    name = "Société Générale des Établissements Müller & Söhne — Équipe Recrutement"
    raw = mime.compose(
        [mime.header("From", mime.address(name, "noreply@acme.example")), mime.header("To", "a@b.example")],
        "x",
        "<p>x</p>",
    )
    assert all(len(line) <= 76 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))
    # Read as RFC 2047 says (white space between encoded words is not text; the modern parser
    # keeps it inside an address, for the standard library's own encoder's words too).
    written = message_from_bytes(raw)["From"]
    shown, _, addr = written.rpartition(" <")
    assert str(make_header(decode_header(shown))) == name and addr == "noreply@acme.example>"
    assert mime.address("Acme, Inc.", "a@b.example") == '"Acme, Inc." <a@b.example>'
