"""Writes the hostile and broken corpus: `python -m tests.corpus.generate OUT_DIR [NAME...]`.

Each Case is one kind of file people upload by mistake or on purpose (empty, binary, bombs,
odd encodings, wrong columns, invalid values, injection strings) with what the app must do
with it. Files are made here, never committed: the largest unpack to gigabytes from a few MB.
"""

from __future__ import annotations

import codecs
import gzip
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RETAIL_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
BASELINE = "baseline_retail.csv"
BASELINE_LINES = 600
BASELINE_FIRST_INVOICE = 900_000  # every other file's invoices are below it
_ITEMS = (
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", "2.55"),
    ("71053", "WHITE METAL LANTERN", "3.39"),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", "2.75"),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", "7.65"),
    ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", "4.25"),
)
_COUNTRIES = ("United Kingdom", "France", "Germany", "EIRE", "Spain")


@dataclass(frozen=True)
class Case:
    """One corpus file and what loading it must give.

    expect: "refused" (a LoadError naming the file), "unmapped" (read, but no known export and no
    usable column mapping), "dropped" (recognised, but every row of it is rejected) or "loaded".
    says: lowercase words the message about the file must contain. lines: order lines the file
    gives on its own. stacks: its lines join the baseline's (an Online Retail file).
    heavy: measured in a process of its own, for its peak memory.
    """

    file: str
    make: Callable[[Path], None]
    expect: str
    says: tuple[str, ...] = ()
    lines: int | None = None
    stacks: bool = False
    heavy: bool = False


def _retail_rows(
    n: int,
    *,
    first_invoice: int = 500_000,
    date: Callable[[int], str] = lambda i: (
        f"2022-{1 + i % 12:02d}-{1 + i % 28:02d} 10:{i % 60:02d}:00"
    ),
    price: Callable[[int], str] | None = None,
    description: Callable[[int], str] | None = None,
    quantity: Callable[[int], str] = lambda i: str(1 + i % 7),
    customer: Callable[[int], str] = lambda i: str(12_000 + i % 37),
) -> list[str]:
    rows = []
    for i in range(n):
        code, name, unit = _ITEMS[i % len(_ITEMS)]
        rows.append(
            ",".join(
                (
                    str(first_invoice + i // 3),
                    code,
                    _quoted(description(i) if description else name),
                    quantity(i),
                    _quoted(date(i)),
                    price(i) if price else unit,
                    customer(i),
                    _COUNTRIES[i % len(_COUNTRIES)],
                )
            )
        )
    return rows


def _quoted(text: str) -> str:
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def retail_csv(n: int = 40, **kwargs: object) -> bytes:
    """An Online Retail export of n lines (ISO dates unless `date` says otherwise)."""
    return ("\n".join([RETAIL_HEADER, *_retail_rows(n, **kwargs)]) + "\n").encode()  # type: ignore[arg-type]


def _write(data: bytes | Callable[[], bytes]) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(data() if callable(data) else data)

    return make


# --- containers -------------------------------------------------------------------------------


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return buffer.getvalue()


def _raw_zip(members: list[tuple[str, bytes, int, int]], flags: int = 0) -> bytes:
    """A zip from already deflated members (name, deflated bytes, crc, unpacked size).

    zipfile can only compress what it is given; a bomb's gigabytes are deflated once and reused.
    """
    out = io.BytesIO()
    central = io.BytesIO()
    for name, packed, crc, size in members:
        offset = out.tell()
        raw = name.encode()
        header = (8, 0, 0x21, crc, len(packed), size, len(raw))
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, *header[:3], *header[3:], 0))
        out.write(raw)
        out.write(packed)
        central.write(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                flags,
                8,
                0,
                0x21,
                crc,
                len(packed),
                size,
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        central.write(raw)
    start = out.tell()
    directory = central.getvalue()
    out.write(directory)
    count = len(members)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))
    return out.getvalue()


def _deflated_repeats(block: bytes, times: int) -> bytes:
    """Raw deflate of `block` repeated `times` times, compressing the block only once.

    A full flush resets the compressor, so every repeat of the block deflates to the same bytes.
    """
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    once = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    return once * times + compressor.flush()


def _gzip_repeats(head: bytes, block: bytes, times: int) -> bytes:
    """A multi-member gzip: `head`, then `block` `times` times (one member, reused)."""
    member = gzip.compress(block, compresslevel=6, mtime=0)
    return gzip.compress(head, mtime=0) + member * times


def _valid_rows_block(size: int) -> bytes:
    # 150 distinct lines fit deflate's 32 KB window: the block packs some 1:150, like a real bomb.
    rows = "\n".join(_retail_rows(150, first_invoice=100_000)) + "\n"
    return (rows * (size // len(rows) + 1)).encode()[:size].rsplit(b"\n", 1)[0] + b"\n"


def _gzip_900mb_of_csv(path: Path) -> None:
    block = _valid_rows_block(100 * 1024 * 1024)
    path.write_bytes(_gzip_repeats((RETAIL_HEADER + "\n").encode(), block, 9))


def _gzip_zeros(path: Path) -> None:
    path.write_bytes(_gzip_repeats(b"", bytes(16 * 1024 * 1024), 640))  # 10 GB of zeros


def _zip_zeros(path: Path) -> None:
    block = bytes(64 * 1024 * 1024)
    times = 48  # 3 GB, declared honestly
    # The CRC is never reached: the member is refused long before its end.
    path.write_bytes(_raw_zip([("orders.csv", _deflated_repeats(block, times), 0, 3 << 30)]))


def _zip_lying_sizes(path: Path) -> None:
    """Declares 1 MB but deflates to 1 GB: zipfile stops at the declared size, the CRC fails."""
    block = bytes(64 * 1024 * 1024)
    path.write_bytes(_raw_zip([("orders.csv", _deflated_repeats(block, 16), 0, 1 << 20)]))


def _zip_gzip_bomb(path: Path) -> None:
    path.write_bytes(
        _zip(
            {"orders.csv.gz": _gzip_repeats(b"", bytes(16 * 1024 * 1024), 128)}, zipfile.ZIP_STORED
        )
    )


def _zip_three_large_members(path: Path) -> None:
    """Three members of 100 MB valid CSV each: past the budget together, not alone."""
    block = (RETAIL_HEADER + "\n").encode() + _valid_rows_block(100 * 1024 * 1024)
    packed = _deflated_repeats(block, 1)
    crc = zlib.crc32(block)
    path.write_bytes(_raw_zip([(f"part{i}.csv", packed, crc, len(block)) for i in (1, 2, 3)]))


def _zip_password(path: Path) -> None:
    """A member flagged as encrypted (zipfile cannot write real encryption; the flag suffices)."""
    content = retail_csv(5)
    packed = zlib.compress(content)[2:-4]
    path.write_bytes(_raw_zip([("orders.csv", packed, zlib.crc32(content), len(content))], 1))


def _parquet_20m_rows(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 1_000_000
    block = pa.table(
        {
            "InvoiceNo": pa.repeat("536365", rows),
            "InvoiceDate": pa.repeat("2022-12-01 08:26:00", rows),
            "UnitPrice": pa.repeat(2.55, rows),
        }
    )
    with pq.ParquetWriter(path, block.schema, compression="zstd") as writer:
        for _ in range(20):
            writer.write_table(block)


def _parquet_bytes(frame_columns: dict[str, list]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table(frame_columns), buffer)
    return buffer.getvalue()


def _xlsx(sheets: dict[str, list[list[object]]], far_cell: tuple[int, int] | None = None) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        for name, rows in sheets.items():
            sheet = workbook.add_worksheet(name)
            for r, row in enumerate(rows):
                sheet.write_row(r, 0, row)
            if far_cell:
                sheet.write(*far_cell, 1)
    return buffer.getvalue()


def _retail_sheet(n: int) -> list[list[object]]:
    rows = [line.split(",") for line in _retail_rows(n, first_invoice=400_000)]
    return [RETAIL_HEADER.split(","), *rows]


# --- text -------------------------------------------------------------------------------------


def _single_line(path: Path) -> None:
    path.write_bytes(b",".join(b"field%d" % i for i in range(600_000)))  # 5 MB, no line end


def _wide_header(path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(100_000))
    path.write_bytes(f"{header}\n{','.join(['1'] * 100_000)}\n".encode())


def _narrow_rows(path: Path) -> None:
    path.write_bytes(b"a,b\n" + b"1,2\n" * 2_000_000)


def _long_column_name() -> bytes:
    name = "A" * 20_000
    rows = [f"{name},order_date,amount,customer"]
    rows += [f"x{i},2022-03-{1 + i % 28:02d},{10 + i % 9}.50,c{i % 40}" for i in range(400)]
    return ("\n".join(rows) + "\n").encode()


def _five_hundred_columns() -> bytes:
    names = ["order_date", "amount", "customer", "order"] + [f"metric_{i}" for i in range(496)]
    rows = [",".join(names)]
    for i in range(280):
        rows.append(
            ",".join(
                [f"2022-01-{1 + i % 28:02d}", f"{5 + i % 11}.25", f"c{i % 30}", f"o{i}"]
                + [str((i * j) % 97) for j in range(496)]
            )
        )
    return ("\n".join(rows) + "\n").encode()


_STYLES = (
    lambda d, m: f"2022-{m:02d}-{d:02d} 10:00:00",
    lambda d, m: f"{m}/{d}/2022 10:00",
    lambda d, m: f"{d:02d}.{m:02d}.2022",
    lambda d, m: f"{('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun')[m - 1]} {d}, 2022",
    lambda d, m: f"2022{m:02d}{d:02d}",
)


def _mixed_styles(i: int) -> str:
    # Days above 12 keep every style unambiguous, as in a real mix of exports.
    return _STYLES[i % len(_STYLES)](13 + i % 15, 1 + i % 6)


MARKDOWN = (
    "![img](http://127.0.0.1:9/x.png)",
    "**bold** _it_ `code`",
    "$$\\frac{1}{0}$$",
    ":red[alarm] :material/warning:",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1)) https://example.com",
    "# Heading\n- list",
)
FORMULAS = (
    '=HYPERLINK("http://x.example","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\tTAB",
)


def _olist_orders(columns: list[str], date: str = "2018-01-0{d} 10:00:00") -> bytes:
    rows = [",".join(columns)]
    for i in range(30):
        rows.append(
            ",".join(
                [f"o{i:05d}", f"c{i:05d}", "delivered", date.format(d=1 + i % 9)]
                + ["2018-01-10 10:00:00"] * (len(columns) - 4)
            )
        )
    return ("\n".join(rows) + "\n").encode()


OLIST_ORDER_COLUMNS = [
    "order_id",
    "customer_id",
    "order_status",
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
]


def _webshop_orders_null_dates() -> bytes:
    rows = [
        "invoice_id,line_item_id,user_id,item_id,item_name,item_category,price,created_at,paid_at"
    ]
    rows += [f"{i},{i},{i % 9},{i % 4},thing,cat,9.99,NULL,NULL" for i in range(25)]
    return ("\n".join(rows) + "\n").encode()


def _many_members() -> bytes:
    return _zip({f"part_{i:03d}.csv": retail_csv(2) for i in range(150)})


CASES: tuple[Case, ...] = (
    # --- nothing to read ---
    Case("empty.csv", _write(b""), "refused", ("empty",)),
    Case("blank_lines.csv", _write(b"\n \n\t\r\n"), "refused", ("empty",)),
    Case("bom_only.csv", _write(codecs.BOM_UTF8), "refused", ("empty",)),
    Case("header_only.csv", _write((RETAIL_HEADER + "\n").encode()), "refused", ("no rows",)),
    Case("empty.csv.gz", _write(gzip.compress(b"")), "refused", ("empty",)),
    # --- not a table ---
    Case("image.csv", _write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4), "refused", ("png",)),
    Case(
        "random.csv", _write(bytes((i * 7919) % 256 for i in range(4096))), "refused", ("binary",)
    ),
    Case("report.csv", _write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "refused", ("pdf",)),
    Case(
        "page.xls",
        _write(b"<html><body><table><tr><td>1</td></tr></table>"),
        "refused",
        ("web page",),
    ),
    Case(
        "export.csv", _write(b'<?xml version="1.0"?><rows><r a="1"/></rows>'), "refused", ("xml",)
    ),
    Case("nul_bytes.csv", _write(b"a,b\n1,\x00\x00\x002\n" * 50), "refused", ("binary",)),
    Case(
        "image.csv.gz",
        _write(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(300))),
        "refused",
        ("png",),
    ),
    # A CSV under a parquet name, or a .csv.gz never compressed: read as the text it is.
    Case(
        "data.parquet", _write(retail_csv(5)), "loaded", ("named .parquet but it is text",), 5, True
    ),
    # --- damaged containers ---
    Case("cut_short.csv.gz", _write(gzip.compress(retail_csv(400))[:300]), "refused", ("gzip",)),
    Case(
        "not_really.csv.gz",
        _write(b"plain text, not gzip\n" * 10),
        "unmapped",
        ("order date",),
    ),
    Case("damaged.zip", _write(_zip({"orders.csv": retail_csv(50)})[:200]), "refused", ("zip",)),
    Case(
        "nested.zip",
        _write(_zip({"inner.zip": _zip({"a.csv": retail_csv(5)})})),
        "refused",
        ("no data files", "unpack the inner zip"),
    ),
    Case(
        "readme_only.zip",
        _write(_zip({"README.md": b"# hi", "logo.png": b"\x89PNG"})),
        "refused",
        ("no data files",),
    ),
    Case("password.zip", _zip_password, "refused", ("password",)),
    Case("many_members.zip", _write(_many_members), "refused", ("at most 100",)),
    Case("damaged.parquet", _write(b"PAR1" + bytes(200) + b"PAR1"), "refused", ("parquet",)),
    Case(
        "no_rows.parquet",
        _write(lambda: _parquet_bytes({"InvoiceNo": [], "UnitPrice": []})),
        "refused",
        ("no rows",),
    ),
    Case("damaged.xlsx", _write(b"PK\x03\x04" + bytes(300)), "refused", ("excel",)),
    Case("zip_lying_sizes.zip", _zip_lying_sizes, "refused", ("crc",), heavy=True),
    # --- too large once unpacked or read ---
    Case(
        "orders_900mb.csv.gz",
        _gzip_900mb_of_csv,
        "refused",
        ("too large", "million rows"),
        heavy=True,
    ),
    Case("zeros_10gb.csv.gz", _gzip_zeros, "refused", ("unpacks to more than",), heavy=True),
    Case("zeros_3gb.zip", _zip_zeros, "refused", ("unpacks to 3.0 gb, more than",), heavy=True),
    Case("gzip_in_zip.zip", _zip_gzip_bomb, "refused", ("unpacks to more than",), heavy=True),
    Case(
        "three_parts.zip", _zip_three_large_members, "refused", ("unpacks to 300 mb",), heavy=True
    ),
    Case(
        "rows_20m.parquet",
        _parquet_20m_rows,
        "refused",
        ("20.0 million rows", "too large"),
        heavy=True,
    ),
    Case("narrow_2m_rows.csv", _narrow_rows, "refused", ("2.0 million rows",), heavy=True),
    Case("single_line_5mb.csv", _single_line, "refused", ("first line",), heavy=True),
    Case("columns_100k.csv", _wide_header, "refused", ("100,000 columns",), heavy=True),
    Case(
        "far_cell.xlsx",
        _write(lambda: _xlsx({"data": [["a", "b"], [1, 2]]}, far_cell=(1_048_575, 16_383))),
        "refused",
        ("too large", "cells"),
        heavy=True,
    ),
    # --- encodings, separators and layouts that must still read ---
    Case(
        "utf16_bom.csv",
        _write(codecs.BOM_UTF16_LE + retail_csv(40).decode().encode("utf-16-le")),
        "loaded",
        ("utf-16",),
        40,
        True,
    ),
    Case(
        "utf16_be_no_bom.csv",
        _write(retail_csv(40).decode().encode("utf-16-be")),
        "loaded",
        ("utf-16",),
        40,
        True,
    ),
    Case(
        "latin1.csv",
        _write(retail_csv(40, description=lambda i: f"CAFÉ MUG £{i}").decode().encode("cp1252")),
        "loaded",
        ("latin-1",),
        40,
        True,
    ),
    Case(
        "semicolons.csv",
        _write(
            lambda: (
                retail_csv(
                    40,
                    date=lambda i: f"{13 + i % 15}.0{1 + i % 9}.2022 10:00",
                    price=lambda i: f"{i},50",
                )
                .replace(b",", b";")
                .replace(b";50", b",50")
            )
        ),
        "loaded",
        ("separator",),
        40,
        True,
    ),
    Case(
        "tabs.tsv",
        _write(lambda: retail_csv(40).replace(b",", b"\t")),
        "loaded",
        ("tab",),
        40,
        True,
    ),
    Case(
        "pipes.txt",
        _write(lambda: retail_csv(40).replace(b",", b"|")),
        "loaded",
        ("'|'",),
        40,
        True,
    ),
    Case(
        "cr_only.csv",
        _write(lambda: retail_csv(40).replace(b"\n", b"\r")),
        "loaded",
        ("carriage returns",),
        40,
        True,
    ),
    Case(
        "excel_hint.csv",
        _write(lambda: b"sep=;\n" + retail_csv(40).replace(b",", b";")),
        "loaded",
        ("separator",),
        40,
        True,
    ),
    Case(
        "title_lines.csv",
        _write(lambda: b"Sales report\nExported 2023-01-01\n\n" + retail_csv(40)),
        "loaded",
        ("skipped 3 lines",),
        40,
        True,
    ),
    Case(
        "ragged.csv",
        _write(
            lambda: (
                retail_csv(40) + b"500100,X,EXTRA,1,2022-01-01 10:00:00,1.0,12000,France,surplus\n"
            )
        ),
        "loaded",
        ("different number of fields",),
        41,
        True,
    ),
    Case(
        "quoted_newlines.csv",
        _write(lambda: retail_csv(40, description=lambda i: f"LINE ONE\r\nLINE TWO, {i}")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "bzip2_member.zip",
        _write(lambda: _zip({"orders.csv": retail_csv(40)}, zipfile.ZIP_BZIP2)),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "saved_as.xlsx",
        _write(lambda: retail_csv(40)),
        "loaded",
        ("excel workbook but it is text",),
        40,
        True,
    ),
    Case(
        "workbook_with_notes.xlsx",
        _write(
            lambda: _xlsx({"data": _retail_sheet(40), "Notes": [["Read me"], ["Exported by hand"]]})
        ),
        "loaded",
        ("notes",),
        40,
        True,
    ),
    Case(
        "aligned.txt",
        _write(
            lambda: b"".join(
                b"%05d  2022%02d%02d  %d  %d.%02d\n"
                % (i % 50, 1 + i % 12, 1 + i % 28, 1 + i % 3, 10 + i, i % 100)
                for i in range(300)
            )
        ),
        "loaded",
        ("spaces",),
        300,
    ),
    # --- columns nobody can map ---
    Case(
        "wrong_columns.csv",
        _write(b"name,colour,size\n" + b"shirt,red,M\nhat,blue,L\n" * 20),
        "unmapped",
        ("order date",),
    ),
    Case("one_column.csv", _write(b"value\n" + b"abc\n" * 30), "unmapped", ("order date",)),
    Case(
        "headerless_numbers.csv",
        _write(b"".join(b"%d,%d,%d\n" % (i, i * 2, i * 3) for i in range(50))),
        "unmapped",
        ("order date",),
    ),
    Case(
        "olist_orders_dataset.csv",
        _write(
            lambda: _olist_orders(
                [
                    "order_id",
                    "customer_id",
                    "status",
                    "purchased",
                    "approved",
                    "carrier",
                    "delivered",
                    "estimated",
                ]
            )
        ),
        "unmapped",
        ("olist orders", "order_purchase_timestamp", "order_status"),
    ),
    # --- every row rejected ---
    Case(
        "dates_invalid.csv",
        _write(lambda: retail_csv(40, date=lambda i: "not a date")),
        "dropped",
        ("invoicedate", "not a date"),
    ),
    Case(
        "year_2999.csv",
        _write(lambda: retail_csv(40, date=lambda i: f"2999-01-{1 + i % 28:02d} 10:00:00")),
        "dropped",
        ("invoicedate", "2999", "outside the years"),
    ),
    Case(
        "all_empty.csv",
        _write((RETAIL_HEADER + "\n" + ",,,,,,,\n" * 40).encode()),
        "dropped",
        ("invoicedate", "empty"),
    ),
    Case(
        "olist_orders_no_dates.csv",
        _write(lambda: _olist_orders(OLIST_ORDER_COLUMNS, date="soon{d}")),
        "dropped",
        ("order_purchase_timestamp", "soon1"),
    ),
    Case(
        "webshop_orders_null_dates.csv",
        _write(_webshop_orders_null_dates),
        "dropped",
        ("created_at", "empty"),
    ),
    # --- invalid values among valid rows ---
    Case(
        "inf_prices.csv",
        _write(
            lambda: retail_csv(
                40, price=lambda i: ("inf", "-inf", "1e308", "Infinity", "2.5")[i % 5]
            )
        ),
        "loaded",
        ("unitprice", "inf", "1e308", "left out"),
        8,  # the 32 lines without a usable price are left out: their revenue is unknown
        True,
    ),
    Case(
        "huge_quantities.csv",
        _write(lambda: retail_csv(40, quantity=lambda i: "1e20" if i % 4 == 0 else "2")),
        "loaded",
        ("quantity", "1e20", "left out"),
        30,  # the 10 lines of 1e20 units are left out: their revenue is unknown
        True,
    ),
    Case(
        "some_bad_dates.csv",
        _write(
            lambda: retail_csv(
                40, date=lambda i: "31/02/2022" if i < 10 else f"2022-03-{1 + i % 28:02d} 09:00:00"
            )
        ),
        "loaded",
        ("invoicedate", "10", "31/02/2022"),
        30,
        True,
    ),
    Case(
        "negative.csv",
        _write(lambda: retail_csv(40, quantity=lambda i: "-3", price=lambda i: "-1.5")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "float_ids.csv",
        _write(lambda: retail_csv(40, customer=lambda i: f"{17850 + i % 5}.0")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    # --- dates in several styles ---
    Case(
        "us_dates.csv",
        _write(lambda: retail_csv(60, date=lambda i: f"12/{13 + i % 15}/2022 7:38")),
        "loaded",
        ("retail",),
        60,
        True,
    ),
    Case(
        "day_first_dates.csv",
        _write(lambda: retail_csv(60, date=lambda i: f"{13 + i % 15}/12/2022 07:38")),
        "loaded",
        ("retail",),
        60,
        True,
    ),
    Case(
        "two_digit_years.csv",
        _write(lambda: retail_csv(40, date=lambda i: f"12/{13 + i % 15}/22 7:38")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "mixed_date_styles.csv",
        _write(lambda: retail_csv(3_000, date=_mixed_styles)),
        "loaded",
        ("retail",),
        3_000,
        True,
    ),
    Case(
        "ambiguous_dates.csv",
        _write(lambda: retail_csv(40, date=lambda i: f"0{1 + i % 9}/0{1 + i % 8}/2022")),
        "loaded",
        ("ambiguous",),
        40,
        True,
    ),
    # --- names and text that must stay inert ---
    Case(
        "duplicate_headers.csv",
        _write(
            b"date,date,amount,amount,customer\n"
            + b"2022-01-05,x,3.5,1,c1\n2022-01-06,y,4.5,2,c2\n" * 20
        ),
        "loaded",
        ("2 columns named 'date'",),
        40,
    ),
    Case("long_column_name.csv", _write(_long_column_name), "loaded", ("order_date",), 400),
    Case("columns_500.csv", _write(_five_hundred_columns), "loaded", ("order_date",), 280),
    Case(
        "markdown_text.csv",
        _write(lambda: retail_csv(42, description=lambda i: MARKDOWN[i % len(MARKDOWN)])),
        "loaded",
        ("retail",),
        42,
        True,
    ),
    Case(
        "formula_text.csv",
        _write(lambda: retail_csv(40, description=lambda i: FORMULAS[i % len(FORMULAS)])),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "control_chars.csv",
        _write(lambda: retail_csv(40, description=lambda i: f"BELL\x07 ESC\x1b[31mRED\x1b[0m {i}")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "emoji_rtl.csv",
        _write(lambda: retail_csv(40, description=lambda i: f"🎁 هدية 礼物 {i} \u202egnp.exe")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
    Case(
        "huge_cell.csv",
        _write(lambda: retail_csv(40, description=lambda i: "X" * 500_000 if i == 0 else "MUG")),
        "loaded",
        ("retail",),
        40,
        True,
    ),
)


BASELINE_CASE = Case(
    BASELINE,
    _write(lambda: retail_csv(BASELINE_LINES, first_invoice=BASELINE_FIRST_INVOICE)),
    "loaded",
    (),
    BASELINE_LINES,
)


def write(out: Path, names: set[str] | None = None) -> dict[str, Path]:
    """Write the baseline and every case (or those named) into `out`; their paths by file name."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in (BASELINE_CASE, *CASES):
        if names is not None and case.file not in names and case.file != BASELINE:
            continue
        path = out / case.file
        case.make(path)
        paths[case.file] = path
    return paths


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    paths = write(Path(argv[0]), set(argv[1:]) or None)
    for name, path in paths.items():
        print(f"{path.stat().st_size:>12,}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
