"""Every CSV the studio hands out goes through here, so every cell is only data.

A spreadsheet runs a cell that starts with = + - @ (and, in some, a tab or carriage return)
as a formula: a user name typed at the login form by a stranger would otherwise reach an
admin's spreadsheet as `=HYPERLINK(...)`. Following OWASP's advice, such text gets a leading
single quote, which spreadsheets show as plain text. Numbers stay numbers: `-0.32` is an
amount, not a formula.

It lives in `lib/`, below every app: the reports and any app may export, and none should
import another (or the project package) for it.
"""

import csv
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str | int | float | Decimal:
    """One value as a safe CSV cell: numbers as they are, everything else as guarded text."""
    if value is None:
        return ""
    if isinstance(value, bool):  # a bool is an int to Python, a word to a reader
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable[object]]
) -> HttpResponse:
    """A CSV download: a header row, then every row with each cell passed through `cell`."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    writer = csv.writer(response)
    writer.writerow([cell(name) for name in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return response
