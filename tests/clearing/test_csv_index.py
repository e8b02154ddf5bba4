"""User-supplied CSV index series (docs/clearing-rules.md CR-6)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clearing.index import CsvIndex, IndexDataError, IndexNotPublished, IndexSource, MissingDayRule
from exchange.calendar import TradingCalendar
from exchange.products import DEFAULT_PRODUCTS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "h100.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_clean_file_publishes_each_row_in_price_units(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2026-11-02,2.81\n2026-11-03,2.815\n2026-11-04,2.80\n")

    index = CsvIndex.for_product(path, DEFAULT_PRODUCTS["H100"])

    assert isinstance(index, IndexSource)
    assert index.name == "h100_usd"
    assert index.days == (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4))
    assert index.value(date(2026, 11, 2)) == 281.0  # exact decimal conversion
    assert index.value(date(2026, 11, 3)) == 281.5
    assert index.units(date(2026, 11, 3)) == 282  # half to even: 281.5 -> 282
    assert index.units(date(2026, 11, 4)) == 280


def test_half_even_rounding_goes_down_to_an_even_unit(tmp_path: Path) -> None:
    index = CsvIndex(write(tmp_path, "2026-11-02,2.825\n"))

    assert index.value(date(2026, 11, 2)) == 282.5
    assert index.units(date(2026, 11, 2)) == 282


def test_comments_blank_lines_and_spaces_are_ignored(tmp_path: Path) -> None:
    text = "# Silicon Data H100 export\n\n DATE , Value \n2026-11-02 , 2.81\n\n"

    index = CsvIndex(write(tmp_path, text))

    assert index.units(date(2026, 11, 2)) == 281


def test_missing_business_days_carry_the_last_value_forward(tmp_path: Path) -> None:
    # CR-6: Friday 6 Nov, then Wednesday 11 Nov: Mon 9 and Tue 10 carry 2.81 forward.
    index = CsvIndex(write(tmp_path, "2026-11-06,2.81\n2026-11-11,2.90\n"))

    assert index.units(date(2026, 11, 9)) == 281
    assert index.units(date(2026, 11, 10)) == 281
    assert index.units(date(2026, 11, 11)) == 290
    assert index.carried == (date(2026, 11, 9), date(2026, 11, 10))
    with pytest.raises(IndexNotPublished):
        index.value(date(2026, 11, 7))  # a Saturday is never published


def test_a_gap_longer_than_the_carry_limit_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2026-11-02,2.81\n2026-11-12,2.90\n")

    with pytest.raises(IndexDataError, match=r"line 3: 7 business days missing since line 2"):
        CsvIndex(path, max_carry_days=5)
    assert CsvIndex(path, max_carry_days=None).units(date(2026, 11, 11)) == 281


def test_the_error_rule_refuses_any_missing_day(tmp_path: Path) -> None:
    path = write(tmp_path, "2026-11-02,2.81\n2026-11-04,2.90\n")

    with pytest.raises(IndexDataError, match=r"line 2: 1 business day\(s\) missing .*2026-11-03"):
        CsvIndex(path, missing=MissingDayRule.ERROR)


def test_holidays_of_the_calendar_are_not_missing_days(tmp_path: Path) -> None:
    calendar = TradingCalendar(holidays=frozenset({date(2026, 11, 26)}))
    path = write(tmp_path, "2026-11-25,2.81\n2026-11-27,2.82\n")

    index = CsvIndex(path, missing=MissingDayRule.ERROR, calendar=calendar)

    assert index.days == (date(2026, 11, 25), date(2026, 11, 27))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-02,2.81,x\n", r"line 1: expected 2 fields"),
        ("2026-11-02\n", r"line 1: expected 2 fields"),
        ("2026-11-02,2.81\n02/11/2026,2.8\n", r"line 2: bad date '02/11/2026'"),
        ("2026-11-02,abc\n", r"line 1: bad value 'abc'"),
        ("2026-11-02,nan\n", r"line 1: value 'nan' is not a finite number"),
        ("2026-11-02,0\n", r"line 1: value 0 must be positive"),
        ("2026-11-02,-2.5\n", r"line 1: value -2.5 must be positive"),
        ("2026-11-07,2.81\n", r"line 1: 2026-11-07 \(Saturday\) is not a business day"),
        (
            "2026-11-02,2.81\n2026-11-02,2.82\n",
            r"line 2: duplicate date 2026-11-02 \(also on line 1\)",
        ),
        (
            "2026-11-03,2.81\n2026-11-02,2.82\n",
            r"line 2: dates not sorted: 2026-11-02 after 2026-11-03",
        ),
        ("date,value\n# nothing\n", r"no data rows"),
    ],
)
def test_bad_rows_are_errors_that_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)

    with pytest.raises(IndexDataError, match=message) as info:
        CsvIndex(path)
    assert str(path) in str(info.value)


def test_weekend_rows_can_be_skipped_for_seven_day_series(tmp_path: Path) -> None:
    path = write(tmp_path, "2026-11-06,2.81\n2026-11-07,2.70\n2026-11-08,2.71\n2026-11-09,2.82\n")

    index = CsvIndex(path, non_business_days="skip")

    assert index.days == (date(2026, 11, 6), date(2026, 11, 9))


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexDataError, match="file not found"):
        CsvIndex(tmp_path / "absent.csv")


def test_the_line_number_is_kept_on_the_error(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2026-11-02,2.81\n2026-11-03,zero\n")

    with pytest.raises(IndexDataError) as info:
        CsvIndex(path)
    assert info.value.line == 3 and info.value.path == path
