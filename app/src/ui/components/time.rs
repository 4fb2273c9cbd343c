//! Dates and times as the operators read them: in `America/Sao_Paulo` (the IANA rules from
//! chrono-tz, so a past date in daylight saving time reads right too; only that zone and UTC
//! are compiled in, see `.cargo/config.toml`), formatted per locale, with the UTC offset
//! shown so nobody has to guess the zone. The same code runs on the server and in the
//! browser, so hydration sees the same text.

use crate::i18n::*;
use crate::model::Lang;
use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::America::Sao_Paulo;
use leptos::prelude::*;

use super::lang;

fn local(epoch_ms: i64) -> Option<DateTime<chrono_tz::Tz>> {
    Utc.timestamp_millis_opt(epoch_ms).single().map(|t| t.with_timezone(&Sao_Paulo))
}

/// "29/11/2026" (pt-BR) or "Nov 29, 2026" (en), the day in São Paulo.
pub fn date_text(lang: Lang, epoch_ms: i64) -> String {
    let Some(t) = local(epoch_ms) else { return "—".into() };
    match lang {
        Lang::PtBr => t.format("%d/%m/%Y").to_string(),
        Lang::En => t.format("%b %-d, %Y").to_string(),
    }
}

/// "29/11/2026 09:15:02" (pt-BR) or "Nov 29, 2026 09:15:02" (en), in São Paulo.
pub fn datetime_text(lang: Lang, epoch_ms: i64) -> String {
    let Some(t) = local(epoch_ms) else { return "—".into() };
    match lang {
        Lang::PtBr => t.format("%d/%m/%Y %H:%M:%S").to_string(),
        Lang::En => t.format("%b %-d, %Y %H:%M:%S").to_string(),
    }
}

/// The value of a `datetime-local` field for an instant: São Paulo wall-clock time,
/// `2026-12-04T18:30` (what the domain's `calendar::parse_instant` reads back).
pub fn local_input_value(epoch_ms: i64) -> String {
    local(epoch_ms).map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default()
}

/// The zone's offset at that instant, e.g. "UTC−3" (UTC−2 in the summers before 2019).
pub fn zone_label(epoch_ms: i64) -> String {
    let Some(t) = local(epoch_ms) else { return String::new() };
    let secs = t.offset().fix().local_minus_utc();
    let sign = if secs < 0 { '−' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() / 60 % 60);
    if m == 0 {
        format!("UTC{sign}{h}")
    } else {
        format!("UTC{sign}{h}:{m:02}")
    }
}

/// A moment on a page: `<time>` with the machine-readable instant, the local text and the
/// zone's offset; "—" when there is none.
#[component]
pub fn Time(at: Option<i64>, #[prop(optional)] date_only: bool) -> impl IntoView {
    let i18n = use_i18n();
    let Some(ms) = at else { return view! { <span class="muted">"—"</span> }.into_any() };
    let iso = Utc.timestamp_millis_opt(ms).single().map(|t| t.to_rfc3339()).unwrap_or_default();
    let text = move || {
        if date_only {
            date_text(lang(i18n), ms)
        } else {
            datetime_text(lang(i18n), ms)
        }
    };
    view! {
        <time datetime=iso title="America/Sao_Paulo">
            {text}
            {(!date_only).then(|| view! { <span class="zone">{format!(" {}", zone_label(ms))}</span> })}
        </time>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_sao_paulo_time_per_locale() {
        // 2026-11-29T12:00:00Z is 09:00 in São Paulo.
        assert_eq!(datetime_text(Lang::PtBr, 1_795_953_600_000), "29/11/2026 09:00:00");
        assert_eq!(local_input_value(1_795_953_600_000), "2026-11-29T09:00");
        assert_eq!(datetime_text(Lang::En, 1_795_953_600_000), "Nov 29, 2026 09:00:00");
        // Just after midnight UTC is still the previous day there.
        assert_eq!(date_text(Lang::PtBr, 1_795_910_400_500), "28/11/2026");
        assert_eq!(zone_label(1_795_953_600_000), "UTC−3");
    }

    #[test]
    fn past_summer_time_uses_the_rules_of_its_day() {
        // 2018-01-15T12:00:00Z: São Paulo was on daylight saving time (UTC−2) then.
        assert_eq!(datetime_text(Lang::PtBr, 1_516_017_600_000), "15/01/2018 10:00:00");
        assert_eq!(zone_label(1_516_017_600_000), "UTC−2");
    }

    #[test]
    fn dates_are_day_month_year() {
        assert_eq!(date_text(Lang::PtBr, 0), "31/12/1969");
        // 2024-02-29T12:00:00Z (leap day)
        assert_eq!(date_text(Lang::PtBr, 1_709_208_000_000), "29/02/2024");
        assert_eq!(date_text(Lang::En, 1_709_208_000_000), "Feb 29, 2024");
    }
}
