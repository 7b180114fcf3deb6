"""Tests for lib/parse.py: raw values to dates, numbers, ids and text, failures counted."""

import datetime as dt

import polars as pl
import pytest

from lib import parse
from lib.parse import (
    looks_like_datetime,
    looks_like_number,
    to_datetime,
    to_float,
    to_id,
    to_int,
    to_text,
)

D = dt.datetime


def strings(*values: str | None) -> pl.Series:
    return pl.Series("raw", list(values), dtype=pl.String)


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["2017-07-09 21:57:05", "2017-10-02 10:56:33"],
            [D(2017, 7, 9, 21, 57, 5), D(2017, 10, 2, 10, 56, 33)],
        ),
        (
            ["2017-07-09T21:57:05", "2017-07-09T21:57:05.250"],
            [D(2017, 7, 9, 21, 57, 5), D(2017, 7, 9, 21, 57, 5, 250_000)],
        ),
        (["2017-07-09", "2018-02-28"], [D(2017, 7, 9), D(2018, 2, 28)]),
        (["2017-07-09 21:57", "2017-07-10 08:05"], [D(2017, 7, 9, 21, 57), D(2017, 7, 10, 8, 5)]),
        (
            ["2014-12-20 07-07-45", "2015-01-02 23-59-01"],
            [D(2014, 12, 20, 7, 7, 45), D(2015, 1, 2, 23, 59, 1)],
        ),
        (["12/1/2010 8:26", "12/9/2011 12:50"], [D(2010, 12, 1, 8, 26), D(2011, 12, 9, 12, 50)]),
        (["1/13/2011", "2/28/2011"], [D(2011, 1, 13), D(2011, 2, 28)]),
        (
            ["09.07.2017 21:57", "31.12.2017 06:00:30"],
            [D(2017, 7, 9, 21, 57), D(2017, 12, 31, 6, 0, 30)],
        ),
        (["09.07.2017", "31.12.2017"], [D(2017, 7, 9), D(2017, 12, 31)]),
        (["20170709", "19991231"], [D(2017, 7, 9), D(1999, 12, 31)]),
        (["2017/07/09", "2017/12/31"], [D(2017, 7, 9), D(2017, 12, 31)]),
        (
            ["2017-07-09T21:57:05Z", "2017-07-09T21:57:05+02:00", "2017-07-09 21:57 -0500"],
            [D(2017, 7, 9, 21, 57, 5), D(2017, 7, 9, 21, 57, 5), D(2017, 7, 9, 21, 57)],
        ),
    ],
)
def test_each_date_format_gives_exact_datetimes(values: list[str], expected: list[D]) -> None:
    parsed = to_datetime(strings(*values))
    assert parsed.values.dtype == pl.Datetime("us")
    assert parsed.values.dtype.time_zone is None
    assert parsed.values.to_list() == expected
    assert parsed.failures == 0
    assert parsed.values.name == "raw"


def test_a_first_field_above_12_means_day_first() -> None:
    parsed = to_datetime(strings("1/2/2010 08:26", "13/1/2011 10:00", "5/6/2011 00:00"))
    assert parsed.values.to_list() == [D(2010, 2, 1, 8, 26), D(2011, 1, 13, 10), D(2011, 6, 5)]
    assert "%d/%m/%Y" in parsed.detail
    assert "ambiguous" not in parsed.detail


def test_a_second_field_above_12_means_month_first() -> None:
    parsed = to_datetime(strings("1/2/2010", "1/13/2011"))
    assert parsed.values.to_list() == [D(2010, 1, 2), D(2011, 1, 13)]
    assert "ambiguous" not in parsed.detail


def test_ambiguous_slash_dates_are_month_first_and_say_so() -> None:
    parsed = to_datetime(strings("1/2/2010", "3/4/2010"))
    assert parsed.values.to_list() == [D(2010, 1, 2), D(2010, 3, 4)]
    assert "ambiguous" in parsed.detail and "month first" in parsed.detail


@pytest.mark.parametrize(
    ("values", "undecided"),
    [
        (["1/2/2010 8:00", "12/12/2010", "3.4.10"], True),  # either, in every value
        (["1/2/2010", "13/2/2010"], False),  # 13 is a day
        (["1/2/2010", "1/31/2010"], False),  # 31 too
        (["2010-01-02", "2010-03-04"], False),  # no day/month order to tell
        (["Jan 2, 2010"], False),
        (["1/2/2010", " 13/2/2010"], False),  # read stripped, as to_datetime reads it
        (["1/2/2010", "\xa013/2/2010", None, "N/A"], False),
        (["1/2/2010", " 3/4/2010 ", None], True),
    ],
)
def test_day_month_undecided_as_to_datetime_says_by_hand(values, undecided) -> None:
    assert parse.day_month_undecided(strings(*values)) is undecided
    assert ("ambiguous" in to_datetime(strings(*values)).detail) is undecided


def test_day_first_evidence_beyond_the_sample_is_found_in_the_whole_column() -> None:
    values = ["1/2/2010"] * 5000 + ["25/2/2010"]
    parsed = to_datetime(strings(*values))
    assert parsed.values[0] == D(2010, 2, 1)
    assert parsed.values[-1] == D(2010, 2, 25)
    assert parsed.failures == 0


def test_mixed_date_and_timestamp_values_both_parse() -> None:
    parsed = to_datetime(strings("2017-07-09 21:57:05", "2017-07-10"))
    assert parsed.values.to_list() == [D(2017, 7, 9, 21, 57, 5), D(2017, 7, 10)]


def test_the_second_format_of_a_column_reads_only_what_the_first_left_and_is_named() -> None:
    parsed = to_datetime(
        strings("2017-07-09 10:00:00", "2017-07-09", "2017-07-10 11:30:15.5", None, "soon")
    )
    assert parsed.values.to_list() == [
        D(2017, 7, 9, 10),
        D(2017, 7, 9),
        D(2017, 7, 10, 11, 30, 15, 500000),
        None,
        None,
    ]
    assert parsed.detail == "format %Y-%m-%d %H:%M:%S%.f or %Y-%m-%d"
    assert (parsed.failures, parsed.examples) == (1, ("soon",))


def test_unparseable_dates_are_counted_with_examples() -> None:
    parsed = to_datetime(
        strings("2017-07-09", "soon", "soon", "2017-02-30", None, "NULL", " ", "later", "never")
    )
    assert parsed.values.to_list()[:5] == [D(2017, 7, 9), None, None, None, None]
    assert (
        parsed.failures == 5
    )  # soon, soon, 2017-02-30, later, never; null tokens are not failures
    assert parsed.examples == ("soon", "2017-02-30", "later")


def test_yyyymmdd_integers_are_dates() -> None:
    parsed = to_datetime(pl.Series("d", [20170709, 19970101, None]))
    assert parsed.values.to_list() == [D(2017, 7, 9), D(1997, 1, 1), None]
    assert parsed.failures == 0


def test_times_with_utc_offsets_are_read_as_the_local_time_written() -> None:
    """A Berlin shop's first order of 2023 at 00:20 (+01:00) is January's, not 31 Dec's in UTC;
    the offset is said to be left aside. Times without one, or at +00:00, say nothing of it."""
    parsed = to_datetime(strings("2023-01-01T00:20:00+01:00", "2023-07-01 23:50:00+02:00"))
    assert parsed.values.to_list() == [D(2023, 1, 1, 0, 20), D(2023, 7, 1, 23, 50)]
    assert parse.offsets(parsed.detail) == parse.OFFSETS_DROPPED
    assert parse.offsets(to_datetime(strings("2023-01-01T00:20:00")).detail) is None
    # Written in UTC ("Z", "+00:00"): nothing moved, nothing to say.
    utc = to_datetime(strings("2023-01-01T00:20:00Z", "2023-01-01 00:20:00+00:00"))
    assert utc.values.to_list() == [D(2023, 1, 1, 0, 20)] * 2
    assert parse.offsets(utc.detail) is None


def test_typed_datetimes_pass_through_as_naive_wall_clock_microseconds() -> None:
    aware = pl.Series("d", [D(2020, 1, 2, 3, 0)]).dt.replace_time_zone("Europe/Berlin")
    assert to_datetime(aware).values.to_list() == [D(2020, 1, 2, 3, 0)]
    dates = pl.Series("d", [dt.date(2020, 1, 2), None])
    parsed = to_datetime(dates)
    assert parsed.values.to_list() == [D(2020, 1, 2), None]
    assert parsed.values.dtype == pl.Datetime("us")
    millis = pl.Series("d", [D(2020, 1, 2, 3, 4, 5)], dtype=pl.Datetime("ms"))
    assert to_datetime(millis).values.dtype == pl.Datetime("us")


def test_us_dates_stacked_with_iso_dates_are_each_read_in_their_own_format() -> None:
    us = [f"12/{d}/2022 7:38" for d in (13, 25, 31)]  # one export: month first
    iso = ["2022-01-05 10:00:00", "2022-02-06 11:30:00", "2022-03-07 12:00:00"]  # another
    parsed = to_datetime(strings(*us, *iso, "1/2/2022 8:00"))
    assert parsed.failures == 0
    assert parsed.values.to_list() == [
        D(2022, 12, 13, 7, 38),
        D(2022, 12, 25, 7, 38),
        D(2022, 12, 31, 7, 38),
        D(2022, 1, 5, 10),
        D(2022, 2, 6, 11, 30),
        D(2022, 3, 7, 12),
        D(2022, 1, 2, 8),  # ambiguous: month first, as every slash date that tells
    ]


def test_day_first_and_month_first_exports_in_one_column_are_each_read_by_their_evidence() -> None:
    parsed = to_datetime(strings("25/12/2022", "12/25/2022", "13/01/2022", "01/13/2022"))
    assert parsed.values.to_list() == [D(2022, 12, 25)] * 2 + [D(2022, 1, 13)] * 2
    assert parsed.failures == 0
    assert "ambiguous" not in parsed.detail  # both orders occur: not a guess


def test_dates_either_order_could_read_follow_the_choice_else_most_dates_that_tell() -> None:
    """Hostile upload (helper 165): 11 day-first dates, 9 month-first and 10 of '05/06/2023'
    read the ten as 6 May, month first by the slash convention, whatever the user chose in
    the mapping, and said nothing. Now the choice decides, else the order most dates show,
    and a note counts them."""
    values = strings(*["13/02/2023"] * 11, *["02/14/2023"] * 9, *["05/06/2023"] * 10)
    assert parse.day_month_undecided(values)  # the mapping offers the date order
    by_most = to_datetime(values)
    assert by_most.values.to_list() == (
        [D(2023, 2, 13)] * 11 + [D(2023, 2, 14)] * 9 + [D(2023, 6, 5)] * 10
    )
    assert parse.ambiguity(by_most.detail) == (
        "day-first and month-first dates both occur (11 day first, 9 month first): the 10 where "
        "day and month are ambiguous are read as day first, as most that tell: check a few "
        "dates against the source"
    )
    chosen = to_datetime(values, prefer="mdy")
    assert chosen.values.to_list()[-10:] == [D(2023, 5, 6)] * 10
    assert chosen.values.to_list()[:20] == by_most.values.to_list()[:20]
    assert "read as month first, as chosen" in chosen.detail
    # Month-first dates only where the sample (every other value of 2,000) does not look: the
    # choice still decides the ambiguous ones (review, helper 167).
    mixed = [
        "02/14/2023" if i % 2 and i < 80 else "05/06/2023" if i % 10 == 0 else "13/02/2023"
        for i in range(2000)
    ]
    sampled = mixed[:: -(-2000 // parse.SAMPLE_SIZE)]
    assert "02/14/2023" not in sampled
    unseen = strings(*mixed)
    assert to_datetime(unseen, prefer="mdy").values[0] == D(2023, 5, 6)
    assert to_datetime(unseen, prefer="dmy").values[0] == D(2023, 6, 5)
    # As many each way: the slash convention, month first, said as such.
    even = to_datetime(strings("13/02/2023", "02/14/2023", "05/06/2023"))
    assert even.values.to_list()[-1] == D(2023, 5, 6)
    assert "read as month first, as '/' dates usually are" in even.detail


def test_numbers_no_value_of_which_tells_the_decimal_mark_are_said_to_be_undecided() -> None:
    """Hostile upload (helper 165): prices '1.000' and '2.037' (a semicolon file of day-first
    dates, likely thousands) read as 1.0 and 2.037 without a word, while '1,000' read 1000.
    Both are still read as written, and the loader says nothing tells which they are."""
    undecided = parse.to_float(strings("1.000", "2.037"))
    assert undecided.values.to_list() == [1.0, 2.037]
    assert parse.undecided_mark(undecided.detail) == (
        "decimal mark undecided: no value tells whether '1.000' and the like hold a decimal "
        "mark or a thousands separator, so a point is read as the decimal mark and a comma as "
        "thousands: check a few against the source"
    )
    assert parse.to_float(strings("1,000", "2,037")).values.to_list() == [1000.0, 2037.0]
    # One value that tells settles it: nothing to say.
    for told in (("1.000", "12.50"), ("1.000,50", "1.000")):
        assert parse.undecided_mark(parse.to_float(strings(*told)).detail) is None


def test_five_date_styles_in_one_column_all_read() -> None:
    values = ["2022-03-14 10:00:00", "3/14/2022 10:00", "14.03.2022", "Mar 14, 2022", "20220314"]
    parsed = to_datetime(strings(*values * 200))
    assert parsed.failures == 0
    assert parsed.values.dt.date().unique().to_list() == [dt.date(2022, 3, 14)]
    assert "200 '.' day-first dates: format %d.%m.%Y" in parsed.detail


def test_dates_outside_1900_to_2099_are_invalid_and_said_so() -> None:
    parsed = to_datetime(strings("2999-01-05 10:00:00", "2999-02-01 10:00:00", "soon", None))
    assert parsed.values.to_list() == [None] * 4
    assert (parsed.failures, parsed.invalid) == (3, 2)
    assert parsed.problem("dates") == (
        "1 value could not be read as dates (e.g. 'soon'); 2 values are dates outside the "
        "years 1900 to 2099 (e.g. '2999-01-05 10:00:00', '2999-02-01 10:00:00')"
    )


def test_looks_like_datetime_is_the_parseable_share() -> None:
    assert looks_like_datetime(strings("2017-07-09", "x", None, "2017-07-10", "y")) == 0.5
    assert looks_like_datetime(strings("abc", "def")) == 0.0
    assert looks_like_datetime(pl.Series([dt.date(2020, 1, 1)])) == 1.0
    assert looks_like_datetime(strings(None, None)) == 0.0


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1234.5", "-0.25", "+3"], [1234.5, -0.25, 3.0]),
        (["1,234.5", "12,345,678.90"], [1234.5, 12_345_678.9]),
        (["1.234,5", "12.345.678,90"], [1234.5, 12_345_678.9]),
        (["1234,5", "0,75"], [1234.5, 0.75]),
        (["£3.50", "$1,200", "3.50 EUR", "€ 7"], [3.5, 1200.0, 3.5, 7.0]),
        (["R$ 10,00", "R$ 1.500,50"], [10.0, 1500.5]),
        (["1 234.50", "1\u00a0234.50", "1\u202f000.25"], [1234.5, 1234.5, 1000.25]),
        (["1 234,50", "2\u00a0000,00"], [1234.5, 2000.0]),
        (["(12.00)", "12.00-", "-£3.50", "+£4"], [-12.0, -12.0, -3.5, 4.0]),
    ],
)
def test_numbers_in_common_notations(values: list[str], expected: list[float]) -> None:
    parsed = to_float(strings(*values))
    assert parsed.values.dtype == pl.Float64
    assert parsed.values.to_list() == pytest.approx(expected)
    assert parsed.failures == 0


def test_decimal_comma_is_decided_per_column_and_named() -> None:
    comma = to_float(strings("3,50", "1.234", "10,5"))
    assert comma.values.to_list() == [3.5, 1234.0, 10.5]
    assert comma.detail == "decimal comma"
    point = to_float(strings("3.50", "1,234", "10.5"))
    assert point.values.to_list() == [3.5, 1234.0, 10.5]
    assert point.detail == ""


def test_bad_numbers_are_counted_with_examples_not_raised() -> None:
    parsed = to_float(strings("1.5", "abc", "N/A", "", "2017-07-09", "abc", "x1", "7"))
    assert parsed.values.to_list() == [1.5, None, None, None, None, None, None, 7.0]
    assert parsed.failures == 4
    assert parsed.examples == ("abc", "2017-07-09", "x1")


def test_infinities_nan_and_absurd_magnitudes_are_invalid_numbers() -> None:
    parsed = to_float(strings("inf", "-Infinity", "1e308", "NAN", "-2e15", "1e15", "2.5", "x"))
    assert parsed.values.to_list() == [None, None, None, None, None, 1e15, 2.5, None]
    assert (parsed.failures, parsed.invalid) == (6, 5)
    assert parsed.problem("numbers") == (
        "1 value could not be read as numbers (e.g. 'x'); 5 values are not finite (inf, NaN) "
        "or beyond ±1e15 (e.g. 'inf', '-Infinity', '1e308')"
    )
    typed = to_float(pl.Series([1.0, float("inf"), float("-inf"), 3e20, float("nan"), None]))
    assert typed.values.to_list() == [1.0, None, None, None, None, None]
    assert (typed.failures, typed.invalid) == (3, 3)  # NaN in a float column means missing
    assert to_float(pl.Series([10**16, 7])).values.to_list() == [None, 7.0]


def test_typed_numbers_pass_through() -> None:
    assert to_float(pl.Series([1, 2])).values.to_list() == [1.0, 2.0]
    nan = to_float(pl.Series([1.5, float("nan"), None]))
    assert nan.values.to_list() == [1.5, None, None]
    assert nan.failures == 0


def test_to_int_accepts_whole_decimals_and_rejects_fractions() -> None:
    parsed = to_int(strings("3", "3.0", "3.5", "1,000", "12345678901234567", None, "x"))
    assert parsed.values.dtype == pl.Int64
    assert parsed.values.to_list() == [3, 3, None, 1000, 12_345_678_901_234_567, None, None]
    assert parsed.failures == 2
    assert parsed.examples == ("3.5", "x")
    floats = to_int(pl.Series([2.0, 2.5, float("nan")]))
    assert floats.values.to_list() == [2, None, None]
    assert floats.failures == 1


def test_looks_like_number_is_the_parseable_share() -> None:
    assert looks_like_number(strings("1,5", "x", "3", None)) == pytest.approx(2 / 3)
    assert looks_like_number(pl.Series([1.0, 2.0])) == 1.0
    assert looks_like_number(strings("red", "blue")) == 0.0


# --- ids and text -------------------------------------------------------------------------------


def test_to_id_drops_a_float_tail_and_keeps_leading_zeros() -> None:
    assert to_id(pl.Series("c", [17850.0, float("nan"), None, 12.5])).to_list() == [
        "17850",
        None,
        None,
        "12.5",
    ]
    assert to_id(strings("17850.0", " 007 ", "NULL", "A1.0", "", "-3.00")).to_list() == [
        "17850",
        "007",
        None,
        "A1.0",
        None,
        "-3",
    ]
    assert to_id(pl.Series([17850, None])).to_list() == ["17850", None]
    assert to_id(strings("x")).dtype == pl.String


def test_to_id_writes_float_ids_whole_when_they_are_and_as_floats_when_not() -> None:
    """Whole floats within Int64 lose their tail; the rest are written as polars writes floats
    (2**63 is one past Int64's largest value), NaN is missing."""
    inf = float("inf")
    values = [-2.0, 0.0, 2.0**62, 2.0**63, 1e20, 0.25, -inf, float("nan"), None]
    ids = to_id(pl.Series("CustomerID", values))
    assert ids.name == "CustomerID"
    assert ids.to_list() == [
        "-2",
        "0",
        "4611686018427387904",
        "9.223372036854776e+18",
        "1e+20",
        "0.25",
        "-inf",
        None,
        None,
    ]
    assert to_id(pl.Series("c", [3.0, 2.5], dtype=pl.Float32)).to_list() == ["3", "2.5"]
    odd = to_id(pl.Series("^id$", [7.0]))
    assert (odd.name, odd.to_list()) == ("^id$", ["7"])


def test_to_text_strips_and_nulls_the_null_tokens() -> None:
    values = strings("  Mug ", "", "None", "NULL", "null", "NaN", "nan", "N/A", "#N/A", "n/a")
    assert to_text(values).to_list() == [
        "Mug",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "n/a",
    ]
    assert to_text(pl.Series([1, 2])).to_list() == ["1", "2"]


def test_excel_day_numbers_with_a_time_of_day_are_read_as_times():
    """Excel writes a time as the day number's fraction: 45293.25 is 2 Jan 2024, 06:00
    (45,292 is 1 Jan 2024). They were 'no date format fits', in text and typed."""
    want = [dt.datetime(2024, 1, 2, 6), dt.datetime(2024, 1, 3, 12), None, dt.datetime(2024, 1, 3)]
    for column in (
        pl.Series(["45293.25", "45294.5", None, "45294"]),
        pl.Series([45293.25, 45294.5, None, 45294.0]),
    ):
        got = parse.to_datetime(column)
        assert got.values.to_list() == want
        assert got.failures == 0 and got.detail == parse.EXCEL_NOTE
    # Amounts with cents are no day numbers: far below Excel's days of 1954 to 2119.
    assert parse.to_datetime(pl.Series([12.5, 3.25])).values.null_count() == 2


def test_typed_dates_outside_the_years_are_invalid_as_written_ones():
    """A parquet date in year 1 or 9999 passed as a date and crashed Sales, RFM and Cohorts
    (a day after 31 Dec 9999 overflows); written as text it was left out with a note."""
    typed = pl.Series([dt.date(2024, 1, 2), dt.date(9999, 12, 31), dt.date(1, 1, 1), None])
    for column in (typed, typed.cast(pl.Datetime("ms")), typed.cast(pl.Datetime("us", "UTC"))):
        got = parse.to_datetime(column)
        assert got.values.to_list() == [dt.datetime(2024, 1, 2), None, None, None]
        assert got.failures == 2 and got.invalid == 2
        assert "outside the years 1900 to 2099" in got.problem("dates")


def test_dates_written_as_numbers_in_text_are_read_by_their_size():
    """A CSV's Excel day numbers (45000) and unix seconds were 'no date format fits'."""
    excel = parse.to_datetime(pl.Series(["45000", "45001", None, "45292"]))
    # 45,000 days after 1899-12-30 is 15 March 2023; 45,292 is 1 January 2024.
    assert excel.values.to_list() == [
        dt.datetime(2023, 3, 15),
        dt.datetime(2023, 3, 16),
        None,
        dt.datetime(2024, 1, 1),
    ]
    assert excel.failures == 0 and excel.detail == parse.EXCEL_NOTE
    assert parse.numbered(excel.detail) == (
        "dates written as numbers, read as Excel day numbers (days since 1899-12-30): check a "
        "few against the source"
    )
    typed = parse.to_datetime(pl.Series([45000, 45001]))
    assert typed.values.to_list() == [dt.datetime(2023, 3, 15), dt.datetime(2023, 3, 16)]
    seconds = parse.to_datetime(pl.Series(["1700000000"]))  # 2023-11-14 22:13:20 UTC
    assert seconds.values.to_list() == [dt.datetime(2023, 11, 14, 22, 13, 20)]
    assert seconds.detail == "unix seconds"
    # Small numbers are no dates of any kind.
    small = parse.to_datetime(pl.Series(["12", "13"]))
    assert small.failures == 2 and parse.numbered(small.detail) is None
    # Guessing which column holds dates still takes such numbers for ids or amounts: a column of
    # customer numbers 20,000 to 80,000, or of ten-digit ids, is no date column by its values.
    assert parse.looks_like_datetime(pl.Series([45000, 32500])) == 0.0
    assert parse.looks_like_datetime(pl.Series(["1700000000", "1600000000"])) == 0.0
    assert parse.looks_like_datetime(pl.Series(["20240105"])) == 1.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Magento's order grid: the month's name, and a time of 12 hours.
        (
            ["Jan 8, 2024 4:38:08 PM", "Nov 11, 2024 10:32:07 AM"],
            [(2024, 1, 8, 16, 38, 8), (2024, 11, 11, 10, 32, 7)],
        ),
        # eBay's orders report: month-day-year, the year in two digits.
        (["Jan-08-24", "Dec-31-23"], [(2024, 1, 8, 0, 0, 0), (2023, 12, 31, 0, 0, 0)]),
        (
            ["8 March 2024 14:05", "11 March 2024 09:00"],
            [(2024, 3, 8, 14, 5, 0), (2024, 3, 11, 9, 0, 0)],
        ),
    ],
)
def test_dates_with_the_months_name_and_a_time_are_read(values, expected) -> None:
    parsed = parse.to_datetime(pl.Series(values))
    assert parsed.failures == 0
    assert parsed.values.to_list() == [D(*e) for e in expected]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # Mercado Libre's sales report (Spanish, Argentina).
        (
            ["3 de marzo de 2024 14:03 hs.", "18 de diciembre de 2023 09:10 hs."],
            [(2024, 3, 3, 14, 3, 0), (2023, 12, 18, 9, 10, 0)],
        ),
        # Mercado Livre (Portuguese), the day with no time.
        (["2 de março de 2024", "15 de agosto de 2024"], [(2024, 3, 2), (2024, 8, 15)]),
        # Amazon's date-range reports in French, Dutch and Italian.
        (
            ["2 mars 2024 10:00:00 UTC", "16 févr. 2024 10:00:00 UTC", "1er avril 2024"],
            [(2024, 3, 2, 10, 0, 0), (2024, 2, 16, 10, 0, 0), (2024, 4, 1)],
        ),
        (
            ["2 mrt. 2024 10:00:00 UTC", "9 okt. 2024 08:30:00 UTC"],
            [(2024, 3, 2, 10), (2024, 10, 9, 8, 30)],
        ),
        (
            ["2 mag 2024 10:00:00 UTC", "7 gen 2025 10:00:00 UTC"],
            [(2024, 5, 2, 10), (2025, 1, 7, 10)],
        ),
        # eBay.de: day-month-year with the German month abbreviated, and a day with a dot.
        (["05-Mär-25", "10-Dez-25", "01-Mai-25"], [(2025, 3, 5), (2025, 12, 10), (2025, 5, 1)]),
        (["2. März 2024", "24. Dezember 2024"], [(2024, 3, 2), (2024, 12, 24)]),
    ],
)
def test_dates_with_months_named_in_other_languages_are_read(values, expected) -> None:
    """Audit: every row of a Mercado Libre, Amazon (fr, nl, it) or eBay.de report was left out:
    no date format read the month's name."""
    parsed = parse.to_datetime(pl.Series(values))
    assert parsed.failures == 0
    assert parsed.values.to_list() == [D(*e) for e in expected]


def test_words_that_look_like_months_in_a_text_column_read_no_dates() -> None:
    """'Set', 'Out', 'Mai' are months in some language: a product's name is still no date."""
    names = pl.Series(["Set of 2 mugs", "Out of stock", "Mai Tai glass"])
    assert parse.looks_like_datetime(names) == 0.0
    # Nor does a stray one change how the dates beside it read (ISO's 'T' kept in its case).
    parsed = parse.to_datetime(pl.Series(["2024-03-02T10:00:00", "Set 2", "2024-03-03T11:30:00"]))
    assert parsed.values.to_list() == [D(2024, 3, 2, 10), None, D(2024, 3, 3, 11, 30)]
