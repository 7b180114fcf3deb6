"""Column helpers of the pages (pages/common/columns.py), by hand."""

from pages.common import columns


def test_rows_are_as_tall_as_the_longest_text_wrapped():
    # 64 characters a line, 18 px a line and 12 px of padding.
    assert columns.wrapped_rows(["x" * 64]) == 68  # one line: the least height
    assert columns.wrapped_rows(["x" * 64, None, "y" * 300]) == 5 * 18 + 12  # 300 / 64 -> 5
    assert columns.wrapped_rows(["x" * 257], least=84) == 5 * 18 + 12  # 257 / 64 -> 5
    assert columns.wrapped_rows(["x" * 256], least=84) == 84  # 4 lines: 84 exactly
    assert columns.wrapped_rows([], least=84) == 84
