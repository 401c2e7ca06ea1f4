"""What ``ADMIT_ENCRYPTION_KEY`` seals, as the README's settings table says it: every module that
seals a secret (``kit.secretbox.seal``) is named here with the kind of secret it seals, and the
README's row names that kind. A new caller fails this test until it is added here and the row
says what breaks when the key changes (no database)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "admit"

# The module that seals, and the words the README's row names its kind by.
SEALED = {
    "auth/second_factor.py": "authenticator app secrets",
    "directory/hr/service.py": "HR system keys",
    "webhooks/service.py": "webhook signing secrets",
    "notifications/sealed.py": "messages waiting to be sent",
}
# What seals: one value (``seal``) or a batch (``seal_many``, the outbox's), under the key the
# settings name (``seal_with``, ``seal_many_with``: what the services call).
SEALERS = ("seal", "seal_many", "seal_with", "seal_many_with")


def _row(setting: str) -> str:
    rows = [
        line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(f"| `{setting}` |")
    ]
    assert len(rows) == 1, rows
    return rows[0]


def _seals(source: str) -> bool:
    """Whether a module's code reaches ``kit.secretbox.seal``: imports it by name (``from
    admit.kit.secretbox import seal``, under any alias), or imports the module (``from admit.kit
    import secretbox``, ``import admit.kit.secretbox``) and reads its ``seal``."""
    tree = ast.parse(source)
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "admit.kit.secretbox":
            if any(alias.name in (*SEALERS, "*") for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and node.module == "admit.kit":
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "secretbox"}
        elif isinstance(node, ast.Import):
            modules |= {
                alias.asname or alias.name for alias in node.names if alias.name == "admit.kit.secretbox"
            }
    return any(
        isinstance(node, ast.Attribute) and node.attr in SEALERS and ast.unparse(node.value) in modules
        for node in ast.walk(tree)
    )


def test_every_module_that_seals_is_known():
    """The modules that reach ``secretbox.seal`` (``_seals``: however they import it) are those
    listed, no more, no fewer."""
    sealing = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "secretbox.py" and _seals(path.read_text())
    }
    assert sealing == set(SEALED)


def test_the_readme_names_every_kind_and_warns_beside_the_secret_key():
    """The ADMIT_ENCRYPTION_KEY row names each kind; the ADMIT_SECRET_KEY row says the
    encryption key is derived from it while unset."""
    row = _row("ADMIT_ENCRYPTION_KEY")
    assert [kind for kind in SEALED.values() if kind not in row] == []
    assert "ADMIT_ENCRYPTION_KEY` is not set, the encryption key is derived from it" in _row(
        "ADMIT_SECRET_KEY"
    )
