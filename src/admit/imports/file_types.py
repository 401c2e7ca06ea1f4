"""The kinds of file a list may come in (``imports.parsing`` reads them), apart from the reader so
that what names them (the CLI's help, the upload's hint) loads nothing heavy."""

from __future__ import annotations

__all__ = ["FILE_TYPES", "FILE_TYPES_IN_WORDS"]

FILE_TYPES = (".csv", ".txt", ".tsv", ".xlsx")
FILE_TYPES_IN_WORDS = f"{', '.join(FILE_TYPES[:-1])} or {FILE_TYPES[-1]}"
