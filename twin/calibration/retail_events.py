"""The retail events the arrival fit tries (the scenario's ``events`` form), and public holidays."""

from __future__ import annotations


def retail_events(country: str | None = None) -> list[dict]:
    """The retail events calibration fits, then the country's public holidays if one is given.

    Black Friday (the day after the fourth Thursday of November), the weekend after it, Cyber
    Monday, Christmas Eve and Day, New Year's Eve and Day. Listed first, they take precedence
    over a public holiday on the same day.
    """
    events = [
        {"name": "black_friday", "rule": "black_friday"},
        {
            "name": "black_friday_weekend",
            "rule": "black_friday",
            "offset_days": 1,
            "duration_days": 2,
        },
        {"name": "cyber_monday", "rule": "cyber_monday"},
        {"name": "christmas_eve", "rule": "christmas_eve"},
        {"name": "christmas_day", "rule": "christmas_day"},
        {"name": "new_years_eve", "rule": "new_years_eve"},
        {"name": "new_years_day", "rule": "new_years_day"},
    ]
    if country:
        events.append({"name": "public_holidays", "rule": "public_holidays", "country": country})
    return events
