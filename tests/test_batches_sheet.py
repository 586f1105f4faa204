"""Reading a sheet of prompts: its encodings (and which one the page names), its limits on
size and rows, its header and columns, cells that look like formulas, and each row checked
by the New video form's own rules, with its line and reason."""

import pytest

from batches import rows
from batches.sheet import MAX_BYTES, MAX_ROWS, SheetError, read_bytes, read_text
from tests.helpers import make_user

HEADER = "prompt,model,size,seconds,takes,title\n"


def test_plain_utf8_is_read_and_named():
    sheet = read_bytes("prompt,title\nA crème brûlée on a plate,Dessert\n".encode())
    assert sheet.encoding == "UTF-8"
    assert sheet.rows[0].values["prompt"] == "A crème brûlée on a plate"
    assert sheet.rows[0].values["title"] == "Dessert"
    assert sheet.rows[0].line == 2


def test_utf8_with_excel_s_byte_order_mark_keeps_the_first_column_name():
    sheet = read_bytes(b"\xef\xbb\xbf" + "Prompt\nCafé at dawn\n".encode())
    assert sheet.encoding == "UTF-8 (with a byte-order mark)"
    assert sheet.rows[0].values["prompt"] == "Café at dawn"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_its_byte_order_mark_is_read(codec):
    data = "prompt\tseconds\r\nNaïve kite over the sea\t8\r\n".encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    sheet = read_bytes(data)
    assert sheet.encoding == "UTF-16"
    assert sheet.rows[0].values == {**sheet.rows[0].values, "prompt": "Naïve kite over the sea"}
    assert sheet.rows[0].values["seconds"] == "8"


def test_utf16_without_a_byte_order_mark_is_refused_with_what_to_do():
    with pytest.raises(SheetError, match="UTF-16 without its byte-order mark.*CSV UTF-8"):
        read_bytes("prompt\nA kite\n".encode("utf-16-le"))


def test_windows_1252_is_the_fallback_and_the_page_says_so():
    sheet = read_bytes("prompt\nCafé “noir” at dusk\n".encode("cp1252"))
    assert sheet.encoding == "Windows-1252 (it was not UTF-8)"
    assert sheet.rows[0].values["prompt"] == "Café “noir” at dusk"


def test_bytes_that_are_no_encoding_we_read_are_refused():
    with pytest.raises(SheetError, match="could not be read as Windows-1252"):
        read_bytes(b"prompt\nA kite \x81\x8d\n")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read():
    data = HEADER.encode() + b"x" * MAX_BYTES
    with pytest.raises(SheetError, match="up to 256 KB"):
        read_bytes(data)


def test_pasted_rows_over_the_size_limit_are_refused():
    with pytest.raises(SheetError, match="more than 256 KB"):
        read_text("prompt\n" + "é" * (MAX_BYTES // 2 + 1))


def test_up_to_the_row_limit_is_read_and_one_more_is_refused():
    assert len(read_text(HEADER + "A kite\n" * MAX_ROWS).rows) == MAX_ROWS
    with pytest.raises(SheetError, match=f"more than {MAX_ROWS} rows"):
        read_text(HEADER + "A kite\n" * (MAX_ROWS + 1))


def test_blank_rows_are_skipped_and_lines_count_the_file_s_lines():
    sheet = read_text('prompt,title\n\n,\n"A kite,\nin two lines",Kite\nA boat,Boat\n')
    assert [(row.line, row.values["title"]) for row in sheet.rows] == [(4, "Kite"), (6, "Boat")]
    assert sheet.rows[0].values["prompt"] == "A kite,\nin two lines"


def test_column_names_are_case_insensitive_in_any_order_and_others_are_named_ignored():
    sheet = read_text(" Title ;PROMPT;Notes\nSpot;A kite;for Claire\n")
    assert sheet.rows[0].values["prompt"] == "A kite"
    assert sheet.rows[0].values["title"] == "Spot"
    assert sheet.ignored_columns == ["notes"]


def test_rows_pasted_from_a_spreadsheet_are_tab_separated():
    sheet = read_text("prompt\ttakes\nA kite, at dusk\t2\n")
    assert sheet.rows[0].values["prompt"] == "A kite, at dusk"
    assert sheet.rows[0].values["takes"] == "2"


def test_a_sheet_without_a_prompt_column_is_refused_naming_what_it_has():
    with pytest.raises(SheetError, match="one of them “prompt”.*“text”, “length”"):
        read_text("text,length\nA kite,8\n")


def test_a_column_named_twice_is_refused():
    with pytest.raises(SheetError, match="“prompt” twice"):
        read_text("prompt,prompt\na,b\n")


def test_empty_and_header_only_sheets_are_refused():
    with pytest.raises(SheetError, match="empty"):
        read_text("  \n")
    with pytest.raises(SheetError, match="no rows"):
        read_text("prompt,title\n")


def test_extra_cells_from_an_unquoted_comma_are_counted():
    sheet = read_text("prompt,title\nA kite, at dusk,Kite\nA boat,Boat,\n")
    assert (sheet.rows[0].extra_cells, sheet.rows[0].extra_filled) == (1, True)
    assert (sheet.rows[1].extra_cells, sheet.rows[1].extra_filled) == (1, False)


# --- each row through the New video form's rules ------------------------------------------


@pytest.fixture
def alice(db):
    return make_user("alice")


def test_empty_cells_take_the_new_video_form_s_defaults(alice):
    checked = rows.check({"prompt": "A kite"}, alice)
    assert checked.ok
    assert checked.data == {
        "prompt": "A kite",
        "model": "veo3.1-fast",
        "size": "1280x720",
        "seconds": 4,
        "takes": 1,
        "title": "",
    }


def test_friendly_spellings_are_made_exact_and_1080p_defaults_to_8_seconds(alice):
    checked = rows.check(
        {"prompt": "A kite", "model": "Veo 3.1", "size": "1080P", "takes": "2"}, alice
    )
    assert checked.ok, checked.reason
    assert (checked.values["model"], checked.values["size"], checked.values["seconds"]) == (
        "veo3.1",
        "1920x1080",
        "8",
    )
    assert rows.check({"prompt": "A kite", "size": "720p portrait", "seconds": "6 s"}, alice).ok


def test_an_unknown_model_is_named_with_the_ones_we_can_make(alice):
    checked = rows.check({"prompt": "A kite", "model": "veo9"}, alice)
    assert checked.reason == "Model “veo9” is not one we can make: use veo3.1-fast, veo3.1."


def test_the_form_s_own_rules_apply_row_by_row(alice):
    assert (
        "only available as an 8-second clip"
        in rows.check({"prompt": "A kite", "size": "4k", "seconds": "4"}, alice).reason
    )
    assert "under 2000 characters" in rows.check({"prompt": "k" * 2001}, alice).reason
    assert "describe the video" in rows.check({"prompt": "  "}, alice).reason
    assert "Takes “9”" in rows.check({"prompt": "A kite", "takes": "9"}, alice).reason
    assert "control characters" in rows.check({"prompt": "A\x07kite"}, alice).reason
    assert (
        "title has 121 characters" in rows.check({"prompt": "A", "title": "t" * 121}, alice).reason
    )


@pytest.mark.parametrize("sign", ["=", "+", "-", "@"])
def test_a_cell_that_starts_like_a_formula_is_refused_with_why(alice, sign):
    checked = rows.check({"prompt": f'{sign}HYPERLINK("x")'}, alice)
    assert not checked.ok
    assert f"the prompt starts with “{sign}”" in checked.reason.lower()
    assert "spreadsheet formula" in checked.reason
    assert "title starts with “=”" in rows.check({"prompt": "A", "title": "=A2"}, alice).reason
