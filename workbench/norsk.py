"""Norwegian (bokmål) number and date formatting for people.

``56700000`` → ``56,7 mill. kr``; ``305300000000`` → ``305,3 mrd. kr``; ``133731`` →
``133 731``. Thousands are separated by a no-break space so that numbers never wrap.
"""

from __future__ import annotations

import datetime as dt
import math

NBSP = "\u00a0"
MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
          "september", "oktober", "november", "desember")

# d3-format / Vega locale for charts (there is no nb-NO among d3's bundled locales).
D3_FORMAT_LOCALE = {
    "decimal": ",",
    "thousands": NBSP,
    "grouping": [3],
    "currency": ["", f"{NBSP}kr"],
    "minus": "\u2212",
    "percent": f"{NBSP}%",
}
D3_TIME_FORMAT_LOCALE = {
    "dateTime": "%A %e. %B %Y kl. %X",
    "date": "%d.%m.%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
    "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
    "months": list(MONTHS),
    "shortMonths": ["jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt",
                    "nov", "des"],
}


def number(value: float | int | None, decimals: int = 0) -> str:
    """``133731`` → ``133 731``; ``3.456, 1`` → ``3,5``; None → ``–``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    text = text.replace(",", NBSP).replace(".", ",")
    return text.replace("-", "\u2212")


def nok(amount: int | float | None, unit: str | None = None) -> str:
    """Kroner for people: ``56,7 mill. kr``, ``305,3 mrd. kr``, ``950 000 kr``.

    ``unit`` forces ``"mill."`` or ``"mrd."``; by default a million or more is shown in
    millions and a billion or more in milliards, with one decimal (two when exact, as in
    ``1,25 mrd. kr``), none when whole.
    """
    if amount is None or (isinstance(amount, float) and math.isnan(amount)):
        return "–"
    a = abs(amount)
    if unit is None:
        unit = "mrd." if a >= 1e9 else "mill." if a >= 1e6 else ""
    if unit == "mrd.":
        return f"{_scaled(amount / 1e9)} mrd. kr"
    if unit == "mill.":
        return f"{_scaled(amount / 1e6)} mill. kr"
    return f"{number(amount)} kr"


def _scaled(x: float) -> str:
    """One decimal, rounded half up; two when that states the amount exactly (1,25)."""
    from decimal import ROUND_HALF_UP, Decimal

    d = Decimal(repr(x))
    two = d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if two == d and two != two.quantize(Decimal("0.1")):
        return number(float(two), 2)
    one = d.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return number(float(one), 0 if one == one.to_integral_value() else 1)


def percent(share: float | None, decimals: int = 0) -> str:
    """``0.8`` → ``80 %``."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "–"
    return f"{number(share * 100, decimals)}{NBSP}%"


def date(d: dt.date | None) -> str:
    """``2023-12-14`` → ``14. desember 2023``."""
    if d is None:
        return "–"
    return f"{d.day}. {MONTHS[d.month - 1]} {d.year}"


def short_date(d: dt.date | None) -> str:
    """``2023-12-14`` → ``14.12.2023``."""
    return "–" if d is None else f"{d.day}.{d.month}.{d.year}"
