"""Tests for lib/io.py: bytes in, raw text tables out, and one-line errors for bad input."""

import codecs
import datetime as dt
import decimal
import gzip
import io
import os
import pickle
import tracemalloc
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from lib import io as lib_io
from lib.io import (
    DEFAULT_MAX_BYTES,
    LOAD_FACTOR,
    MAX_COLUMNS,
    MAX_FIRST_LINE,
    MAX_ZIP_MEMBERS,
    Budget,
    LoadError,
    RawTable,
    csv_bytes,
    machine_budget,
    memory_bytes,
    read_file,
    read_path,
    session_budget,
    write_csv_tables,
)
from lib.parse import to_float
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]


def only_table(name: str, data: bytes, **kwargs: object) -> RawTable:
    tables = read_file(name, data, **kwargs)
    assert len(tables) == 1
    return tables[0]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


def load_error(name: str, data: bytes, **kwargs: object) -> LoadError:
    with pytest.raises(LoadError) as caught:
        read_file(name, data, **kwargs)
    return caught.value


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", b"\xef\xbb\xbf"])
def test_empty_or_blank_file_says_it_is_empty(data: bytes) -> None:
    error = load_error("orders.csv", data)
    assert str(error) == "orders.csv: is empty: export it again or pick another file"
    assert error.file == "orders.csv"
    assert error.message == "is empty: export it again or pick another file"


def test_empty_gzip_says_it_is_empty() -> None:
    error = load_error("orders.csv.gz", gzip.compress(b""))
    assert "is empty" in error.message


def test_header_only_file_says_it_has_no_rows() -> None:
    error = load_error("orders.csv", b"order_id,customer_id,amount\r\n")
    assert str(error) == (
        "orders.csv: has column names but no rows: export it again with its rows, or pick "
        "another file"
    )


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"\x07\x00\x13\x00garbage\x00\x01\x02" * 20, "a binary file"),
        # Without a NUL byte in the first kilobyte: a control character in about 9 bytes.
        (bytes(range(1, 256)) * 4, "a binary file"),
    ],
)
def test_binary_file_renamed_csv_is_not_a_table(data: bytes, what: str) -> None:
    error = load_error("orders.csv", data)
    assert error.message.startswith(f"is not a table: it looks like {what}")
    assert "Traceback" not in str(error) and "\n" not in str(error)


def test_a_few_stray_control_characters_do_not_make_text_binary() -> None:
    # 5 escape characters and a DOS end-of-file mark, 1 byte in 99 of the file's 596:
    # text from an old system, not a binary file.
    escape = "\x1b"
    rows = [f"Mug {i},{escape if i % 8 == 0 else ''}note {i}" for i in range(40)]
    data = ("item,note\n" + "\n".join(rows) + "\n\x1a").encode()
    assert data[:1024].count(b"\x1b") == 5
    frame = only_table("notes.csv", data).frame
    assert frame["item"][:40].to_list() == [f"Mug {i}" for i in range(40)]
    assert frame["note"][8] == "\x1bnote 8"


def test_zip_without_data_members_says_what_was_in_it() -> None:
    data = zip_bytes({"README.md": b"# export", "images/logo.png": b"\x89PNG\r\n"})
    error = load_error("export.zip", data)
    assert error.message.startswith("contains no data files (only README.md, images/logo.png)")


def test_file_over_the_limit_names_both_sizes() -> None:
    error = load_error("orders.csv", b"a,b\n" + b"1,2\n" * 30, max_bytes=100)
    assert error.message == (
        "is 124 bytes; the limit is 100 bytes: upload it compressed (.csv.gz or .zip) or as parquet"
    )


def test_path_over_the_limit_is_refused_in_megabytes_before_reading(tmp_path) -> None:
    path = tmp_path / "huge.csv"
    path.write_bytes(b"")
    os.truncate(path, 312 * 1024 * 1024)  # sparse: no disk or memory is used
    with pytest.raises(LoadError) as caught:
        read_path(path)
    assert str(caught.value) == (
        "huge.csv: is 312 MB; the limit is 200 MB: "
        "upload it compressed (.csv.gz or .zip) or as parquet"
    )
    assert DEFAULT_MAX_BYTES == 200 * 1024 * 1024


def test_zip_member_that_unpacks_past_the_budget_is_refused() -> None:
    data = zip_bytes({"orders.csv": b"a,b\n" + b"1,2\n" * 1000})  # 4,004 bytes in, ~40 packed
    assert len(data) < 300
    error = load_error("bomb.zip", data, max_bytes=300)
    assert error.message.startswith("unpacks to 4 KB, more than 1 KB")


def test_gzip_that_unpacks_past_the_budget_is_refused() -> None:
    data = gzip.compress(b"a,b\n" + b"1,2\n" * 1000)
    error = load_error("bomb.csv.gz", data, max_bytes=300)
    assert error.message.startswith("unpacks to more than 1 KB")


def test_corrupt_parquet_says_it_could_not_be_read_as_parquet() -> None:
    good = io.BytesIO()
    pl.DataFrame({"a": list(range(100))}).write_parquet(good)
    damaged = good.getvalue()[:40] + b"\x00" * 20 + good.getvalue()[60:]
    # Cut short with its end signature kept: pyarrow's words alone say no more than its size.
    cut = good.getvalue()[: len(good.getvalue()) // 2] + b"PAR1"
    for data in (b"PAR1 this is not really parquet", damaged, cut):
        error = load_error("orders.parquet", data)
        assert error.message.startswith("could not be read as parquet")
        assert error.message.endswith("export it again"), error.message
        assert "\n" not in str(error)


def test_corrupt_xlsx_says_it_could_not_be_read_as_a_workbook() -> None:
    error = load_error("orders.xlsx", b"PK\x03\x04 truncated nonsense")
    assert error.message.startswith("could not be read as an Excel workbook")


def test_missing_path_says_it_does_not_exist(tmp_path) -> None:
    with pytest.raises(LoadError) as caught:
        read_path(tmp_path / "nope.csv")
    assert caught.value.message == "does not exist: check the path"


def test_ragged_rows_are_kept_with_a_note() -> None:
    data = b"id,amount\n1,10\n2,20,extra\n3\n4,40\n"
    table = only_table("orders.csv", data)
    assert table.frame.rows() == [("1", "10"), ("2", "20"), ("3", None), ("4", "40")]
    assert any("different number of fields" in n for n in table.notes)


def test_ragged_row_after_the_sniffed_prefix_is_kept_with_a_note() -> None:
    data = b"id,amount\n" + b"1,10\n" * 20_000 + b"2,20,extra\n"
    table = only_table("orders.csv", data)
    assert table.frame.height == 20_001
    assert table.frame.row(-1) == ("2", "20")
    assert any("different number of fields" in n for n in table.notes)


# --- encodings, separators, quoting -------------------------------------------------------------


def test_a_file_of_empty_cells_only_is_said_to_hold_no_values() -> None:
    """Read as a table of one column named ',"",""' (separator ';')."""
    for data in (b'"","",""\n"","",""\n', b",,\n,,\n", b";;\n"):
        assert load_error("x.csv", data).message == (
            "holds no values, only empty cells: export it again or pick another file"
        )


def test_latin1_file_keeps_pound_sign() -> None:
    data = "item,price\nMug,£3.50\nCafé set,£12.00\n".encode("latin-1")
    table = only_table("prices.csv", data)
    assert table.frame["price"].to_list() == ["£3.50", "£12.00"]
    assert table.frame["item"].to_list() == ["Mug", "Café set"]
    assert any("latin-1" in n for n in table.notes)


def test_a_file_in_an_east_asian_encoding_read_as_latin1_says_to_save_it_as_utf8() -> None:
    """Shift-JIS read as Windows-1252 gives garbled names ('\x92\x8d\x95¶'): the note said
    only that the file was not UTF-8."""
    data = "注文,金額\nA1,100\n".encode("shift_jis")
    (table,) = read_file("orders.csv", data)
    assert any("save it as UTF-8 CSV and upload it again" in n for n in table.notes)


def test_latin1_byte_after_the_sniffed_prefix_still_reads() -> None:
    data = ("item,price\n" + "Mug,1.00\n" * 10_000 + "Teapot,£3.50\n").encode("latin-1")
    table = only_table("prices.csv", data)
    assert table.frame.height == 10_001
    assert table.frame.row(-1) == ("Teapot", "£3.50")
    assert any("latin-1" in n for n in table.notes)


def test_utf8_bom_is_dropped_from_the_first_column_name() -> None:
    data = "\ufeffid,city\n1,São Paulo\n".encode()
    table = only_table("c.csv", data)
    assert table.frame.columns == ["id", "city"]
    assert table.frame["city"].to_list() == ["São Paulo"]


def test_utf16_with_bom_reads_as_text() -> None:
    data = "id\tcity\r\n1\tMünchen\r\n2\tLondon\r\n".encode("utf-16")
    table = only_table("c.txt", data)
    assert table.frame.rows() == [("1", "München"), ("2", "London")]


@pytest.mark.parametrize("encoding", ["utf-32-le", "utf-32-be"])
def test_utf32_with_bom_reads_as_utf32_not_utf16(encoding: str) -> None:
    # FF FE 00 00, UTF-32's little-endian BOM, starts with FF FE, UTF-16's.
    bom = codecs.BOM_UTF32_LE if encoding.endswith("le") else codecs.BOM_UTF32_BE
    text = "InvoiceNo,InvoiceDate,Country\n536365,2023-01-01 10:00:00,Österreich\n536366,,France\n"
    table = only_table("utf32.csv", bom + text.encode(encoding))
    assert table.frame.columns == ["InvoiceNo", "InvoiceDate", "Country"]
    assert table.frame.rows() == [
        ("536365", "2023-01-01 10:00:00", "Österreich"),
        ("536366", None, "France"),
    ]
    assert table.notes == ("read as UTF-32",)


def test_semicolon_file_keeps_decimal_commas_as_text_until_parsed() -> None:
    data = b"order;amount;note\nA1;3,50;x, y\nA2;1.234,00;z\nA3;10,5;\n"
    table = only_table("orders.csv", data)
    assert table.frame.columns == ["order", "amount", "note"]
    assert table.frame["amount"].to_list() == ["3,50", "1.234,00", "10,5"]
    assert table.frame["note"].to_list() == ["x, y", "z", None]
    assert "separator ';'" in table.notes
    assert to_float(table.frame["amount"]).values.to_list() == [3.5, 1234.0, 10.5]


@pytest.mark.parametrize(("separator", "note"), [("\t", "separator tab"), ("|", "separator '|'")])
def test_tab_and_pipe_separators_are_sniffed(separator: str, note: str) -> None:
    data = separator.join(["a", "b", "c"]) + "\n" + separator.join(["1", "2,5", "x y"]) + "\n"
    table = only_table("t.txt", data.encode())
    assert table.frame.rows() == [("1", "2,5", "x y")]
    assert note in table.notes


def test_crlf_file_with_quoted_newlines_keeps_rows_and_text() -> None:
    data = (
        b'review_id,comment,score\r\nr1,"great\r\nwould buy again",5\r\n'
        b'r2,"said ""meh""",3\r\nr3,,1\r\n'
    )
    table = only_table("reviews.csv", data)
    assert table.frame.rows() == [
        ("r1", "great\r\nwould buy again", "5"),
        ("r2", 'said "meh"', "3"),
        ("r3", None, "1"),
    ]


def test_a_lone_carriage_return_among_crlf_line_ends_is_a_line_end_too() -> None:
    """Hostile upload (helper 165): one row ended by a carriage return alone, in a CRLF file,
    glued the next row into its last cell ('9.50\\rA1002', then read as unreadable) and lost
    it without a word: 10 rows read as 9. Every row is read, and a note says why."""
    lines = ["order_id,price"] + [f"A{1000 + i},9.50" for i in range(10)]
    data = "".join(line + ("\r" if i == 5 else "\r\n") for i, line in enumerate(lines))
    table = only_table("s.csv", data.encode())
    assert table.frame.rows() == [(f"A{1000 + i}", "9.50") for i in range(10)]
    assert "1 carriage return alone among the line ends was read as a line end too" in table.notes
    mixed = "order_id,price\r" + "".join(
        f"A{i},1.00" + ("\r" if i % 3 else "\r\n") for i in range(30)
    )
    assert only_table("m.csv", mixed.encode()).frame.height == 30


def test_a_column_of_quoted_values_with_blanks_is_one_column() -> None:
    """Hostile upload (helper 165): a one-column file of '"a, b, 0"' was split at its blanks
    into 3 columns, said to be "columns separated by spaces"."""
    data = "product\n" + "".join(f'"a, b, {i}"\n' for i in range(20))
    table = only_table("one.csv", data.encode())
    assert table.frame.columns == ["product"]
    assert table.frame["product"].to_list() == [f"a, b, {i}" for i in range(20)]
    assert not [n for n in table.notes if "spaces" in n]


def test_a_row_of_group_names_above_the_header_is_skipped() -> None:
    """Hostile upload (helper 165): 'Order info,,,,Money,,,' above the real header was read as
    the header (six blank names made column_2 on, and no order date found)."""
    header = "order_id,order_date,customer,product,quantity,price"
    rows = "".join(f"A{i},2024-01-0{1 + i % 9},c{i % 3},mug,{1 + i % 4},9.50\n" for i in range(12))
    table = only_table("g.csv", f"Order info,,,Money,,\n{header}\n{rows}".encode())
    assert table.frame.columns == header.split(",")
    assert table.frame.height == 12
    assert "skipped 1 line above the column names" in table.notes
    # In a workbook, merged group cells above the header (their blank cells at the row's end
    # left out as a sheet's are): the same.
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("Orders")
        sheet.merge_range(0, 0, 0, 3, "Order info")
        sheet.merge_range(0, 4, 0, 5, "Money")
        for r, line in enumerate([header, *rows.splitlines()], start=1):
            for c, cell in enumerate(line.split(",")):
                sheet.write(r, c, cell)
    sheet_table = only_table("g.xlsx", buffer.getvalue())
    assert sheet_table.frame.columns == header.split(",")
    assert sheet_table.frame.height == 12
    # A header with blank names over data rows is kept: numbers below are no names.
    blank = "id,,,name,,\n" + "".join(f"{i},a,b,c,{i},x\n" for i in range(12))
    assert only_table("b.csv", blank.encode()).frame.columns[0] == "id"


def test_text_columns_are_never_inferred() -> None:
    data = b"zip,customer,amount,when\n01012,0042,3.50,2017-07-09\n99999,17850.0,4,2018-01-01\n"
    frame = only_table("c.csv", data).frame
    assert frame.schema == dict.fromkeys(["zip", "customer", "amount", "when"], pl.String)
    assert frame["zip"].to_list() == ["01012", "99999"]
    assert frame["customer"].to_list() == ["0042", "17850.0"]


def test_null_tokens_become_null() -> None:
    data = b'a,b\nNone,NULL\nnull,NaN\nnan,N/A\n#N/A,""\nkeep,  \n'
    frame = only_table("n.csv", data).frame
    assert frame.rows() == [(None, None), (None, None), (None, None), (None, None), ("keep", "  ")]


def test_headerless_numeric_file_gets_numbered_columns() -> None:
    frame = only_table("n.csv", b"1,2017-01-01,3.5\n2,2017-01-02,4\n").frame
    assert frame.columns == ["column_1", "column_2", "column_3"]
    assert frame.height == 2


def test_duplicate_blank_and_padded_column_names_are_repaired_with_notes() -> None:
    data = b" price ,qty,price,,price\n1,2,3,4,5\n"
    table = only_table("p.csv", data)
    assert table.frame.columns == ["price", "qty", "price_2", "column_4", "price_3"]
    assert table.frame.row(0) == ("1", "2", "3", "4", "5")
    assert "3 columns named 'price': renamed price, price_2, price_3" in table.notes
    assert "a blank column name: named column_4" in table.notes


# --- containers and binary formats ----------------------------------------------------------


def test_gzip_csv_is_named_without_the_gz_suffix() -> None:
    table = only_table("orders.csv.gz", gzip.compress(b"id,amount\n1,2\n3,4\n"))
    assert table.name == "orders.csv"
    assert table.file == "orders.csv.gz"
    assert table.frame.rows() == [("1", "2"), ("3", "4")]


def test_zip_reads_every_data_member_and_notes_what_it_skipped() -> None:
    data = zip_bytes(
        {
            "export/": b"",
            "export/README.md": b"# Olist",
            "export/olist_orders_dataset.csv": b"order_id,status\no1,delivered\no2,shipped\n",
            "export/olist_sellers_dataset.csv.gz": gzip.compress(b"seller_id;city\ns1;Rio\n"),
            "__MACOSX/export/._olist_orders_dataset.csv": b"\x00\x05",
        }
    )
    tables = read_file("archive.zip", data)
    assert [t.name for t in tables] == [
        "archive.zip/olist_orders_dataset.csv",
        "archive.zip/olist_sellers_dataset.csv",
    ]
    assert all(t.file == "archive.zip" for t in tables)
    assert tables[0].frame.rows() == [("o1", "delivered"), ("o2", "shipped")]
    assert tables[1].frame.rows() == [("s1", "Rio")]
    notes = tables[0].notes
    assert "skipped folder export/" in notes
    assert any(n.startswith("skipped export/README.md") for n in notes)
    assert any(n.startswith("skipped __MACOSX/") for n in notes)


def test_zip_with_one_bad_member_keeps_the_good_one() -> None:
    data = zip_bytes({"a.csv": b"x,y\n1,2\n", "b.csv": b"x,y\n"})
    tables = read_file("two.zip", data)
    assert [t.name for t in tables] == ["two.zip/a.csv"]
    assert any(
        n.startswith("skipped two.zip/b.csv: has column names but no rows") for n in tables[0].notes
    )


def test_parquet_round_trip_keeps_native_dtypes() -> None:
    frame = pl.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "quantity": [1, 2, 3],
            "price": [2.5, None, 4.0],
            "ordered_at": [dt.datetime(2017, 7, 9, 21, 57, 5), None, dt.datetime(2018, 1, 1)],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    table = only_table("orders.parquet", buffer.getvalue())
    assert table.name == "orders.parquet"
    assert table.frame.equals(frame)
    assert table.frame.schema == frame.schema


def test_unknown_extension_is_sniffed_from_content() -> None:
    buffer = io.BytesIO()
    pl.DataFrame({"a": [1, 2]}).write_parquet(buffer)
    assert read_file("download", buffer.getvalue())[0].frame["a"].to_list() == [1, 2]
    assert read_file("export.dat", gzip.compress(b"a,b\n1,2\n"))[0].frame.rows() == [("1", "2")]


def test_xlsx_round_trip_reads_every_non_empty_sheet() -> None:
    orders = pl.DataFrame(
        {
            "order_id": ["o1", "o2"],
            "quantity": [3, 5],
            "price": [2.5, 3.75],
            "ordered_at": [dt.datetime(2020, 1, 2, 3, 4, 5), dt.datetime(2021, 6, 7)],
        }
    )
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        orders.write_excel(workbook, worksheet="Orders")
        workbook.add_worksheet("Blank")
        sheet = workbook.add_worksheet("Returns")
        sheet.write_row(0, 0, ["order_id", "order_id", "", " reason "])
        sheet.write_row(1, 0, ["o1", "o9", "x", "broken"])
    tables = read_file("book.xlsx", buffer.getvalue())
    assert [t.name for t in tables] == ["book.xlsx/Orders", "book.xlsx/Returns"]
    first = tables[0].frame
    assert first["order_id"].to_list() == ["o1", "o2"]
    assert first["quantity"].to_list() == [3, 5]
    assert first["price"].to_list() == [2.5, 3.75]
    assert first["ordered_at"].to_list() == orders["ordered_at"].to_list()
    assert "skipped empty sheet 'Blank'" in tables[0].notes
    returns = tables[1]
    assert returns.frame.columns == ["order_id", "order_id_2", "column_3", "reason"]
    assert returns.frame.row(0) == ("o1", "o9", "x", "broken")
    assert "2 columns named 'order_id': renamed order_id, order_id_2" in returns.notes


def test_a_sheet_of_one_column_beside_a_table_is_skipped_not_left_waiting_for_a_mapping() -> None:
    """The hostile-uploads audit: a cover sheet of two lines of text became a table of one
    column, waiting for a mapping whose errors stayed. Beside a sheet of several columns it is
    skipped, said; alone it is read (the mapping says what it lacks)."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        cover = workbook.add_worksheet("Cover")
        cover.write_column(0, 0, ["Sales report 2024", "Generated by ShopX on 2024-02-01"])
        workbook.add_worksheet("Data").write_row(0, 0, ["order_id", "date", "amount"])
        workbook.get_worksheet_by_name("Data").write_row(1, 0, ["o1", "2024-01-05", 10.5])
    [table] = read_file("report.xlsx", buffer.getvalue())
    assert table.name == "report.xlsx/Data" and table.frame.row(0) == ("o1", "2024-01-05", 10.5)
    assert table.notes[0] == "skipped sheet 'Cover': one column only, no table of orders"
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        workbook.add_worksheet("Ids").write_column(0, 0, ["customer", "c1", "c2"])
    [alone] = read_file("ids.xlsx", buffer.getvalue())
    assert alone.frame["customer"].to_list() == ["c1", "c2"]


def test_xlsx_title_rows_above_the_header_are_skipped_with_the_csv_note() -> None:
    header = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    rows = [
        ["536365", "85123A", 6, dt.datetime(2023, 1, 1, 10), 2.55, 17850],
        ["536366", "71053", 8, dt.datetime(2023, 1, 2, 11), 3.39, None],
        ["536367", "84406B", 2, dt.datetime(2023, 1, 3, 12), 2.75, 13047],
    ]
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("Report")
        sheet.write(0, 0, "Sales report")  # then a blank row, then the real header
        sheet.write_row(2, 0, header)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(
                        3 + i, j, value, workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
                    )
                elif value is not None:
                    sheet.write(3 + i, j, value)
    table = only_table("titled.xlsx", buffer.getvalue())
    assert table.frame.columns == header
    assert table.frame.height == 3
    assert table.frame["InvoiceNo"].to_list() == ["536365", "536366", "536367"]
    assert table.frame["Quantity"].to_list() == [6, 8, 2]  # numbers stay numbers, as without title
    assert table.frame["InvoiceDate"].to_list() == [r[3] for r in rows]
    assert table.frame["CustomerID"].to_list() == [17850, None, 13047]
    assert table.notes == ("skipped 2 lines above the column names",)
    # The same rows as CSV are read alike, with the same note.
    csv_rows = "".join(",".join("" if v is None else str(v) for v in row) + "\n" for row in rows)
    as_csv = only_table(
        "titled.csv", ("Sales report\n\n" + ",".join(header) + "\n" + csv_rows).encode()
    )
    assert as_csv.frame.columns == header
    assert as_csv.frame.height == 3
    assert as_csv.notes == table.notes


def test_two_title_lines_over_a_header_and_one_row_are_skipped() -> None:
    # Two records of one field and two of three: as many of each, the wider is the table's.
    text = "Orders report\nGenerated 2024-01-05 by Shop\n\norder_id,date,qty\nA1,2024-01-02,3\n"
    table = only_table("report.csv", text.encode())
    assert table.frame.columns == ["order_id", "date", "qty"]
    assert table.frame.rows() == [("A1", "2024-01-02", "3")]
    assert table.notes == ("skipped 3 lines above the column names",)
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("S")
        sheet.write(0, 0, "Orders report")
        sheet.write(1, 0, "Generated 2024-01-05 by Shop")
        sheet.write_row(3, 0, ["order_id", "date", "qty"])
        sheet.write_row(4, 0, ["A1", "2024-01-02", 3])
    sheet_table = only_table("report.xlsx", buffer.getvalue())
    assert sheet_table.frame.columns == ["order_id", "date", "qty"]
    assert sheet_table.frame["order_id"].to_list() == ["A1"]
    assert sheet_table.frame["qty"].to_list() == [3]


def test_xlsx_title_rows_below_blank_rows_and_over_a_short_last_column_are_skipped() -> None:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("S")
        sheet.write(3, 0, "Orders export")  # rows 1-3 of the sheet are blank
        sheet.write(4, 0, "generated 2023-02-01")
        sheet.write_row(6, 0, ["order", "amount", "comment"])
        for i in range(5):  # the comment column is mostly empty
            sheet.write_row(7 + i, 0, [f"o{i}", i + 0.5] + (["late"] if i == 2 else []))
    table = only_table("orders.xlsx", buffer.getvalue())
    assert table.frame.columns == ["order", "amount", "comment"]
    assert table.frame["order"].to_list() == ["o0", "o1", "o2", "o3", "o4"]
    assert table.frame["amount"].to_list() == [0.5, 1.5, 2.5, 3.5, 4.5]
    assert table.frame["comment"].to_list() == [None, None, "late", None, None]
    assert table.notes == ("skipped 6 lines above the column names",)


def test_xlsx_without_title_rows_is_read_from_its_first_row_without_a_note() -> None:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("S")
        sheet.write_row(0, 0, ["order", "", "note"])  # one name only would look like a title
        for i in range(4):
            sheet.write_row(1 + i, 0, [f"o{i}", i, "x"])
    table = only_table("plain.xlsx", buffer.getvalue())
    assert table.frame.columns == ["order", "column_2", "note"]
    assert table.frame.height == 4
    assert table.notes == ("a blank column name: named column_2",)


@pytest.mark.parametrize(
    "data",
    [
        b'[{"order": "a", "amount": 1.5}, {"order": "b", "amount": 2}]',
        b'\xef\xbb\xbf  {"order": "a", "amount": 1.5}\n{"order": "b", "amount": 2}\n',
        b'[\n  {\n    "order": "a"\n  }\n]',
        b"[]",
    ],
)
@pytest.mark.parametrize("name", ["orders.json", "orders.csv", "orders.txt"])
def test_json_says_it_is_json_whatever_its_name(name, data) -> None:
    """A JSON export (an array, one object per line, pretty-printed) was read as CSV: 'has
    column names but no rows', or columns named '{"order": "a"'."""
    error = load_error(name, data)
    assert (error.file, error.message) == (
        name,
        "holds JSON, not a table: export the data as CSV, Excel or parquet, then upload it",
    )


def test_a_csv_that_starts_with_a_bracket_is_still_a_csv() -> None:
    table = only_table("orders.csv", b"[order],amount\na,1.5\n")
    assert table.frame.columns == ["[order]", "amount"] and table.frame.height == 1


def test_a_parquet_duration_is_read_as_the_text_a_csv_would_hold() -> None:
    """No field of the data model is a duration, and polars cannot cast one to text for the
    parsers: mapped to any field it failed the whole Data page ("casting from Duration to String
    not supported"). 1 hour and 1 day 1 hour 1 minute 1 second read as polars writes them."""
    frame = pl.DataFrame({"order": ["a", "b", "c"], "wait": [3_600, 90_061, None]}).with_columns(
        pl.duration(seconds=pl.col("wait"), time_unit="us").alias("wait")
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    table = only_table("sales.parquet", buffer.getvalue())
    assert table.frame.schema["wait"] == pl.String
    assert table.frame["wait"].to_list() == ["1h", "1d 1h 1m 1s", None]


def test_parquet_bytes_and_ids_past_int64_are_read_as_the_text_a_csv_would_hold() -> None:
    """A binary column (no field of the data model) and unsigned ids above 2**63 - 1 (64-bit
    hashes) failed the Data page: 'invalid utf8' casting examples to text, and 'conversion
    from u64 to i64 failed' guessing dates. Bytes that are UTF-8 read as that text, others
    as hex; the ids as their digits."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    table = {
        "order": ["a", "b"],
        "name": pa.array([b"mug", b"caf\xc3\xa9"], pa.binary()),
        "raw": pa.array([b"\x00\xff", b"\x01"], pa.binary()),
        "hash": pa.array([2**64 - 1, 5], pa.uint64()),
        "small": pa.array([1, 2], pa.uint64()),
    }
    pq.write_table(pa.table(table), buffer)
    frame = only_table("orders.parquet", buffer.getvalue()).frame
    assert frame["name"].to_list() == ["mug", "café"]
    assert frame["raw"].to_list() == ["00ff", "01"]
    assert frame["hash"].to_list() == ["18446744073709551615", "5"]
    assert frame.schema["small"] == pl.UInt64  # ids within Int64 stay numbers


def test_parquet_times_with_a_fixed_utc_offset_are_read_as_the_local_time_written() -> None:
    """pandas stores times parsed from '2024-01-01T10:00+05:30' with the zone '+05:30', which
    polars knows no name for: reading the file panicked, past every error handler, and left the
    Data page running for good. Read as text times are, the local time written."""
    import pandas as pd

    times = ["2024-01-01T10:00+05:30", "2024-01-02T23:30+05:30", None]
    frame = pd.DataFrame({"order": ["O1", "O2", "O3"], "at": pd.to_datetime(times)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    table = only_table("orders.parquet", buffer.getvalue())
    assert table.frame["at"].to_list() == [
        dt.datetime(2024, 1, 1, 10, 0),
        dt.datetime(2024, 1, 2, 23, 30),
        None,
    ]
    assert table.frame["order"].to_list() == ["O1", "O2", "O3"]


def test_parquet_columns_sharing_a_name_are_renamed_as_a_csv_headers_are() -> None:
    """polars refused the file ("column with name 'order_id' has more than one occurrence")."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array(["a", "b"]), pa.array(["c", "d"]), pa.array([1.0, 2.0])]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(columns, names=["order_id", "order_id", "amount"]), buffer)
    table = only_table("orders.parquet", buffer.getvalue())
    assert table.frame.rows() == [("a", "c", 1.0), ("b", "d", 2.0)]
    assert table.frame.columns == ["order_id", "order_id_2", "amount"]
    assert table.notes == ("2 columns named 'order_id': renamed order_id, order_id_2",)


def test_parquet_periods_of_pandas_are_read_as_the_time_each_starts() -> None:
    """A pandas Period column is stored as an extension type that polars can neither cast nor
    print: mapped, it failed the Data page and every mapping after it. A month reads as its
    first day, a quarter as its first month's, a week (W-SUN: Monday to Sunday) as its Monday."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "month": pd.PeriodIndex(["2024-01", None, "2024-03"], freq="M"),
            "quarter": pd.period_range("2024Q1", periods=3, freq="Q"),
            "week": pd.period_range("2024-01-03", periods=3, freq="W"),
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    got = only_table("orders.parquet", buffer.getvalue()).frame
    day = dt.datetime
    assert got["month"].to_list() == [day(2024, 1, 1), None, day(2024, 3, 1)]
    assert got["quarter"].to_list() == [day(2024, 1, 1), day(2024, 4, 1), day(2024, 7, 1)]
    assert got["week"].to_list() == [day(2024, 1, 1), day(2024, 1, 8), day(2024, 1, 15)]


def test_parquet_decimals_wider_than_38_digits_are_named_not_called_damage() -> None:
    """Hostile upload (helper 165): a decimal256(70, 2) price column read as 'damaged, cut short
    or no parquet file', naming no column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "InvoiceNo": pa.array(["536365"]),
            "UnitPrice": pa.array([decimal.Decimal("2.55")], pa.decimal256(70, 2)),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    error = load_error("wide.parquet", buffer.getvalue())
    assert error.message == (
        "has decimal columns of more than 38 digits, which cannot be read here: 'UnitPrice' "
        "(70 digits); export them as numbers (floats) or as text"
    )


def test_parquet_with_a_list_column_names_the_file_and_column_and_what_to_do() -> None:
    frame = pl.DataFrame(
        {
            "InvoiceNo": ["536365", "536366"],
            "CustomerID": [["17850"], ["13047"]],
            "Tags": [{"a": 1}, {"a": 2}],
            "Quantity": [6, 8],
        }
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    error = load_error("nested.parquet", buffer.getvalue())
    assert error.file == "nested.parquet"
    assert error.message == (
        "column 'CustomerID' holds lists and column 'Tags' holds records (several fields in one "
        "cell), not single values: export them flat (one value per cell) or drop those columns, "
        "then upload the file again"
    )
    one = io.BytesIO()
    frame.drop("Tags").write_parquet(one)
    assert load_error("nested.parquet", one.getvalue()).message == (
        "column 'CustomerID' holds lists, not single values: export it flat (one value per cell) "
        "or drop the column, then upload the file again"
    )


def test_write_csv_tables_and_csv_bytes_round_trip(tmp_path) -> None:
    frame = pl.DataFrame({"id": ["007", "42"], "city": ["São Paulo", None]})
    paths = write_csv_tables({"a.csv": frame, "sub/b.csv": frame.head(1)}, tmp_path / "out")
    assert paths == [tmp_path / "out" / "a.csv", tmp_path / "out" / "sub" / "b.csv"]
    assert read_path(paths[0])[0].frame.equals(frame)
    assert read_path(paths[1])[0].frame.rows() == [("007", "São Paulo")]
    assert csv_bytes(frame) == "id,city\n007,São Paulo\n42,\n".encode()
    with pytest.raises(ValueError):
        write_csv_tables({"../escape.csv": frame}, tmp_path)


# --- real data ----------------------------------------------------------------------------------


def test_olist_reviews_with_multiline_comments_give_8225_rows() -> None:
    path = shared_file("olist/subset_cab-g_8135_orders/olist_order_reviews_dataset.csv.gz")
    table = read_path(path)[0]
    assert table.name == "olist_order_reviews_dataset.csv"
    assert table.frame.shape == (8225, 7)
    assert table.frame["review_comment_message"].str.contains("\n").sum() > 0


def test_online_retail_parquet_gives_541909_rows_of_8_columns() -> None:
    path = shared_file("online_retail/online_retail.parquet")
    frame = read_path(path)[0].frame
    assert frame.shape == (541_909, 8)
    assert frame.columns[0] == "InvoiceNo"
    assert frame["Quantity"].dtype == pl.Int64


def test_cdnow_whitespace_file_gives_6919_rows_of_5_columns() -> None:
    path = shared_file("cdnow/CDNOW_sample.txt.gz")
    table = read_path(path)[0]
    assert table.frame.shape == (6919, 5)
    assert table.frame.columns == [f"column_{i}" for i in range(1, 6)]
    assert table.frame.row(0) == ("00004", "0001", "19970101", "2", "29.33")


def test_title_lines_above_the_header_are_skipped_with_a_note() -> None:
    data = b"Sales report 2020\n\nid;amount\n1;2,5\n3;4\n"
    table = only_table("report.csv", data)
    assert table.frame.columns == ["id", "amount"]
    assert table.frame.rows() == [("1", "2,5"), ("3", "4")]
    assert "skipped 2 lines above the column names" in table.notes


def test_excel_separator_hint_line_sets_the_separator() -> None:
    table = only_table("excel.csv", b"sep=;\r\nid;amount\r\n1;2,5\r\n")
    assert table.frame.rows() == [("1", "2,5")]
    assert table.frame.columns == ["id", "amount"]


def test_html_saved_as_xls_is_not_a_table() -> None:
    error = load_error("report.xls", b"<html><body><table><tr><td>1</td></tr></table>")
    assert error.message.startswith("is not a table: it is a web page (HTML)")


def test_csv_saved_under_an_excel_name_is_read_as_csv() -> None:
    table = only_table("orders.xlsx", b"id,amount\n1,2\n")
    assert table.frame.rows() == [("1", "2")]
    assert table.notes[0] == "named like an Excel workbook but it is text: read as CSV"


def test_load_error_survives_pickling_with_its_parts() -> None:
    error = pickle.loads(pickle.dumps(LoadError("a.csv", "is empty")))
    assert (str(error), error.file, error.message) == ("a.csv: is empty", "a.csv", "is empty")


# --- memory budgets -----------------------------------------------------------------------------

MB = 1024 * 1024


def tiny(table_mb: float = 1.0, **kwargs: object) -> Budget:
    """A budget whose raw tables may take `table_mb` MB (a quarter of the session's)."""
    return Budget(int(table_mb * MB * LOAD_FACTOR), **kwargs)  # type: ignore[arg-type]


def test_the_session_budget_is_the_server_shared_by_its_sessions_unless_set(monkeypatch) -> None:
    for name in ("STORELENS_SESSION_BUDGET_MB", "STORELENS_SERVER_MEMORY_MB", "STORELENS_SESSIONS"):
        monkeypatch.delenv(name, raising=False)
    assert session_budget().total_bytes == 900 * MB  # 2,700 MB for 3 sessions
    assert session_budget().table_bytes == 225 * MB
    assert session_budget().rows == 900 * MB // 750
    monkeypatch.setenv("STORELENS_SERVER_MEMORY_MB", "690")
    assert session_budget().total_bytes == 230 * MB
    monkeypatch.setenv("STORELENS_SESSIONS", "not a number")  # ignored, not a crash
    assert session_budget().total_bytes == 230 * MB
    monkeypatch.setenv("STORELENS_SESSION_BUDGET_MB", "700")
    assert session_budget().total_bytes == 700 * MB


def test_the_command_line_budget_is_half_the_machine_unless_set(monkeypatch) -> None:
    monkeypatch.delenv("STORELENS_CLI_BUDGET_MB", raising=False)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert abs(machine_budget().total_bytes - physical // 2) < MB
    monkeypatch.setenv("STORELENS_CLI_BUDGET_MB", "1200")
    budget = machine_budget()
    assert budget.total_bytes == 1200 * MB
    assert "STORELENS_CLI_BUDGET_MB" in budget.remedy


def test_memory_bytes_counts_a_view_per_text_cell_and_long_strings_again() -> None:
    frame = pl.DataFrame({"short": ["abc", None, "twelve chars"], "long": ["x" * 13, "y" * 20, ""]})
    assert memory_bytes(frame) == 16 * 3 + 16 * 3 + 13 + 20
    numbers = pl.DataFrame({"n": [1.5, 2.5]})
    assert memory_bytes(numbers) == numbers.estimated_size() == 16


def test_a_downloaded_files_name_keeps_letters_and_digits_of_what_it_is_named_after() -> None:
    """Web events named its "viewed with" download after the raw item id (a script tag, markdown,
    tabs, 5,000 characters): every download's name now goes through file_stem."""
    from lib.io import file_stem

    assert file_stem("viewed_with_<script>alert(2)</script>1204") == (
        "viewed_with_script_alert_2_script_1204"
    )
    assert file_stem("Viewed with :red[RED]\t88") == "viewed_with_red_red_88"
    assert file_stem("x" * 5_000) == "x" * 40
    assert file_stem("<>") == "data"


def test_memory_bytes_counts_categorical_text_as_each_row_will_hold_it() -> None:
    # 4 views of 16 bytes, the 30-byte text twice (a null and "b" fit in their view).
    text = pl.Series(["a" * 30, "b", None, "a" * 30], dtype=pl.Categorical)
    assert memory_bytes(pl.DataFrame({"c": text})) == 16 * 4 + 30 * 2


def test_a_parquet_text_shared_by_every_row_is_refused_by_what_its_rows_will_hold() -> None:
    """A 140 KB parquet file whose 50,000 rows share one dictionary entry of 20,000 bytes: read,
    it is a categorical column of 6 MB, but the next step writes each row's own text (1 GB)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 50_000
    shared = pa.DictionaryArray.from_arrays(
        pa.array([0] * rows, pa.int32()), pa.array(["y" * 20_000])
    )
    buffer = io.BytesIO()
    pq.write_table(pa.table({"InvoiceNo": range(rows), "Description": shared}), buffer)
    error = load_error("orders.parquet", buffer.getvalue(), budget=tiny(100))
    # 50,000 x (20,000 bytes + two views of 16) + 50,000 numbers of 8 bytes: 955 MB.
    assert "about 50,000 rows and 955 MB in memory once read" in error.message


def test_a_csv_with_more_rows_than_a_table_may_have_is_refused_with_sizes_and_remedies() -> None:
    budget = Budget(150 * 750)  # 150 rows per table
    assert read_file("ok.csv", b"a,b\n" + b"1,2\n" * 150, budget=budget)[0].frame.height == 150
    error = load_error("orders.csv", b"a,b\n" + b"1,2\n" * 200, budget=budget)
    assert error.message.startswith("is too large to analyse here: it would be about 200 rows")
    assert "the limit per session on this server is" in error.message
    assert "150 rows per table" in error.message
    assert "upload a shorter date range or only the columns you need" in error.message
    assert "python -m lib inspect orders.csv" in error.message


def test_a_csv_too_large_in_memory_is_refused_before_polars_reads_it(monkeypatch) -> None:
    rows = b"".join(
        b"%d,%s,2024-01-01 10:00:00\n" % (i, b"description " * 3) for i in range(20_000)
    )
    data = b"id,text,date\n" + rows  # 1.2 MB of text
    read = read_file("orders.csv", data)[0].frame  # 1.96 MB once read
    assert memory_bytes(read) == 20_000 * 3 * 16 + 20_000 * (36 + 19)
    monkeypatch.setattr(pl, "read_csv", lambda *a, **k: pytest.fail("read before the check"))
    error = load_error("orders.csv", data, budget=tiny(1.0))
    # 20,000 rows x 3 views of 16 bytes, plus the text and date strings longer than 12 bytes
    assert "about 20,000 rows and 2.0 MB in memory once read (from 1.2 MB of text)" in error.message
    assert "the limit per session on this server is 1.0 MB of tables" in error.message


def test_a_session_that_holds_tables_has_that_much_less_room() -> None:
    header = b",".join(b"c%d" % i for i in range(12)) + b"\n"
    row = b",".join(b"%d" % i for i in range(12)) + b"\n"
    held = read_file("first.csv", header + row * 1_000)
    budget = Budget(4 * MB).holding(held)  # 1 MB of tables, 192,000 bytes of them held
    assert budget.held_bytes == memory_bytes(held[0].frame) == 1_000 * 12 * 16
    error = load_error("second.csv", header + row * 4_800, budget=budget)
    assert "about 4,800 rows and 900 KB in memory once read" in error.message
    assert "(the files already loaded take 188 KB of it)" in error.message
    assert read_file("second.csv", header + row * 4_800, budget=Budget(4 * MB))


def test_a_gzip_bomb_is_refused_while_counting_without_keeping_what_it_unpacks() -> None:
    bomb = gzip.compress(bytes(64 * MB), compresslevel=1)
    tracemalloc.start()
    try:
        error = load_error("orders.csv.gz", bomb, budget=tiny(16))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.message.startswith("unpacks to more than 16 MB, the most this app unpacks")
    assert peak < 6 * MB  # a chunk at a time, never the 16 MB it was allowed


def test_a_gzip_of_too_many_lines_is_refused_by_its_line_count_while_counting() -> None:
    data = gzip.compress(b"a,b\n" + b"1,2\n" * 300_000)
    error = load_error("orders.csv.gz", data, budget=Budget(100_000 * 750))
    assert error.message.startswith("is too large to analyse here: it would be over 262,144 rows")
    assert "(1.0 MB of text so far)" in error.message


def test_a_zip_whose_members_declare_more_than_the_budget_is_refused_before_unpacking() -> None:
    members = {f"part{i}.csv": b"a,b\n" + b"1,2\n" * 100_000 for i in range(3)}
    error = load_error("parts.zip", zip_bytes(members), budget=tiny(1))
    assert error.message.startswith("unpacks to 1.1 MB, more than 1.0 MB, the most this app")


def test_a_zip_of_too_many_data_files_is_refused() -> None:
    data = zip_bytes({f"p{i}.csv": b"a,b\n1,2\n" for i in range(MAX_ZIP_MEMBERS + 1)})
    error = load_error("many.zip", data)
    assert error.message == (
        f"contains {MAX_ZIP_MEMBERS + 1} data files; this app reads at most {MAX_ZIP_MEMBERS} "
        "from one zip: zip the files you need, or stack them into one"
    )


def test_a_zip_member_too_large_names_the_member() -> None:
    data = zip_bytes({"small.csv": b"a,b\n1,2\n", "big.csv": b"a,b\n" + b"1,2\n" * 300})
    error = load_error("export.zip", data, budget=Budget(100 * 750))
    assert error.file == "export.zip"
    assert error.message.startswith("big.csv is too large to analyse here: it would be about 300")


def test_a_parquet_too_large_is_refused_from_its_metadata_before_reading(monkeypatch) -> None:
    buffer = io.BytesIO()
    pl.DataFrame({"a": pl.repeat(7, 2_000_000, eager=True)}).write_parquet(buffer)
    assert len(buffer.getvalue()) < 100_000  # a constant packs small
    monkeypatch.setattr(pl, "read_parquet", lambda *a, **k: pytest.fail("read before the check"))
    error = load_error("rows.parquet", buffer.getvalue(), budget=Budget(900 * MB))
    assert error.message.startswith(
        "is too large to analyse here: it would be about 2.0 million rows and 7.6 MB in memory"
    )
    assert "1.3 million rows per table" in error.message


def test_a_workbook_with_two_cells_far_apart_is_refused_before_calamine_builds_its_grid(
    monkeypatch,
) -> None:
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("data")
        sheet.write_row(0, 0, ["a", "b"])
        sheet.write(1_048_575, 16_383, 1)  # XFD1048576: calamine would allocate 17 billion cells
    monkeypatch.setattr(pl, "read_excel", lambda *a, **k: pytest.fail("read before the check"))
    error = load_error("book.xlsx", buffer.getvalue())
    # Not "upload a shorter date range": three cells, one of them at the sheet's far corner.
    assert error.message == (
        "is too large to read as it is: a sheet's 3 cells reach cell XFD1048576, read as a grid "
        "of 17.2 billion cells from A1. A cell far below or right of your table does that: "
        "delete the rows and columns past the table (or save the table alone as CSV) and upload "
        "it again"
    )


def test_a_workbook_repeating_one_long_text_in_every_cell_is_refused_before_it_is_read(
    monkeypatch,
) -> None:
    """A shared string is stored once but copied into every cell that names it: 8,000 cells of
    one 32,000-character text take 256 MB once read, from a file of a few kilobytes."""
    long = "x" * 32_000
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        sheet = workbook.add_worksheet("data")
        sheet.write_row(0, 0, ["order", "note"])
        for row in range(1, 4_001):
            sheet.write_row(row, 0, [long, long])
    assert len(buffer.getvalue()) < 100_000
    monkeypatch.setattr(pl, "read_excel", lambda *a, **k: pytest.fail("read before the check"))
    error = load_error("notes.xlsx", buffer.getvalue())
    assert error.message.startswith("is too large to analyse here: it would be about 4,001 rows")
    assert "(its cells repeat long texts)" in error.message


def test_a_workbook_of_text_written_in_its_cells_is_refused_by_what_the_text_takes(
    monkeypatch,
) -> None:
    """The hostile-uploads audit: text written in the cells themselves (inline strings, as
    xlsxwriter's constant_memory mode writes them) was counted as cells only: 2.4 MB of workbook
    held 859 MB. Here 400 texts of 30,000 characters, a 24 KB file of 12 MB of sheet XML:
    refused under 5 MB of tables before it is read, read under 50 MB."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"constant_memory": True}) as workbook:
        sheet = workbook.add_worksheet("data")
        sheet.write_row(0, 0, ["order", "note"])
        for row in range(1, 201):
            sheet.write_row(row, 0, ["x" * 30_000, "y" * 30_000])
    data = buffer.getvalue()
    assert len(data) < 100_000
    with monkeypatch.context() as patch:
        patch.setattr(pl, "read_excel", lambda *a, **k: pytest.fail("read before the check"))
        error = load_error("notes.xlsx", data, budget=tiny(5))
    assert error.message.startswith("is too large to analyse here: it would be about 201 rows")
    [table] = read_file("notes.xlsx", data, budget=tiny(50))
    assert table.frame.height == 200 and table.frame["note"][0] == "y" * 30_000
    # A formula's text is written in its cell too (t="str"): counted alike (the reviewer's).
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"constant_memory": True}) as workbook:
        sheet = workbook.add_worksheet("data")  # no text but the formulas' (no <is>)
        for column, name in enumerate(("order", "note")):
            sheet.write_formula(0, column, f'="{name}"', None, name)
        for row in range(1, 201):
            sheet.write_formula(row, 0, '="x"', None, "x" * 30_000)
            sheet.write_formula(row, 1, '="y"', None, "y" * 30_000)
    with monkeypatch.context() as patch:
        patch.setattr(pl, "read_excel", lambda *a, **k: pytest.fail("read before the check"))
        error = load_error("notes.xlsx", buffer.getvalue(), budget=tiny(5))
    assert error.message.startswith("is too large to analyse here: it would be about 201 rows")


def test_a_parquet_column_of_binary_that_is_no_text_is_counted_as_the_hex_it_becomes():
    """The hostile-uploads audit: binary that is no UTF-8 is written as hex once read (twice its
    bytes, beside them): a 35 KB file of 220 MB of binary took 421 MB against 225 allowed. Here
    200 values of 100,000 bytes 0xff (19 MB): refused under 30 MB of tables, read under 90."""
    frame = pl.DataFrame({"order": [str(i) for i in range(200)], "blob": [b"\xff" * 100_000] * 200})
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = buffer.getvalue()
    assert len(data) < 1_000_000
    error = load_error("blobs.parquet", data, budget=tiny(30))
    assert error.message.startswith("is too large to analyse here: it would be about 200 rows")
    [table] = read_file("blobs.parquet", data, budget=tiny(90))
    assert table.frame["blob"][0] == "ff" * 100_000
    # Binary that is text (an older writer's strings) is read as text, not hex: not counted
    # three times (the reviewer's: 24 MB refused as 65 MB).
    text = frame.with_columns(blob=pl.lit(b"a" * 100_000))
    buffer = io.BytesIO()
    text.write_parquet(buffer)
    [table] = read_file("blobs.parquet", buffer.getvalue(), budget=tiny(30))
    assert table.frame["blob"][0] == "a" * 100_000


def test_a_workbook_of_millions_of_shared_strings_is_refused_by_what_each_takes(
    monkeypatch,
) -> None:
    """Each shared string is held once, however few cells name it: 2 million empty ones (18 MB
    of XML, a small zip) take some 64 MB in calamine, counted with the XML's own 18 MB. Counting
    stops at as many as the budget holds (1.75 GB of them took 76 s and 1.6 GB to count)."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer) as workbook:
        workbook.add_worksheet("data").write_row(0, 0, ["order", "note"])
    book = zipfile.ZipFile(buffer)

    def with_strings(strings: bytes) -> bytes:
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
            for info in book.infolist():
                kept = info.filename != "xl/sharedStrings.xml"
                out.writestr(info.filename, book.read(info) if kept else strings)
        return bomb.getvalue()

    monkeypatch.setattr(pl, "read_excel", lambda *a, **k: pytest.fail("read before the check"))
    bomb = with_strings(b'<sst count="2000000">' + b"<si></si>" * 2_000_000 + b"</sst>")
    # Counting stops past 50 MB / 32 bytes = 1,638,400 strings: the file then holds at most one
    # per 5 bytes ("<si/>"): 18,000,027 // 5 x 32 bytes + the XML's 18,000,027 + 2 cells of 80.
    error = load_error("notes.xlsx", bomb, budget=tiny(50))
    assert "about 1 row and 127 MB in memory once read" in error.message
    # Written as one tag each, they were not counted at all (40 million took 933 MB to read):
    # 10,000,027 // 5 x 32 bytes + 10,000,027 + 160 = 70.6 MB.
    closed = with_strings(b'<sst count="2000000">' + b"<si/>" * 2_000_000 + b"</sst>")
    error = load_error("notes.xlsx", closed, budget=tiny(50))
    assert "about 1 row and 71 MB in memory once read" in error.message
    tracemalloc.start()
    try:
        load_error("notes.xlsx", bomb, budget=tiny(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MB  # 32,768 sizes at most kept (1 MB of tables / 32 bytes)


def test_a_first_line_longer_than_1_mb_is_no_header() -> None:
    error = load_error("line.csv", b"x," * (MAX_FIRST_LINE // 2 + 10))
    assert error.message.startswith("is not a table of rows: its first line is longer than 1.0 MB")


def test_a_line_longer_than_any_row_further_down_is_refused_before_it_is_read() -> None:
    """One 3 MB field after the header (in a 200 KB gzip, a 215 MB one took 1.5 GB to read),
    or a line of a million words in a space-separated file: the sniffed start shows neither."""
    field = b'order,customer,date,amount\n1,c,2024-01-01,"' + b"x" * (3 * MB) + b'"\n'
    error = load_error("orders.csv.gz", gzip.compress(field))
    assert error.message.startswith(
        "is not a table of rows: its line 2 is 3.0 MB long, longer than any row of orders (1.0 "
        "MB at most). Check that line, or export"
    )
    words = b"id date qty amount\n" + b"%d 19970101 1 9.99\n" * 300 + b"x " * MB + b"\n"
    assert "its line 302 is 2.0 MB long" in load_error("orders.txt", words).message


def test_a_line_at_the_limit_with_windows_line_ends_is_read_and_one_past_it_says_bytes() -> None:
    """Audit: a line of exactly the limit ending "\r\n" was refused for its "\r", as "1.0 MB
    long, longer than 1.0 MB"."""
    head = b"order,customer,date,note\r\n"
    note = MAX_FIRST_LINE - len(b'1,c,2024-01-01,""')
    at_limit = head + b'1,c,2024-01-01,"' + b"x" * note + b'"\r\n' + b"2,d,2024-01-02,y\r\n"
    (table,) = read_file("ok.csv", at_limit)
    assert table.frame.height == 2
    past = at_limit.replace(b'"\r\n2', b'x"\r\n2', 1)
    assert load_error("past.csv", past).message.startswith(
        f"is not a table of rows: its line 2 is {MAX_FIRST_LINE + 1:,} bytes long, longer than "
        f"any row of orders ({MAX_FIRST_LINE:,} bytes at most)."
    )


def test_more_columns_than_the_limit_are_counted_on_the_whole_first_line() -> None:
    header = ",".join(
        f"column_{i}" for i in range(10_000)
    ).encode()  # 118 KB: past the sniffed part
    error = load_error("wide.csv", header + b"\n" + b"1," * 9_999 + b"1\n")
    assert error.message.startswith(f"has 10,000 columns; this app reads at most {MAX_COLUMNS:,}")


def test_a_parquet_file_of_more_columns_than_the_limit_is_refused_before_it_is_read(
    monkeypatch,
) -> None:
    """Parquet had no column limit: 60,000 columns of 5 rows (12.5 MB) took 358 MB to read."""
    wide = pl.DataFrame({f"c{i}": [i] for i in range(MAX_COLUMNS + 1)})
    buffer = io.BytesIO()
    wide.write_parquet(buffer)
    monkeypatch.setattr(pl, "read_parquet", lambda *a, **k: pytest.fail("read before the check"))
    error = load_error("wide.parquet", buffer.getvalue())
    assert error.message.startswith(f"has 2,001 columns; this app reads at most {MAX_COLUMNS:,}")


def test_a_million_line_export_of_80_mb_fits_the_default_budget(monkeypatch) -> None:
    for name in ("STORELENS_SESSION_BUDGET_MB", "STORELENS_SERVER_MEMORY_MB", "STORELENS_SESSIONS"):
        monkeypatch.delenv(name, raising=False)
    n = 1_000_000
    frame = pl.DataFrame(
        {
            "InvoiceNo": pl.int_range(536_365, 536_365 + n, eager=True) // 7,
            "StockCode": pl.Series(["85123A", "71053", "22752"] * (n // 3 + 1))[:n],
            "Description": pl.Series(["WHITE HANGING HEART T-LIGHT HOLDER", "MUG"] * (n // 2)),
            "Quantity": pl.repeat(6, n, eager=True),
            "InvoiceDate": pl.repeat("12/1/2010 8:26", n, eager=True),
            "UnitPrice": pl.repeat(2.55, n, eager=True),
            "CustomerID": pl.int_range(0, n, eager=True) % 4000 + 12_000,
            "Country": pl.repeat("United Kingdom", n, eager=True),
        }
    )
    data = frame.write_csv().encode()
    del frame
    assert 70 * MB < len(data) < 90 * MB
    assert read_file("online_retail.csv", data)[0].frame.shape == (n, 8)


def test_a_comma_csv_with_an_inch_mark_in_an_unquoted_field_is_read():
    """'Skillet 12" pan' opened a quote that ran over every later line: the file was refused
    with polars' 'CSV malformed: expected 15 rows, actual 30 rows'."""
    lines = ["id,date,product,qty,price", '1,2024-01-02,Skillet 12" pan,1,9.99']
    lines += [f"{n},2024-01-03,Pot,1,2.00" for n in range(2, 41)]
    (table,) = read_file("pans.csv", ("\n".join(lines) + "\n").encode())
    assert table.frame.height == 40
    assert table.frame["product"].to_list()[:2] == ['Skillet 12" pan', "Pot"]
    assert 'quote marks read as text: a field holds one alone (an inch mark: 12")' in table.notes
    # Whole quoted fields among them lose their quotes, a doubled quote read as one.
    mixed = b'id,product,price\n1,"Pan ""big""",9.99\n2,Skillet 12" pan,1.00\n3,Pot,2.00\n'
    (table,) = read_file("mixed.csv", mixed)
    assert table.frame["product"].to_list() == ['Pan "big"', 'Skillet 12" pan', "Pot"]
    # A field quoted for the comma in it, and an inch mark: no reading fits both; the message
    # names the line of the lone quote.
    both = b'id,product,price\n1,"Pan, large",9.99\n2,Skillet 12" pan,1.00\n3,Pot,2.00\n'
    with pytest.raises(LoadError) as caught:
        read_file("both.csv", both)
    assert str(caught.value) == (
        'both.csv: line 3 has a quote mark that opens a field and never closes it (2,Skillet 12" '
        "pan,1.00): put quotes around that whole field, or remove the quote mark, and upload the "
        "file again"
    )
    # A quote opening the last field of a short file: polars 2 says the field 'is not properly
    # escaped' (no 'malformed'), which was shown as polars wrote it ("could not parse `"Open`").
    short = b'order,customer,date,amount,item\nO1,c1,2024-01-01,10,"Open\nO2,c2,2024-01-02,20,ok\n'
    (table,) = read_file("short.csv", short)
    assert table.frame["item"].to_list() == ['"Open', "ok"]
    assert 'quote marks read as text: a field holds one alone (an inch mark: 12")' in table.notes


def test_a_parquet_whose_dictionary_hides_its_size_is_refused_at_its_size_as_read():
    """4 product names of 2,000 bytes on 20,000 rows, dictionary-encoded: the metadata reads
    about 0.4 MB and the file was taken, where every step after reading writes each row's copy
    (40 MB). Refused now, with the size the rows take."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 20_000
    names = [letter * 2_000 for letter in "ABCD"]
    table = pa.table({"order_id": [f"O{i}" for i in range(rows)], "product": names * (rows // 4)})
    sink = io.BytesIO()
    pq.write_table(table, sink, use_dictionary=True)
    data = sink.getvalue()
    assert len(data) < 200_000
    budget = Budget(10 * MB * LOAD_FACTOR)  # 10 MB of tables
    with pytest.raises(LoadError) as caught:
        read_file("dict.parquet", data, budget=budget)
    # 20,000 rows of 2,000 bytes, and a 16-byte view each for both columns: 40,640,000 bytes,
    # 38.8 MB of 1,048,576 bytes.
    assert "about 20,000 rows and 39 MB in memory once read" in str(caught.value)
    # The same rows with 10-byte names fit.
    short = pa.table({"order_id": [f"O{i}" for i in range(rows)], "product": ["Mug"] * rows})
    sink = io.BytesIO()
    pq.write_table(short, sink, use_dictionary=True)
    assert read_file("short.parquet", sink.getvalue(), budget=budget)[0].frame.height == rows


def test_text_under_a_parquet_zip_or_gzip_name_is_read_as_a_table():
    """A CSV renamed .parquet or .zip, or a .csv.gz never compressed, was refused as a damaged
    parquet, zip or gzip (with Python's "Not a gzipped file (b'or')")."""
    csv = b"order,date,amount\no1,2024-01-02,3.5\no2,2024-01-03,4\n"
    for name, suffix in (("a.parquet", ".parquet"), ("a.zip", ".zip"), ("a.csv.gz", ".gz")):
        (table,) = read_file(name, csv)
        assert table.frame.rows() == [("o1", "2024-01-02", "3.5"), ("o2", "2024-01-03", "4")]
        assert f"named {suffix} but it is text: read as CSV" in table.notes
    # Binary bytes without the signature are still a damaged file of that kind.
    with pytest.raises(LoadError) as caught:
        read_file("cut.parquet", b"PAR1\x00\x15\x04" + b"\x00" * 40)
    assert str(caught.value).endswith("it is damaged or cut short, export it again")
    # Binary by its control characters alone (no NUL byte): a damaged file of that kind too.
    for name, kind in (("cut.parquet", "parquet"), ("cut.zip", "zip"), ("cut.gz", "gzip")):
        with pytest.raises(LoadError) as caught:
            read_file(name, bytes(range(1, 256)) * 4)
        assert kind in str(caught.value) and "damaged or cut short" in str(caught.value)


def test_what_keeps_a_parquet_file_from_a_lazy_scan_is_told_without_pyarrow_for_a_plain_one(
    tmp_path,
):
    """`python -m lib rfm FILE.parquet` peaked 60 MB higher since this check read every file's
    schema through pyarrow (imported for it alone). A plain file is told by polars from its
    footer, pyarrow never imported; a file with times at a fixed UTC offset or two columns of
    one name is still named for what it is (pyarrow reads those schemas)."""
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = tmp_path / "plain.parquet"
    pl.DataFrame({"order_id": ["O1"], "ordered_at": [dt.datetime(2024, 1, 1)]}).write_parquet(plain)
    offset = tmp_path / "offset.parquet"
    at = pa.array([dt.datetime(2024, 1, 1)], pa.timestamp("us", tz="+05:30"))
    pq.write_table(pa.table({"ordered_at": at}), offset)
    repeated = tmp_path / "repeated.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], ["a", "a"]), repeated)
    # A column named like an offset sends the file to pyarrow, which finds nothing wrong.
    named = tmp_path / "named.parquet"
    pl.DataFrame({"+05:30": [1]}).write_parquet(named)
    assert lib_io.lazy_parquet_problem(offset) == (
        "column 'ordered_at' holds times with a fixed UTC offset (+05:30)"
    )
    assert lib_io.lazy_parquet_problem(repeated) == "two columns are named 'a'"
    assert lib_io.lazy_parquet_problem(named) == ""
    script = (
        "import sys; from lib import io; "
        f"said = io.lazy_parquet_problem({str(plain)!r}); "
        "print(repr(said), 'pyarrow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "'' False"


# --- OpenDocument spreadsheets ------------------------------------------------------------------

ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)

ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def ods_cell(value: object = None, repeat: int = 1, text: str = "") -> str:
    """A cell as LibreOffice writes it: a number, a string (or `text`, its paragraph's XML), or
    empty (None); `repeat` times."""
    times = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is None and not text:
        return f"<table:table-cell{times}/>"
    if isinstance(value, (int, float)):
        kind = f'office:value-type="float" office:value="{value}"'
    else:
        kind = 'office:value-type="string"'
    return f"<table:table-cell{times} {kind}><text:p>{text or value}</text:p></table:table-cell>"


def ods_row(*cells: str, repeat: int = 1) -> str:
    times = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{times}>{''.join(cells)}</table:table-row>"


def ods_bytes(*sheets: tuple[str, list[str]], head: str = ODS_HEAD) -> bytes:
    """An OpenDocument spreadsheet of `sheets` (a name and its rows' XML)."""
    tables = "".join(
        f'<table:table table:name="{name}">{"".join(rows)}</table:table>' for name, rows in sheets
    )
    content = head + tables + "</office:spreadsheet></office:body></office:document-content>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


ODS_HEADER = ods_row(ods_cell("order"), ods_cell("customer"), ods_cell("amount"))
ODS_CELLS = (ods_cell("O1"), ods_cell("C1"), ods_cell(2.5))


def no_read(monkeypatch) -> None:
    monkeypatch.setattr(pl, "read_excel", lambda *a, **k: pytest.fail("read before the check"))


def test_an_opendocument_sheet_is_measured_as_calamine_builds_it() -> None:
    """Rows and cells as often as they repeat, to the last value (the empty rows after it, as
    LibreOffice writes them to the sheet's end, are not built); a string cell's text as its
    content's XML (`<text:p>O1</text:p>`: 17 bytes + the text), its repeated spaces counted."""
    data = ods_bytes(
        (
            "data",
            [
                ODS_HEADER,
                ods_row(*ODS_CELLS, repeat=4),
                ods_row(ods_cell(None, 1024), repeat=10),  # empty rows between values: built
                ods_row(ods_cell(), ods_cell("tail"), ods_cell(None, 1021)),
                ods_row(ods_cell(None, 1024), repeat=1_048_000),  # to the sheet's end: not
            ],
        ),
        (
            "notes",
            [
                ods_row(ods_cell("note"), ods_cell("a"), ods_cell("b")),
                ods_row(ods_cell(text='a<text:s text:c="1000"/>b'), ods_cell("x", repeat=2)),
                # A value without a value type, and a formula: calamine reads both.
                ods_row(
                    '<table:table-cell table:number-columns-repeated="2" office:value="3" '
                    'table:formula="of:=1+2"/>'
                ),
            ],
        ),
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("content.xml") as stream:
        sheets, cut = lib_io._ods_sheets(stream, 10**9, 10**12)
    data_sheet, notes = sheets
    assert (data_sheet.rows, data_sheet.columns, data_sheet.cells) == (16, 3, 3 + 4 * 3 + 1)
    # order, customer, amount: 22 + 25 + 23; O1 and C1 four times: 4 x 38; tail: 21.
    assert data_sheet.text == 70 + 152 + 21
    assert (notes.rows, notes.columns, notes.cells) == (3, 3, 8)
    # note, a, b: 21 + 18 + 18; <text:p>a<text:s text:c="1000"/>b</text:p>: 42 bytes and 1,000
    # spaces; x twice: 2 x 18; the formula of:=1+2 twice: 2 x 7.
    assert notes.text == 57 + 1_042 + 36 + 14
    # Calamine builds what was measured: the spaces, the repeated rows and cells.
    read = {t.name: t.frame for t in read_file("book.ods", data)}
    assert read["book.ods/notes"].row(0) == ("a" + " " * 1000 + "b", "x", "x")
    assert read["book.ods/notes"].height == 2
    assert read["book.ods/data"]["order"].to_list() == ["O1"] * 4 + [None]


def test_an_opendocument_sheet_of_repeated_rows_is_refused_before_it_is_read(monkeypatch) -> None:
    """The hostile-uploads audit: 880 bytes of file repeating one row of values a million times
    held 712 MB. Counted before calamine reads it: 1,000,001 rows of 3 cells, 240 MB of them."""
    data = ods_bytes(("data", [ODS_HEADER, ods_row(*ODS_CELLS, repeat=10**6)]))
    assert len(data) < 1_000
    no_read(monkeypatch)
    error = load_error("orders.ods", data)
    assert error.file == "orders.ods"
    assert error.message.startswith(
        "is too large to analyse here: it would be about 1.0 million rows and "
    )
    assert "(a sheet of 3.0 million cells)" in error.message


def test_an_opendocument_cell_of_repeated_spaces_is_refused_by_the_text_it_becomes(
    monkeypatch,
) -> None:
    """A text:s of text:c="20000000" is 20 million spaces in calamine's cell (50 million took
    290 MB to read): counted three times, 60 MB, refused under 50 MB of tables."""
    spaces = ods_row(ods_cell("O1"), ods_cell(text='<text:s text:c="20000000"/>'), ods_cell(1))
    data = ods_bytes(("data", [ODS_HEADER, spaces]))
    no_read(monkeypatch)
    error = load_error("notes.ods", data, budget=tiny(50))
    assert error.message.startswith("is too large to analyse here: it would be about 2 rows and 57")
    assert "(a sheet of 6 cells)" in error.message


def test_the_sheets_of_an_opendocument_file_are_counted_together() -> None:
    """Calamine reads every sheet at once: two sheets of 40,000 repeated lines (about 14 MB
    each: 120,003 cells of 80 bytes and 80,000 texts of 19 bytes, three times) fit 20 MB alone,
    not together."""
    sheet = [ODS_HEADER, ods_row(*ODS_CELLS, repeat=40_000)]
    (table,) = read_file("one.ods", ods_bytes(("a", sheet)), budget=tiny(20))
    assert table.frame.height == 40_000
    error = load_error("two.ods", ods_bytes(("a", sheet), ("b", sheet)), budget=tiny(20))
    assert error.message.startswith("is too large to analyse here: it would be about 40,001 rows")


def test_an_opendocument_value_far_right_of_the_table_is_named_as_the_cause(monkeypatch) -> None:
    """One value in column 16,000 and 300,000 lines below: calamine's grid of 4.8 billion
    cells, from 300,004 values."""
    far = ods_row(ods_cell(None, 15_999), ods_cell(1))
    data = ods_bytes(("data", [ODS_HEADER, far, ods_row(ods_cell(7), repeat=300_000)]))
    no_read(monkeypatch)
    error = load_error("far.ods", data)
    assert error.message.startswith(
        "is too large to read as it is: a sheet's 300,004 cells reach cell WQJ300002, read as a "
        "grid of 4.8 billion cells from A1."
    )


def test_opendocument_content_that_is_no_plain_xml_is_refused_with_what_to_do() -> None:
    """Measured by expat: a document type (entities, which calamine reads not) or XML that is
    not well-formed is refused, naming the file, not read blind."""
    doctype = ODS_HEAD.replace("?>", '?><!DOCTYPE x [<!ENTITY e "eeeeeeeeee">]>', 1)
    error = load_error("typed.ods", ods_bytes(("data", [ODS_HEADER]), head=doctype))
    assert (error.file, error.message) == (
        "typed.ods",
        "could not be read as a spreadsheet: its content (it has a document type declaration) is "
        "not "
        "as LibreOffice or Excel write it. Open it in one of them and save it again as .xlsx",
    )
    # A table within a sheet, a row within a cell: calamine reads them its own way.
    nested = [ODS_HEADER, '<table:table table:name="in">', ods_row(*ODS_CELLS), "</table:table>"]
    error = load_error("nested.ods", ods_bytes(("data", nested)))
    assert "its content (it has a table within a sheet) is not as" in error.message
    inner = ods_row(ods_cell(text=ods_row(*ODS_CELLS, repeat=10**6)))
    error = load_error("inner.ods", ods_bytes(("data", [ODS_HEADER, inner])))
    assert "its content (it has a row within a cell) is not as" in error.message
    twice = ODS_HEADER.replace("<table:table-row>", '<table:table-row a="1" a="2">')
    error = load_error("twice.ods", ods_bytes(("data", [twice])))
    assert error.message.startswith(
        "could not be read as a spreadsheet: its content (duplicate attribute: line 1, column"
    )
    # As LibreOffice writes a sheet (empty cells and rows to its end): read under 1 MB.
    tail = [ods_row(ods_cell(None, 1021), repeat=1), ods_row(ods_cell(None, 1024), repeat=10**6)]
    office = [ODS_HEADER.replace("</table:table-row>", ods_cell(None, 1021) + "</table:table-row>")]
    (table,) = read_file(
        "office.ods", ods_bytes(("data", office + [ods_row(*ODS_CELLS)] + tail)), budget=tiny(1)
    )
    assert table.frame.rows() == [("O1", "C1", 2.5)]


def test_opendocument_files_measured_wrong_before_are_refused_before_calamine_reads_them(
    monkeypatch,
) -> None:
    """The reviewer's: each passed the measure and then took gigabytes in calamine (or stopped
    the process), or took minutes to measure."""
    no_read(monkeypatch)
    row = ods_row(*[ods_cell(1)] * 16)
    # A count of 4,400 leading zeros and 1,048,576: no number to int(), 1,048,576 to Rust.
    padded = row.replace(
        "<table:table-row>", f'<table:table-row table:number-rows-repeated="{"0" * 4400}1048576">'
    )
    error = load_error("padded.ods", ods_bytes(("s", [ODS_HEADER, padded])))
    assert error.message.startswith("is too large to analyse here: it would be about 1.0 million")
    letters = row.replace("<table:table-row>", '<table:table-row table:number-rows-repeated="2x">')
    error = load_error("letters.ods", ods_bytes(("s", [ODS_HEADER, letters])))
    assert "its content (a count it cannot read (table:number-rows-repeated='2x'))" in (
        error.message
    )
    # A zip whose parts Python reads apart from calamine's reader: refused, not read unmeasured.
    bomb = ods_bytes(("s", [ODS_HEADER, ods_row(*[ods_cell(1)] * 16, repeat=10**6)]))
    renamed = bomb.replace(b"content.xml", b"content.xmX", 1)  # its local name differs
    assert load_error("renamed.ods", renamed).message.startswith(
        "could not be read as an Excel workbook: its zip archive is damaged (File name in "
        "directory 'content.xml' and header b'content.xmX' differ)"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bomb)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            if info.filename == "content.xml":  # named by Info-ZIP's Unicode path field
                info.filename, info.extra = "junk.xml", b"\x75\x70\x10\x00" + b"\x01" * 16
            out.writestr(info, source.read(info.orig_filename))
    assert "its zip archive is damaged (a part is renamed in an extra field)" in (
        load_error("unicode.ods", buffer.getvalue()).message
    )
    # 20 MB of text in a number's cell: calamine holds it whole to read past it.
    text = ods_row(
        ods_cell(1).replace("<text:p>1</text:p>", "<text:p>" + "x" * (20 * MB) + "</text:p>")
    )
    error = load_error("text.ods", ods_bytes(("s", [ODS_HEADER, text])), budget=tiny(15))
    assert error.message.startswith("is too large to analyse here: it would be about 2 rows and 20")
    # A 20 MB attribute, held whole by expat, scanned again with each chunk (300 MB: 45 s).
    tag = ODS_HEADER.replace("<table:table-row>", f'<table:table-row a="{"y" * 20 * MB}">')
    assert "its content (more than 16 MB of content in one piece)" in (
        load_error("tag.ods", ods_bytes(("s", [tag]))).message
    )
    # Tags past what the budget's cells could have: 1 MB of tables, 43,690 tags at most.
    empty = ods_bytes(("s", [ODS_HEADER, "<a/>" * 100_000]))
    assert load_error("tags.ods", empty, budget=tiny(1)).message.startswith(
        "is too large to analyse here: its sheets hold more than 43,691 tags, more than 1.0 MB of "
        "tables take"
    )
    # More columns than the app reads: refused before fastexcel names 4,000 columns alike.
    wide = ods_row(ods_cell("x", repeat=3_000))
    assert load_error("wide.ods", ods_bytes(("s", [wide]))).message.startswith(
        "has 3,000 columns; this app reads at most 2,000"
    )


def test_a_rust_readers_panic_is_said_as_a_file_that_could_not_be_read(monkeypatch) -> None:
    """pyo3's PanicException derives from BaseException: it went past read_file's handler."""

    class PanicException(BaseException):
        pass

    def panics(*args: object, **kwargs: object) -> None:
        raise PanicException("capacity overflow")

    monkeypatch.setattr(pl, "read_excel", panics)
    error = load_error("orders.ods", ods_bytes(("s", [ODS_HEADER, ods_row(*ODS_CELLS)])))
    assert (error.file, error.message) == ("orders.ods", "could not be read: capacity overflow")
