"""Norwegian number formatting."""
import datetime as dt

import pytest

from workbench import norsk

NB = "\u00a0"


@pytest.mark.parametrize("amount,text", [
    (56_700_000, "56,7 mill. kr"),
    (305_300_000_000, "305,3 mrd. kr"),
    (150_000_000, "150 mill. kr"),
    (179_100_000, "179,1 mill. kr"),
    (1_250_000_000, "1,25 mrd. kr"),
    (1_234_567_890, "1,2 mrd. kr"),
    (56_750_000, "56,75 mill. kr"),
    (56_760_001, "56,8 mill. kr"),
    (950_000, f"950{NB}000 kr"),
    (None, "–"),
])
def test_nok(amount, text):
    assert norsk.nok(amount) == text


def test_nok_forced_unit():
    assert norsk.nok(1_250_000_000, unit="mill.") == f"1{NB}250 mill. kr"


def test_numbers_and_percent():
    assert norsk.number(133_731) == f"133{NB}731"
    assert norsk.number(95_718) == f"95{NB}718"
    assert norsk.number(3.456, 2) == "3,46"
    assert norsk.number(-5) == "\u22125"
    assert norsk.percent(0.8) == f"80{NB}%"
    assert norsk.percent(0.0489, 1) == f"4,9{NB}%"


def test_dates():
    assert norsk.date(dt.date(2023, 12, 14)) == "14. desember 2023"
    assert norsk.short_date(dt.date(2024, 4, 24)) == "24.4.2024"
