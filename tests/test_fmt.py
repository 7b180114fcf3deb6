"""Number formatting."""

import math

import polars as pl

from lib import fmt


def test_money_uses_the_currency_symbol_and_compact_magnitudes():
    assert fmt.money(1_234_567, "BRL") == "R$ 1.2M"
    assert fmt.money(530, "GBP") == "£530"
    assert fmt.money(-2_500, "USD") == "-$2.5k"
    assert fmt.money(12.5, "CHF") == "12.50 CHF"
    assert fmt.money(None, "GBP") == "—"
    # Cents as prices are written; a whole amount without them.
    assert fmt.money(7.5, "USD") == "$7.50"
    assert fmt.money(7, "USD") == "$7"
    assert fmt.money(0.125, "GBP") == "£0.12"
    # No number is no amount (a cost of inf from a recipe read '£infbn').
    assert [fmt.money(v, "GBP") for v in (math.inf, -math.inf, math.nan)] == ["—"] * 3


def test_a_figure_that_rounds_to_a_thousand_of_a_unit_is_written_in_the_next():
    assert fmt.compact(999_949) == "999.9k"
    assert fmt.compact(999_960) == "1.0M"
    assert fmt.compact(999_960_000) == "1.0bn"
    assert fmt.compact(999_999, digits=2) == "1.00M"
    assert fmt.compact(999_994, digits=2) == "999.99k"
    assert fmt.money(-999_999, "GBP") == "-£1.0M"
    assert fmt.compact(999.4) == "999"


def test_shares_and_changes():
    assert fmt.change(10.1) == "+1,010%"  # as the tables print it
    assert fmt.pct(0.093) == "9.3%"
    assert fmt.change(0.41) == "+41%"
    assert fmt.change(-0.054, 1) == "-5.4%"
    assert fmt.change(float("inf")) == "n/a"
    assert fmt.compact(950) == "950"
    assert fmt.compact(3.5) == "3.5"
    assert fmt.clipped("abc", 3) == "abc" and fmt.clipped("abcd", 3) == "ab…"
    # A share above 0 that rounds to 0 at the digits shown reads as under their last place.
    assert fmt.pct_above0(0.0003) == "<0.1%" and fmt.pct_above0(0.0006) == "0.1%"
    assert fmt.pct_above0(0.0) == "0.0%" and fmt.pct_above0(None) == "—"
    assert fmt.pct_above0(0.00003, 2) == "<0.01%" and fmt.pct_above0(0.0006, 2) == "0.06%"


def test_whole_money_prints_amounts_as_the_tables_do():
    assert fmt.whole_money(6123.4, "GBP") == "£6,123"
    assert fmt.whole_money(1234.5, "BRL") == "R$ 1,234"
    assert fmt.whole_money(1234.0, "CHF") == "1,234 CHF"
    assert fmt.whole_money(-5.2, "GBP") == "-£5"
    assert fmt.whole_money(999.6, "") == "1,000"


def test_money_alike_writes_the_amounts_of_a_sum_in_the_unit_of_the_smallest():
    # 952.9k = 1,221.5k - 264.4k - 4.1k, which "£1.2M less £264.4k and £4.1k" hides.
    assert fmt.money_alike([952_942.9, 1_221_454.7, 264_400.0, 4_111.8], "GBP") == [
        "£952.9k",
        "£1,221.5k",
        "£264.4k",
        "£4.1k",
    ]
    # Zero is no smallest amount: written in the unit of the others.
    assert fmt.money_alike([8_429_526.1, 24_200.0, 0.0], "BRL") == [
        "R$ 8,429.5k",
        "R$ 24.2k",
        "R$ 0.0k",
    ]
    assert fmt.money_alike([3_000_000.0, -2_500_000.0], "CHF") == ["3.0M CHF", "-2.5M CHF"]
    # Below a thousand: whole units, cents only where the smallest is under 100 and has them.
    assert fmt.money_alike([1_234.0, 530.0]) == ["1,234", "530"]
    assert fmt.money_alike([1_234.0, 7.5], "USD") == ["$1,234.00", "$7.50"]
    assert fmt.money_alike([5.0, 31.0], "GBP") == ["£5", "£31"]


def test_negative_money_puts_the_minus_before_the_symbol():
    assert fmt.money(-286, "BRL") == "-R$ 286"
    assert fmt.money(-1_234_567, "BRL") == "-R$ 1.2M"
    assert fmt.money(-0.4, "GBP") == "-£0.40"
    assert fmt.money(-286, "CHF") == "-286 CHF"
    assert fmt.whole_money(-286.4, "BRL") == "-R$ 286"
    assert fmt.whole_money(-1234.567, "BRL", 2) == "-R$ 1,234.57"
    assert fmt.whole_money(-1234.5, "EUR", 2) == "-€1,234.50"
    assert fmt.whole_money(-286, "CHF") == "-286 CHF"
    assert fmt.whole_money(-286, "") == "-286"


def test_amounts_that_round_to_zero_carry_no_minus():
    assert fmt.whole_money(-0.4, "GBP") == "£0"
    assert fmt.whole_money(-0.004, "BRL", 2) == "R$ 0.00"
    assert fmt.money(-0.001, "GBP") == "£0"
    assert fmt.compact(-0.001) == "0"
    assert fmt.compact(-2_500) == "-2.5k"


def test_a_count_agrees_with_what_it_counts():
    assert fmt.counted(1, "row") == "1 row"
    assert fmt.counted(0, "row") == "0 rows"
    assert fmt.counted(2_000, "row") == "2,000 rows"
    assert fmt.counted(1, "check fails", "checks fail") == "1 check fails"
    assert fmt.counted(3, "check fails", "checks fail") == "3 checks fail"
    assert (fmt.plural(1, "column"), fmt.plural(2, "column")) == ("column", "columns")
    assert (fmt.plural(1, "was", "were"), fmt.plural(0, "was", "were")) == ("was", "were")
    # A consonant and y take -ies, a vowel and y an s.
    assert [fmt.plural(2, w) for w in ("category", "day", "customer state")] == [
        "categories",
        "days",
        "customer states",
    ]


def test_a_value_reads_in_words_as_the_tables_write_it():
    assert fmt.value_words("online_medium") == "Online medium"
    assert fmt.value_words("audio_video_electronics") == "Audio video electronics"
    assert fmt.value_words(" health_beauty_ ") == "Health beauty"
    assert fmt.value_words("social") == "Social"
    assert fmt.value_words("(no origin)") == "(no origin)"
    assert fmt.value_words(12) == "12"
    assert fmt.value_words(None) is None


def test_codes_in_words_keep_the_capitals_of_brand_names():
    shown = pl.select(fmt.words_expr(pl.Series(["iphone", "iphone_app", "ios", "biosphere"])))
    assert shown.to_series().to_list() == ["iPhone", "iPhone app", "iOS", "Biosphere"]


def test_value_words_keeps_short_names_and_words_a_long_text_without_keeping_it():
    fmt._words.cache_clear()
    assert fmt.value_words("iphone_case") == "iPhone case"
    assert fmt.value_words("iphone_case") == "iPhone case"
    assert fmt._words.cache_info().currsize == 1  # worded once, kept
    long = "a_" * 75  # 150 characters: 75 a's once the blanks are stripped
    assert fmt.value_words(long) == "A" + " a" * 74
    assert fmt._words.cache_info().currsize == 1  # not kept


def test_a_signed_figure_is_never_minus_zero():
    """Olist's 42 repeat buyers: the frequency vs spend correlation showed as -0.00."""
    assert fmt.signed(-0.001) == "+0.00"
    assert fmt.signed(-0.006) == "-0.01"
    assert fmt.signed(0.31) == "+0.31"
    assert fmt.signed(-0.04, 1) == "+0.0" and fmt.signed(2.25, 1) == "+2.2"


def test_a_name_from_the_data_is_escaped_and_clipped_in_a_sentence():
    assert fmt.named("**Paid**") == r"\*\*Paid\*\*"
    assert fmt.named("a" * 200) == "a" * 79 + "…"
    assert fmt.named("short") == "short"


def test_a_reading_starting_with_a_lower_case_name_starts_with_a_capital():
    """Audit: the web shop's Sales read "organic doohickey charger leads narrowly..."."""
    assert fmt.sentence("organic doohickey charger leads narrowly") == (
        "Organic doohickey charger leads narrowly"
    )
    assert fmt.sentence("iPhone 15 leads") == "iPhone 15 leads"  # capitals of its own
    assert fmt.sentence("k = 4 has the best silhouette") == "k = 4 has the best silhouette"
    assert fmt.sentence("Bean leads") == "Bean leads"
    assert fmt.sentence("12 of 40 items") == "12 of 40 items"
    # An id as the tables write it keeps its case: b03fe9c2… is no word.
    assert fmt.sentence("b03fe9c2… converts 14.8%") == "b03fe9c2… converts 14.8%"
    assert fmt.sentence("") == ""


def test_a_note_quotes_a_whole_number_with_separators_and_a_huge_one_short():
    """A link's cost moved to a billion read 'showing 1e+09'."""
    assert [fmt.quoted(v) for v in (1e9, 30.0, 2.5, -1e308, 10**13, 7)] == [
        "1,000,000,000",
        "30",
        "2.5",
        "-1e+308",
        "1e+13",
        "7",
    ]


def test_fixed_decimals_agree_with_the_tables_javascript_to_fixed():
    """Screenshot: the Categories table showed Watches gifts' potential 0.625 as 0.63 (the
    browser's toFixed), the reading as 0.62 (Python's format, to the even one). Node's
    (x).toFixed(2) and toFixed(0) of each, by hand: 0.63 1, 0.38 0, -0.63 -1, 0.28 0 (0.285
    is a little under in binary), 2.50 3, 4.13 4."""
    expected = {
        0.625: ("0.63", "1"),
        0.375: ("0.38", "0"),
        -0.625: ("-0.63", "-1"),
        0.285: ("0.28", "0"),
        2.5: ("2.50", "3"),
        4.125: ("4.13", "4"),
    }
    for value, (two, none) in expected.items():
        assert (fmt.fixed(value, 2), fmt.fixed(value, 0)) == (two, none)
    assert f"{0.625:.2f}" == "0.62"  # what the reading wrote
    # The report's tables (fmt.number) write them as the page's do: the report's table had
    # Watches gifts' potential at 0.62 under a reading of 0.63.
    assert (fmt.number(0.625, 2), fmt.number(-0.625, 2)) == ("0.63", "-0.63")
    assert (fmt.number(1234567.125, 2), fmt.number(2.5, 0), fmt.number(0.285, 2)) == (
        "1,234,567.13",
        "3",
        "0.28",
    )
