"""Reading a sheet of prompts (an uploaded CSV or rows pasted from a spreadsheet) into
rows of text, before any rule of a video is applied (that is `rows.check`).

What a sheet may be, and why:
- At most `MAX_BYTES` and `MAX_ROWS` rows: a batch is a plan a person reads and prices
  on one page, and a bigger file would be a mistake (or a whole export) rather than a plan.
- UTF-8 (with or without the byte-order mark Excel writes), UTF-16 with its byte-order
  mark (Excel's "Unicode text"), else Windows-1252 (Excel's plain "CSV" on Windows), and
  the page says which one was read, so that wrong accents are noticed before paying.
- A header row naming the columns, case-insensitively: `prompt` (required), `model`,
  `size`, `seconds`, `takes`, `title`. Other columns are ignored and named as ignored.
- Commas, semicolons (a European Excel) or tabs (rows copied from a spreadsheet), as the
  header row uses them.
"""

import csv
import io
from dataclasses import dataclass, field

MAX_BYTES = 256 * 1024
MAX_ROWS = 200
COLUMNS = ("prompt", "model", "size", "seconds", "takes", "title")

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class SheetError(Exception):
    """The sheet as a whole cannot be read: the sentence says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class SheetRow:
    line: int  # where the row starts in the file, counting the header as line 1
    values: dict[str, str]
    extra_cells: int = 0  # cells past the named columns
    extra_filled: bool = False  # and some of them hold something


@dataclass
class Sheet:
    encoding: str
    rows: list[SheetRow]
    ignored_columns: list[str] = field(default_factory=list)


def human_size(size: int) -> str:
    return f"{size // 1024} KB" if size >= 1024 else f"{size} bytes"


def check_size(size: int) -> None:
    if size > MAX_BYTES:
        raise SheetError(
            f"This file is {human_size(size)}; a sheet may be up to "
            f"{human_size(MAX_BYTES)} ({MAX_ROWS} rows). Split it into smaller sheets."
        )


def read_bytes(data: bytes) -> Sheet:
    """A CSV file's bytes as rows, or SheetError."""
    check_size(len(data))
    text, encoding = decode(data)
    return read_text(text, encoding)


def decode(data: bytes) -> tuple[str, str]:
    if data.startswith(UTF8_BOM):
        return _decoded(data[len(UTF8_BOM) :], "utf-8", "UTF-8 (with a byte-order mark)")
    if data.startswith(UTF16_BOMS):
        return _decoded(data, "utf-16", "UTF-16")
    if b"\x00" in data:
        raise SheetError(
            "This file looks like UTF-16 without its byte-order mark, which cannot be read "
            "safely. Please save the sheet as “CSV UTF-8” and upload it again."
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return _decoded(data, "cp1252", "Windows-1252 (it was not UTF-8)")


def _decoded(data: bytes, codec: str, name: str) -> tuple[str, str]:
    try:
        return data.decode(codec), name
    except UnicodeDecodeError as error:
        raise SheetError(
            f"This file could not be read as {name.split(' (')[0]} (a byte at position "
            f"{error.start} makes no letter). Please save the sheet as “CSV UTF-8” and "
            "upload it again."
        ) from None


def read_text(text: str, encoding: str = "as pasted") -> Sheet:
    """Rows of text (a decoded file, or rows pasted into the page), or SheetError."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise SheetError(
            f"These rows come to more than {human_size(MAX_BYTES)}; a sheet may be up to "
            f"{human_size(MAX_BYTES)} ({MAX_ROWS} rows). Split them into smaller sheets."
        )
    text = text.lstrip("\ufeff")  # a byte-order mark pasted along, or left by a decoder
    if not text.strip():
        raise SheetError("The sheet is empty. Its first row names the columns, like: prompt,title")
    first_line = text.splitlines()[0]
    delimiter = "\t" if "\t" in first_line else max(",;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        names = [cell.strip().lower() for cell in header]
        _check_header(names)
        rows, line = [], reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_row(line, names, cells))
                if len(rows) > MAX_ROWS:
                    raise SheetError(
                        f"This sheet has more than {MAX_ROWS} rows; a batch takes up to "
                        f"{MAX_ROWS}. Split it into smaller sheets."
                    )
            line = reader.line_num + 1
    except csv.Error as error:
        raise SheetError(
            f"Line {reader.line_num} could not be read ({error}). A cell holding a comma, a "
            "quote or a line break needs double quotes around it."
        ) from None
    if not rows:
        raise SheetError("The sheet has a header row but no rows of prompts under it.")
    ignored = [name for name in names if name and name not in COLUMNS]
    return Sheet(encoding=encoding, rows=rows, ignored_columns=ignored)


def _check_header(names: list[str]) -> None:
    if "prompt" not in names:
        found = ", ".join(f"“{name}”" for name in names if name) or "nothing"
        raise SheetError(
            "The first row must name the columns, one of them “prompt” (and, if you like, "
            f"model, size, seconds, takes, title). The first row has {found}."
        )
    twice = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if twice:
        raise SheetError(
            f"The header names the column “{twice[0]}” twice. Please keep one of them."
        )


def _row(line: int, names: list[str], cells: list[str]) -> SheetRow:
    values = {name: "" for name in COLUMNS}
    for name, cell in zip(names, cells, strict=False):
        if name in COLUMNS:
            values[name] = cell.strip()
    extra = cells[len(names) :]
    return SheetRow(
        line=line, values=values, extra_cells=len(extra), extra_filled=any(c.strip() for c in extra)
    )
