"""Write the address-list fixtures of ``tests/imports/test_parsing.py``.

Run ``python tests/imports/files/make_files.py`` to recreate them; the files are committed, so
tests never depend on this script having run. Each one is what a real tool saves (Excel's "CSV",
"CSV UTF-8" and "Unicode text", Numbers, LibreOffice with ``;``, old Mac exports, a hand-made
.txt), kept small and byte-exact: line endings, BOMs and encodings are the point.
"""

from __future__ import annotations

import codecs
import io
import struct
import zipfile
import zlib
from pathlib import Path

HERE = Path(__file__).parent


def png(width: int = 8, height: int = 8) -> bytes:
    """A white RGB PNG."""
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def bmp(width: int = 16, height: int = 16) -> bytes:
    """A black 24-bit Windows bitmap (mostly NUL bytes, like UTF-16 text at first sight)."""
    pixels = b"\x00" * (width * 3 * height)
    header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


def xlsx() -> bytes:
    """A (minimal) Excel workbook: a zip of XML parts, with fixed timestamps."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
        '"http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/worksheets/sheet1.xml": '<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr">'
        "<is><t>ada@example.com</t></is></c></row></sheetData></worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buffer.getvalue()


def real_xlsx() -> bytes:
    """A real Excel workbook (the parts Excel writes that a reader needs), its first sheet a list:
    a header, text cells (shared strings and inline), and a phone typed as a number."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    pkg = "http://schemas.openxmlformats.org/package/2006"
    doc = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{pkg}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>",
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{pkg}/relationships">'
        f'<Relationship Id="rId1" Type="{doc}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}><sheets>'
        '<sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships '
        f'xmlns="{pkg}/relationships"><Relationship Id="rId1" Type="{doc}/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{doc}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'.replace("{doc}", doc),
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="4" uniqueCount="4">'
        "<si><t>Email</t></si><si><t>Name</t></si><si><t>Phone</t></si>"
        "<si><t>Zoë Ångström</t></si></sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>zoe@example.com</t></is></c>'
        '<c r="B2" t="s"><v>3</v></c></row>'
        '<row r="3"><c r="B3" t="inlineStr"><is><t>Ada</t></is></c><c r="C3"><v>12025550143</v></c></row>'
        '<row r="5"><c r="A5" t="inlineStr"><is><t>grace@example.com</t></is></c></row>'
        "</sheetData></worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buffer.getvalue()


def lines(rows: list[str], end: str) -> str:
    return "".join(row + end for row in rows)


FILES: dict[str, bytes] = {
    # Excel "CSV (Comma delimited)": header with spaces, CRLF, ASCII.
    "excel_crlf.csv": lines(
        [
            "Email Address,First Name,Last Name",
            "ada@example.com,Ada,Lovelace",
            "Grace.Hopper@Example.COM,Grace,Hopper",
            "alan@example.org,Alan,",
        ],
        "\r\n",
    ).encode("ascii"),
    # LibreOffice/European Excel: ';' separator, quoted fields holding the separator and quotes.
    "semicolon_quoted.csv": lines(
        [
            "email;name",
            '"ada@example.com";"Lovelace; Ada"',
            'grace@example.com;"Hopper, Grace ""Amazing"""',
            '"alan@example.org";Alan Turing',
        ],
        "\r\n",
    ).encode("utf-8"),
    # Excel "CSV UTF-8": a BOM, non-ASCII names.
    "utf8_bom.csv": codecs.BOM_UTF8
    + lines(["email,name", "zoe@example.com,Zoë Ångström", "jose@example.es,José Núñez"], "\r\n").encode(
        "utf-8"
    ),
    # Excel "Unicode text": UTF-16 LE with BOM, tab-separated, CRLF.
    "excel_unicode.txt": codecs.BOM_UTF16_LE
    + lines(
        [
            "Email\tName\tRole",
            "ada@example.com\tAda Lovelace\tadmin",
            "björn@exämple.com\tBjörn Borg\tmember",
        ],
        "\r\n",
    ).encode("utf-16-le"),
    # UTF-16 without a BOM (some exporters), little- and big-endian, no header.
    "utf16le_nobom.csv": lines(["ada@example.com,Ada", "grace@example.com,Grace"], "\n").encode("utf-16-le"),
    "utf16be_nobom.csv": lines(["ada@example.com,Ada", "grace@example.com,Grace"], "\n").encode("utf-16-be"),
    # Classic Mac OS (Excel 2011 "CSV (Macintosh)"): bare CR line endings.
    "old_mac.csv": lines(["Email,Name", "ada@example.com,Ada", "grace@example.com,Grace"], "\r").encode(
        "ascii"
    ),
    # A plain list of "Name <address>" lines, as copied from a mail client.
    "name_angle.txt": lines(
        [
            "Ada Lovelace <ada@example.com>",
            '"Hopper, Grace" <grace@example.com>',
            "<alan@example.org>",
        ],
        "\n",
    ).encode("utf-8"),
    # Blank lines (also whitespace-only ones) and trailing separators left by a spreadsheet.
    "blanks_trailing.csv": lines(
        [
            "email,name,,",
            "ada@example.com,Ada,,",
            "",
            "   ",
            "grace@example.com,,,",
            ",,,",
            "alan@example.org,Alan",
        ],
        "\n",
    ).encode("utf-8"),
    # Header spelled "E-mail", lower-case "name", name first.
    "e_mail_header.csv": lines(
        ["name,E-mail", "Ada Lovelace,ada@example.com", "Grace Hopper,grace@example.com"], "\n"
    ).encode("utf-8"),
    # "first name" + "last name" columns (HR exports), email last.
    "first_last.csv": lines(
        ["first name,last name,email", "Ada,Lovelace,ada@example.com", ",Hopper,grace@example.com"], "\n"
    ).encode("utf-8"),
    # A role column, mixed case.
    "role_column.csv": lines(
        [
            "email,role",
            "ada@example.com,Admin",
            "grace@example.com,member",
            "alan@example.org,",
            "olive@example.com,OWNER",
        ],
        "\n",
    ).encode("utf-8"),
    # Phones only: no email column at all.
    "phone_only.csv": lines(["name,phone", "Ada,+44 20 7946 0018", "Grace,+1 202 555 0143"], "\n").encode(
        "utf-8"
    ),
    # One address per line, no header, a trailing space and no final newline.
    "plain_list.txt": b"ada@example.com\ngrace@example.com \nnot-an-address\nalan@example.org",
    # Not text: what people pick by mistake (images), and a zip that is no workbook.
    "photo.png": png(),
    "black.bmp": bmp(),
    "broken.xlsx": xlsx(),
    # An Excel workbook: its first sheet is read.
    "workbook.xlsx": real_xlsx(),
    # Latin-1 (Windows "ANSI" CSV): é is one byte, not UTF-8.
    "latin1.csv": lines(["email,name", "rene@example.fr,René Lévesque"], "\r\n").encode("latin-1"),
    # Excel's default "CSV (Comma delimited)" on Windows: Windows-1252, curly quotes and €.
    "excel_windows1252.csv": lines(
        [
            "Email,Name,Note",
            "rene@example.fr,René Lévesque,“VIP” – 5 €",
            "zoe@example.com,Zoë Ångström,Müller’s team",
            "francoise@example.fr,Françoise Sagan,déjà vu",
        ],
        "\r\n",
    ).encode("cp1252"),
    # Excel 2011 for Mac "CSV (Macintosh)": Mac Roman, bare CR line endings.
    "excel_mac_roman.csv": lines(
        [
            "Email,Name",
            "rene@example.fr,René Lévesque",
            "zoe@example.com,Zoë Ångström",
            "francoise@example.fr,Françoise Müller",
            "jose@example.es,José Núñez",
        ],
        "\r",
    ).encode("mac_roman"),
    # Tab-separated values (.tsv), the commonest export after CSV.
    "people.tsv": lines(
        ["email\tname", "ada@example.com\tAda Lovelace", "grace@example.com\tGrace Hopper"], "\n"
    ).encode("utf-8"),
    # Empty and header-only files: nothing to invite.
    "empty.csv": b"",
    "header_only.csv": b"Email,Name\r\n",
}


def main() -> None:
    for name, data in FILES.items():
        (HERE / name).write_bytes(data)
        print(f"{name:24} {len(data):5} bytes")


if __name__ == "__main__":
    main()
