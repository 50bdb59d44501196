"""Hostile and broken upload files, generated in code (no binary fixtures in the repo).

Each function returns the bytes of one file. `HOSTILE` maps a name to (generator, expected
Bestandsfout code) for the parametrised tests in test_reader.py.
"""
from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

from openpyxl.utils import get_column_letter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{wb_type}"/>'
    '{sheet_overrides}'
    '</Types>'
)
WB_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
WB_TYPE_MACRO = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>'
)


def sheet_xml(rows_xml: str, tail: str = "", ns: str = MAIN_NS, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
            f'<worksheet xmlns="{ns}" xmlns:r="{REL_NS}"><sheetData>{rows_xml}</sheetData>{tail}</worksheet>')


def cell(ref: str, value) -> str:
    """One cell: str → inline string, number → number, ('e', '#N/A') → error, ('f', 'A1+1') → formula without value."""
    if isinstance(value, tuple) and value[0] == "e":
        return f'<c r="{ref}" t="e"><v>{value[1]}</v></c>'
    if isinstance(value, tuple) and value[0] == "f":
        return f'<c r="{ref}"><f>{value[1]}</f></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def rows(grid: dict[int, dict[str, object]], hidden: set[int] = frozenset()) -> str:
    """{row number: {column letter: value}} → the sheetData XML."""
    out = []
    for r in sorted(grid):
        attrs = f' r="{r}"' + (' hidden="1"' if r in hidden else "")
        cells = "".join(cell(f"{col}{r}", v) for col, v in grid[r].items())
        out.append(f"<row{attrs}>{cells}</row>")
    return "".join(out)


def xlsx(sheets: dict[str, str] | None = None, *, workbook_pr: str = "", defined_names: str = "",
         wb_type: str = WB_TYPE, extra: dict[str, bytes] | None = None, ns: str = MAIN_NS,
         rel_ns: str = REL_NS) -> bytes:
    """A minimal, valid .xlsx written by hand, so each test can bend one part of it."""
    if sheets is None:
        sheets = {"Leerlingen": sheet_xml(rows({1: {"A": "Leerlingnummer"}, 2: {"A": "123"}}))}
    sheet_entries, rels, overrides = [], [], []
    members: dict[str, bytes] = {}
    for i, (naam, xml) in enumerate(sheets.items(), start=1):
        sheet_entries.append(f'<sheet name="{naam}" sheetId="{i}" r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>')
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>')
        members[f"xl/worksheets/sheet{i}.xml"] = xml.encode("utf-8")
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<workbook xmlns="{ns}" xmlns:r="{rel_ns}">{workbook_pr}'
                f'<sheets>{"".join(sheet_entries)}</sheets>'
                + (f"<definedNames>{defined_names}</definedNames>" if defined_names else "")
                + "</workbook>")
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               + "".join(rels) + "</Relationships>")
    ct = CONTENT_TYPES.format(wb_type=wb_type, sheet_overrides="".join(overrides))
    files = {"[Content_Types].xml": ct.encode(), "_rels/.rels": ROOT_RELS.encode(),
             "xl/workbook.xml": workbook.encode(), "xl/_rels/workbook.xml.rels": wb_rels.encode(), **members}
    files.update(extra or {})
    return zip_bytes(files)


def zip_bytes(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


# --- XML attacks -----------------------------------------------------------

def billion_laughs() -> bytes:
    dtd = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)) + "]>"
    return xlsx({"Leerlingen": sheet_xml(rows({1: {"A": "&lol9;"}}), prolog=dtd)})


def xxe(path: str = "/etc/passwd") -> bytes:
    dtd = f'<!DOCTYPE x [<!ENTITY geheim SYSTEM "file://{path}">]>'
    return xlsx({"Leerlingen": sheet_xml(rows({1: {"A": "&geheim;"}}), prolog=dtd)})


def quadratic_blowup() -> bytes:
    dtd = '<!DOCTYPE x [<!ENTITY a "' + "A" * 50_000 + '">]>'
    return xlsx({"Leerlingen": sheet_xml(rows({1: {"A": "&a;" * 20_000}}), prolog=dtd)})


def doctype_in_shared_strings() -> bytes:
    sst = ('<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "x">]>'
           f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>&a;</t></si></sst>')
    return xlsx(extra={"xl/sharedStrings.xml": sst.encode()})


# --- zip attacks -----------------------------------------------------------

def zip_bomb(megabytes: int = 60) -> bytes:
    """One member of `megabytes` MB of zeros (ratio ~1000:1), streamed so the generator stays small."""
    buf = io.BytesIO()
    base = xlsx()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            zf.writestr(info.filename, src.read(info.filename))
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
    return buf.getvalue()


def lying_sizes(real_size: int = 30 * 1024 * 1024, declared: int = 1000) -> bytes:
    """A member whose directory says `declared` bytes while its stream inflates to `real_size`.
    The CRC is forged to match the first `declared` bytes, so a reader that merely stops at the
    declared size and checks the CRC is fooled; a reader that trusts the directory is bombed."""
    payload_head = b"<" + b"a" * (declared - 1)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [comp.compress(payload_head)]
    chunk = b"a" * (1024 * 1024)
    for _ in range(real_size // len(chunk)):
        parts.append(comp.compress(chunk))
    parts.append(comp.flush())
    stream = b"".join(parts)
    crc = zlib.crc32(payload_head)
    name = b"xl/sharedStrings.xml"
    base = xlsx()
    # Append one hand-made member to the valid workbook: local header + data + central entry.
    with zipfile.ZipFile(io.BytesIO(base)) as src:
        files = {i.filename: src.read(i.filename) for i in src.infolist()}
    buf = io.BytesIO()
    centrals = []
    for fname, content in list(files.items()) + [(name.decode(), None)]:
        offset = buf.tell()
        if content is None:
            data, size, c = stream, declared, crc
        else:
            co = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = co.compress(content) + co.flush()
            size, c = len(content), zlib.crc32(content)
        fn = fname.encode()
        buf.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, c, len(data), size, len(fn), 0))
        buf.write(fn)
        buf.write(data)
        centrals.append(struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, c, len(data), size,
                                    len(fn), 0, 0, 0, 0, 0, offset) + fn)
    cd_start = buf.tell()
    for ce in centrals:
        buf.write(ce)
    cd_size = buf.tell() - cd_start
    buf.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(centrals), len(centrals), cd_size, cd_start, 0))
    return buf.getvalue()


def many_members(n: int = 1500) -> bytes:
    extra = {f"xl/media/img{i}.bin": b"" for i in range(n)}
    return xlsx(extra=extra)


def duplicate_members() -> bytes:
    buf = io.BytesIO(xlsx())
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buf, "a") as zf:
            zf.writestr("xl/workbook.xml", b"<workbook/>")
    return buf.getvalue()


def encrypted_member() -> bytes:
    """A zip whose member has the 'encrypted' flag (bit 0) set in both headers."""
    data = bytearray(xlsx())
    # The general-purpose flags: offset 6 in a local header, 8 in a central directory entry.
    for kop, plek in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(kop)
        while i >= 0:
            data[i + plek] |= 1
            i = data.find(kop, i + 4)
    return bytes(data)


# --- sheet-shape attacks ---------------------------------------------------

def far_cell() -> bytes:
    """One title in A1 and one cell at XFD1048576 (the last cell Excel has)."""
    xml = sheet_xml(rows({1: {"A": "Leerlingnummer"}, 1048576: {"XFD": "x"}}))
    return xlsx({"Leerlingen": xml})


def far_cell_in_first_row() -> bytes:
    """A row r="1" holding a cell that claims to be A1048576: the cell reference decides."""
    xml = sheet_xml('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>'
                    '<c r="A1048576" t="inlineStr"><is><t>y</t></is></c></row>')
    return xlsx({"Leerlingen": xml})


def cells_without_ref(n: int = 20_000) -> bytes:
    """A row of cells without r attributes: each takes the next column."""
    xml = sheet_xml('<row r="1">' + '<c t="inlineStr"><is><t>x</t></is></c>' * n + "</row>")
    return xlsx({"Leerlingen": xml})


@functools.lru_cache(maxsize=1)
def many_cells(rows: int = 42_000, cols: int = 200) -> bytes:
    """F-2: 17.5 MB, 42,000 rows × 200 numeric cells (8.4 M cells, 224 MB of sheet XML at
    ratio ~13): under the byte limit, it passes every zip check. Written row by row (cached: ~8 s)."""
    letters = [get_column_letter(j + 1) for j in range(cols)]
    base = xlsx({"Leerlingen": sheet_xml("@@ROWS@@")})
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, \
            zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zf.writestr(info.filename, src.read(info.filename))
        kop, staart = src.read("xl/worksheets/sheet1.xml").split(b"@@ROWS@@")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(kop)
            for r in range(1, rows + 1):
                cellen = "".join([f'<c r="{c}{r}"><v>1</v></c>' for j, c in enumerate(letters)])
                member.write(f'<row r="{r}">{cellen}</row>'.encode())
            member.write(staart)
    return buf.getvalue()


# --- other file types ------------------------------------------------------

def macro_workbook() -> bytes:
    """An .xlsm saved under the name .xlsx: macro content type plus a vbaProject.bin."""
    return xlsx(wb_type=WB_TYPE_MACRO, extra={"xl/vbaProject.bin": b"\xcc" * 512})


def vba_member_only() -> bytes:
    return xlsx(extra={"xl/vbaProject.bin": b"\xcc" * 512})


def strict_ooxml() -> bytes:
    ns = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    rel = "http://purl.oclc.org/ooxml/officeDocument/relationships"
    return xlsx({"Leerlingen": sheet_xml(rows({1: {"A": "x"}}), ns=ns)}, ns=ns, rel_ns=rel)


def html_with_workbook() -> bytes:
    return b"<!DOCTYPE html><html><body><p>Download</p></body></html>\n" + xlsx()


def truncated() -> bytes:
    data = xlsx()
    return data[: len(data) // 2]


def empty() -> bytes:
    return b""


def ods() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", b'<?xml version="1.0"?><office:document-content '
                    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
        zf.writestr("META-INF/manifest.xml", b'<?xml version="1.0"?><manifest/>')
    return buf.getvalue()


def docx() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>"})


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal Compound File Binary (OLE2, version 3, 512-byte sectors) holding `streams`.
    Each stream is padded to 4096 bytes so it lives in normal sectors (no mini stream needed)."""
    sector = 512
    end, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    bodies = [s.ljust(4096, b"\0") for s in streams.values()]
    n_data = sum(len(b) // sector for b in bodies)
    fat = [fatsect, end]            # sector 0: FAT, sector 1: directory
    starts = []
    nxt = 2
    for b in bodies:
        count = len(b) // sector
        starts.append(nxt)
        fat.extend(list(range(nxt + 1, nxt + count)) + [end])
        nxt += count
    assert len(fat) <= sector // 4 and n_data + 2 == len(fat)
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child=free, right=free) -> bytes:
        enc = (name + "\0").encode("utf-16-le")
        return (enc.ljust(64, b"\0") + struct.pack("<HBBIII", len(enc), kind, 1, free, right, child)
                + b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", start, size))

    names = list(streams)
    entries = [entry("Root Entry", 5, end, 0, child=1)]
    for i, (naam, start) in enumerate(zip(names, starts), start=1):
        right = i + 1 if i < len(names) else free
        entries.append(entry(naam, 2, start, len(streams[naam]), right=right))
    directory = b"".join(entries).ljust(sector, b"\0")
    assert len(directory) == sector, "at most 3 streams in this tiny writer"
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\0" * 6
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    assert len(header) == sector
    return header + struct.pack(f"<{sector // 4}I", *fat) + directory + b"".join(bodies)


def encrypted_xlsx() -> bytes:
    """What Excel writes for 'Beveiligen met wachtwoord': an OLE2 file with EncryptionInfo + EncryptedPackage."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version=\"1.0\"?><encryption/>"
    return cfb({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 1000) + b"\x5a" * 1000})


def xls() -> bytes:
    """A legacy .xls: an OLE2 file with a Workbook stream (BIFF records, here just a BOF)."""
    return cfb({"Workbook": struct.pack("<HHHH", 0x0809, 8, 0x0600, 0x0010) + b"\0" * 4})


HOSTILE = {
    "billion_laughs": (billion_laughs, "file_unsafe"),
    "xxe": (xxe, "file_unsafe"),
    "quadratic_blowup": (quadratic_blowup, "file_unsafe"),
    "doctype_in_shared_strings": (doctype_in_shared_strings, "file_unsafe"),
    "zip_bomb": (zip_bomb, "file_unsafe"),
    "lying_sizes": (lying_sizes, "file_unsafe"),
    "many_members": (many_members, "file_unsafe"),
    "duplicate_members": (duplicate_members, "file_unsafe"),
    "encrypted_member": (encrypted_member, "file_unsafe"),
    "far_cell": (far_cell, "file_corrupt"),
    "many_cells": (many_cells, "file_too_large"),
    "far_cell_in_first_row": (far_cell_in_first_row, "file_corrupt"),
    "cells_without_ref": (cells_without_ref, "file_corrupt"),
    "macro_workbook": (macro_workbook, "file_macros"),
    "vba_member_only": (vba_member_only, "file_macros"),
    "strict_ooxml": (strict_ooxml, "file_strict_ooxml"),
    "html_with_workbook": (html_with_workbook, "file_type_unsupported"),
    "truncated": (truncated, "file_corrupt"),
    "empty": (empty, "file_empty"),
    "ods": (ods, "file_empty"),  # .ods is read since issue 13: this one has no table
    "docx": (docx, "file_type_unsupported"),
    "pdf": (pdf, "file_type_unsupported"),
    "png": (png, "file_type_unsupported"),
    "encrypted_xlsx": (encrypted_xlsx, "file_encrypted"),
    "xls": (xls, "file_type_xls"),
}
