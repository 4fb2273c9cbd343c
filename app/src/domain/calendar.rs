//! Brazilian business days, for the rollout's activation lead time ("credentials ready" to
//! production within one business day): weekends and the national holidays are not business
//! days — the fixed ones and the movable ones that follow Easter (Carnival Monday and
//! Tuesday, Good Friday, Corpus Christi). Days are counted in São Paulo, where the team works.

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::America::Sao_Paulo;

/// Easter Sunday of `year` (Gregorian; the anonymous algorithm of Meeus/Jones/Butcher).
pub fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a real date")
}

/// The national holiday on `date`, if it is one (its name in Portuguese).
pub fn holiday(date: NaiveDate) -> Option<&'static str> {
    const FIXED: [(u32, u32, &str); 9] = [
        (1, 1, "Confraternização Universal"),
        (4, 21, "Tiradentes"),
        (5, 1, "Dia do Trabalho"),
        (9, 7, "Independência do Brasil"),
        (10, 12, "Nossa Senhora Aparecida"),
        (11, 2, "Finados"),
        (11, 15, "Proclamação da República"),
        (11, 20, "Dia Nacional de Zumbi e da Consciência Negra"),
        (12, 25, "Natal"),
    ];
    if let Some((.., name)) = FIXED.iter().find(|(m, d, _)| date.month() == *m && date.day() == *d) {
        // Consciência Negra is a national holiday from 2024 (Lei 14.759/2023).
        if !(date.month() == 11 && date.day() == 20 && date.year() < 2024) {
            return Some(name);
        }
    }
    let from_easter = (date - easter(date.year())).num_days();
    match from_easter {
        -48 => Some("Carnaval (segunda-feira)"),
        -47 => Some("Carnaval (terça-feira)"),
        -2 => Some("Sexta-feira Santa"),
        60 => Some("Corpus Christi"),
        _ => None,
    }
}

pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// The São Paulo date of an instant (epoch milliseconds).
pub fn local_date(epoch_ms: i64) -> Option<NaiveDate> {
    Utc.timestamp_millis_opt(epoch_ms).single().map(|t| t.with_timezone(&Sao_Paulo).date_naive())
}

/// The instant of a São Paulo wall-clock time written `YYYY-MM-DDTHH:MM` (what a browser's
/// date-and-time field sends; seconds allowed), or RFC 3339 with its own offset. A local
/// time the clocks skipped (there is no DST in São Paulo since 2019, but older dates had
/// it) or repeated takes its earliest reading.
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Sao_Paulo.from_local_datetime(&local).earliest().map(|t| t.timestamp_millis())
}

/// Business days from `start` to `end`: how many business days come after the start's day,
/// up to and including the end's day. Done the same business day is 0; credentials ready on
/// a Friday evening and production on Monday is 1. `None` when `end` is before `start`.
pub fn business_days_between(start_ms: i64, end_ms: i64) -> Option<i64> {
    if end_ms < start_ms {
        return None;
    }
    let (start, end) = (local_date(start_ms)?, local_date(end_ms)?);
    let mut day = start + Duration::days(1);
    let mut n = 0;
    while day <= end {
        n += i64::from(is_business_day(day));
        day += Duration::days(1);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Epoch ms of a São Paulo wall-clock time.
    fn at(y: i32, m: u32, day: u32, h: u32) -> i64 {
        Sao_Paulo.with_ymd_and_hms(y, m, day, h, 0, 0).single().unwrap().timestamp_millis()
    }

    #[test]
    fn instants_from_local_time_or_rfc3339() {
        assert_eq!(
            parse_instant("2026-12-04T18:30"),
            Some(Sao_Paulo.with_ymd_and_hms(2026, 12, 4, 18, 30, 0).unwrap().timestamp_millis())
        );
        assert_eq!(parse_instant("2026-12-04T21:30:00Z"), parse_instant("2026-12-04T18:30"));
        assert_eq!(parse_instant(" 2026-12-04T18:30:15 "), parse_instant("2026-12-04T18:30").map(|t| t + 15_000));
        for bad in ["", "amanhã", "2026-13-01T10:00", "2026-12-04", "04/12/2026 18:30"] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
    }

    #[test]
    fn easter_of_known_years() {
        assert_eq!(easter(2024), d(2024, 3, 31));
        assert_eq!(easter(2025), d(2025, 4, 20));
        assert_eq!(easter(2026), d(2026, 4, 5));
        assert_eq!(easter(2027), d(2027, 3, 28));
        assert_eq!(easter(2038), d(2038, 4, 25));
    }

    #[test]
    fn the_movable_holidays_follow_easter() {
        // 2026: Carnival 16–17 Feb, Good Friday 3 Apr, Corpus Christi 4 Jun.
        assert_eq!(holiday(d(2026, 2, 16)), Some("Carnaval (segunda-feira)"));
        assert_eq!(holiday(d(2026, 2, 17)), Some("Carnaval (terça-feira)"));
        assert_eq!(holiday(d(2026, 2, 18)), None, "Ash Wednesday counts as a business day");
        assert_eq!(holiday(d(2026, 4, 3)), Some("Sexta-feira Santa"));
        assert_eq!(holiday(d(2026, 6, 4)), Some("Corpus Christi"));
        assert_eq!(holiday(d(2025, 3, 4)), Some("Carnaval (terça-feira)"));
        assert_eq!(holiday(d(2025, 6, 19)), Some("Corpus Christi"));
    }

    #[test]
    fn fixed_holidays_and_consciencia_negra_from_2024() {
        assert!(!is_business_day(d(2026, 4, 21)));
        assert!(!is_business_day(d(2026, 11, 20)));
        assert!(is_business_day(d(2023, 11, 20)), "not yet national in 2023");
        assert!(!is_business_day(d(2026, 12, 5)), "a Saturday");
        assert!(is_business_day(d(2026, 12, 2)));
    }

    #[test]
    fn lead_times_in_business_days() {
        // Same day.
        assert_eq!(business_days_between(at(2026, 12, 2, 9), at(2026, 12, 2, 17)), Some(0));
        // A Friday evening start, production on Monday: one business day.
        assert_eq!(business_days_between(at(2026, 11, 27, 19), at(2026, 11, 30, 10)), Some(1));
        // Across Carnival: Friday 13 Feb 2026 to Wednesday 18 Feb is one business day.
        assert_eq!(business_days_between(at(2026, 2, 13, 15), at(2026, 2, 18, 14)), Some(1));
        // Across Good Friday: Thursday 2 Apr 2026 to Monday 6 Apr.
        assert_eq!(business_days_between(at(2026, 4, 2, 11), at(2026, 4, 6, 11)), Some(1));
        // Across Corpus Christi: Wednesday 3 Jun 2026 to Friday 5 Jun.
        assert_eq!(business_days_between(at(2026, 6, 3, 11), at(2026, 6, 5, 11)), Some(1));
        // Two business days.
        assert_eq!(business_days_between(at(2026, 12, 1, 9), at(2026, 12, 3, 9)), Some(2));
        // São Paulo dates, not UTC: 22:00 there is already the next day in UTC.
        assert_eq!(business_days_between(at(2026, 12, 2, 9), at(2026, 12, 2, 22)), Some(0));
        assert_eq!(business_days_between(at(2026, 12, 3, 9), at(2026, 12, 2, 9)), None);
    }
}
