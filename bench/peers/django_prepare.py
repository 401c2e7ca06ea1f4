"""Set-up for bench/load.py's django-invitations target (not timed), run with the peer's own
Python in its folder (benchsite, benchapp) on PEER_DB_PATH; gunicorn then serves the same file.

    PEER_DB_PATH=… .venv/bin/python django_prepare.py N

As the peer's bench.py does it: the schema, an admin and an organization, N invitations made
and sent with the library's own API (``Invitation.create`` + ``send_invitation``), N invitees
with an account and a signed-in session. Prints one JSON line per invitee: [session key, the
accept link's path from the rendered email].
"""

import json
import os
import re
import sys
from importlib import import_module

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model, login  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from invitations.utils import get_invitation_model  # noqa: E402
from organizations.models import Organization  # noqa: E402

setup_test_environment()  # the locmem mail backend: mail.outbox holds what was sent
N = int(sys.argv[1])
User = get_user_model()
Invitation = get_invitation_model()
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
LINK = re.compile(r"https?://[^/\s]+(/\S*accept-invite/\w+/?)")


def signed_in(email: str, password: str) -> str:
    user = User.objects.create_user(username=email, email=email, password=password)
    request = HttpRequest()
    request.session = SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.save()
    return request.session.session_key


call_command("migrate", verbosity=0, interactive=False)
signed_in("admin@bench.example", "pw-admin-123456")
admin = User.objects.get(username="admin@bench.example")
Organization.objects.create(name="Bench Org", slug="bench-org").add_user(admin, is_admin=True)
request = RequestFactory().get("/invitations/send-invite/")
request.user = admin
emails = [f"invitee{i}@bench.example" for i in range(N)]
for email in emails:
    Invitation.create(email, inviter=admin).send_invitation(request)
links = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}
print("\n".join(json.dumps([signed_in(e, f"pw-{i}-123456"), links[e]]) for i, e in enumerate(emails)))
