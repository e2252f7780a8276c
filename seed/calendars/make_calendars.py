#!/usr/bin/env python3
"""Writes hong-kong.ics and shenzhen.ics (RFC 5545) from the tables below. Run: python3 make_calendars.py

Sources (see README.md): Hong Kong general holidays as gazetted by the HKSAR Government (the 1823 list);
mainland China public holidays and make-up working days (调休) from the State Council General Office notices
on the holiday arrangements for 2025 and 2026. Shenzhen observes the national arrangement."""
from datetime import date, timedelta

HONG_KONG = [  # (first day, days, name)
    ("2025-01-01", 1, "The first day of January"), ("2025-01-29", 3, "Lunar New Year"),
    ("2025-04-04", 1, "Ching Ming Festival"), ("2025-04-18", 2, "Good Friday and the day following"),
    ("2025-04-21", 1, "Easter Monday"), ("2025-05-01", 1, "Labour Day"), ("2025-05-05", 1, "The Birthday of the Buddha"),
    ("2025-05-31", 1, "Tuen Ng Festival"), ("2025-07-01", 1, "HKSAR Establishment Day"), ("2025-10-01", 1, "National Day"),
    ("2025-10-07", 1, "The day following the Chinese Mid-Autumn Festival"), ("2025-10-29", 1, "Chung Yeung Festival"),
    ("2025-12-25", 2, "Christmas Day and the first weekday after"),
    ("2026-01-01", 1, "The first day of January"), ("2026-02-17", 3, "Lunar New Year"),
    ("2026-04-03", 2, "Good Friday and the day following"), ("2026-04-06", 1, "The day following Ching Ming Festival"),
    ("2026-04-07", 1, "The day following Easter Monday"), ("2026-05-01", 1, "Labour Day"),
    ("2026-05-25", 1, "The day following the Birthday of the Buddha"), ("2026-06-19", 1, "Tuen Ng Festival"),
    ("2026-07-01", 1, "HKSAR Establishment Day"), ("2026-09-26", 1, "The day following the Chinese Mid-Autumn Festival"),
    ("2026-10-01", 1, "National Day"), ("2026-10-19", 1, "The day following Chung Yeung Festival"),
    ("2026-12-25", 2, "Christmas Day and the first weekday after"),
    ("2027-01-01", 1, "The first day of January"), ("2027-02-06", 1, "Lunar New Year's Day"),
    ("2027-02-08", 2, "The third and fourth days of Lunar New Year"), ("2027-03-26", 2, "Good Friday and the day following"),
    ("2027-03-29", 1, "Easter Monday"), ("2027-04-05", 1, "Ching Ming Festival"), ("2027-05-01", 1, "Labour Day"),
    ("2027-05-13", 1, "The Birthday of the Buddha"), ("2027-06-09", 1, "Tuen Ng Festival"),
    ("2027-07-01", 1, "HKSAR Establishment Day"), ("2027-09-16", 1, "The day following the Chinese Mid-Autumn Festival"),
    ("2027-10-01", 1, "National Day"), ("2027-10-08", 1, "Chung Yeung Festival"),
    ("2027-12-25", 1, "Christmas Day"), ("2027-12-27", 1, "The first weekday after Christmas Day"),
]

MAINLAND_HOLIDAYS = [
    ("2025-01-01", 1, "元旦 New Year's Day"), ("2025-01-28", 8, "春节 Spring Festival"), ("2025-04-04", 3, "清明节 Qingming"),
    ("2025-05-01", 5, "劳动节 Labour Day"), ("2025-05-31", 3, "端午节 Dragon Boat Festival"),
    ("2025-10-01", 8, "国庆节、中秋节 National Day and Mid-Autumn Festival"),
    ("2026-01-01", 3, "元旦 New Year's Day"), ("2026-02-15", 9, "春节 Spring Festival"), ("2026-04-04", 3, "清明节 Qingming"),
    ("2026-05-01", 5, "劳动节 Labour Day"), ("2026-06-19", 3, "端午节 Dragon Boat Festival"),
    ("2026-09-25", 3, "中秋节 Mid-Autumn Festival"), ("2026-10-01", 7, "国庆节 National Day"),
]

MAINLAND_MAKE_UP_WORKING_DAYS = [  # 调休上班: a Saturday or Sunday worked for a longer holiday
    ("2025-01-26", "春节调休上班"), ("2025-02-08", "春节调休上班"), ("2025-04-27", "劳动节调休上班"),
    ("2025-09-28", "国庆节调休上班"), ("2025-10-11", "国庆节调休上班"),
    ("2026-01-04", "元旦调休上班"), ("2026-02-14", "春节调休上班"), ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"), ("2026-09-20", "国庆节调休上班"), ("2026-10-10", "国庆节调休上班"),
]


def event(uid, first, days, summary, category):
    start = date.fromisoformat(first)
    end = start + timedelta(days=days)
    return [
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261202T000000Z",
        f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}",
        f"SUMMARY:{summary}", f"CATEGORIES:{category}", "TRANSP:TRANSPARENT", "END:VEVENT",
    ]


def write(path, name, events):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Reimburse//Office calendars//EN", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{name}"]
    for e in events:
        lines += e
    lines.append("END:VCALENDAR")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(lines) + "\r\n")


write("hong-kong.ics", "Hong Kong general holidays 2025-2027",
      [event(f"hk-{d}@reimburse.example", d, n, s, "HOLIDAY") for d, n, s in HONG_KONG])
write("shenzhen.ics", "Mainland China public holidays and make-up working days 2025-2026 (Shenzhen)",
      [event(f"cn-{d}@reimburse.example", d, n, s, "HOLIDAY") for d, n, s in MAINLAND_HOLIDAYS]
      + [event(f"cn-work-{d}@reimburse.example", d, 1, s, "WORKDAY") for d, s in MAINLAND_MAKE_UP_WORKING_DAYS])
