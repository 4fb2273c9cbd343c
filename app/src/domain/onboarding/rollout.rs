//! The rollout board: every org with its wave, lifecycle, checklist progress, blockers,
//! technical owner and activation lead time (Brazilian business days from "credentials
//! ready" to production, against the plan's ≤ 1), filtered and sorted; and the waves and
//! each org's plan that feed it. Three queries for the whole board, never one per org.

use super::super::error::{DomainError, Fields};
use super::super::store::{self, rollout::WaveRow, rollout::WaveSpec};
use super::super::{calendar, orgs, Actor, Services};
use crate::model::*;
use std::cmp::Ordering;
use std::collections::HashMap;

const WAVE_NAME_MAX: usize = 60;
const OWNER_MAX: usize = 120;

fn wave_dto(w: &WaveRow) -> WaveDto {
    WaveDto {
        id: w.id,
        name: w.name.clone(),
        position: w.position,
        planned_start: w.planned_start.clone(),
        planned_end: w.planned_end.clone(),
        orgs: w.orgs,
    }
}

/// A planned date: blank is none; otherwise `YYYY-MM-DD` of a real day.
fn parse_date(raw: Option<&str>) -> Result<Option<String>, ErrorCode> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 10)
            .map(|d| Some(d.format("%Y-%m-%d").to_string()))
            .ok_or(ErrorCode::DateInvalid),
    }
}

/// The lead time of an org, or `None` without a "credentials ready" instant. A production
/// date before the credentials (typed wrong) counts as 0 rather than hiding the org.
pub fn lead_time(credentials_ready_at: Option<i64>, activated_at: Option<i64>, now: i64) -> Option<LeadTime> {
    let start = credentials_ready_at?;
    let end = activated_at.unwrap_or(now);
    let business_days = calendar::business_days_between(start, end).unwrap_or(0);
    Some(LeadTime { business_days, running: activated_at.is_none(), on_target: business_days <= LEAD_TIME_TARGET_DAYS })
}

/// Parses `?wave=&state=&sort=`; a bad value is a 422 on its field.
struct Filter {
    /// `Some(None)`: orgs in no wave.
    wave: Option<Option<WaveId>>,
    state: Option<Lifecycle>,
    sort: BoardSort,
    descending: bool,
}

fn parse_query(q: &BoardQuery) -> Result<Filter, DomainError> {
    let mut f = Fields::default();
    let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let wave = blank(&q.wave).map(|w| {
        if w == "none" {
            Some(None)
        } else {
            f.check("wave", w.parse::<WaveId>().map(Some).map_err(|_| ErrorCode::WaveUnknown))
        }
    });
    let state = blank(&q.state).map(|s| f.check("state", s.parse::<Lifecycle>()));
    let (descending, sort) = match blank(&q.sort) {
        None => (false, Some(BoardSort::Wave)),
        Some(s) => match s.strip_prefix('-') {
            Some(rest) => (true, f.check("sort", rest.parse::<BoardSort>())),
            None => (false, f.check("sort", s.parse::<BoardSort>())),
        },
    };
    f.finish()?;
    Ok(Filter { wave: wave.flatten(), state: state.flatten(), sort: sort.unwrap_or(BoardSort::Wave), descending })
}

/// Orders two rows by `key`; rows without a value (no wave, no owner, no date) go last in
/// either direction, and ties fall back to the name.
fn compare(a: &BoardRow, b: &BoardRow, key: BoardSort, descending: bool) -> Ordering {
    fn opt<T: Ord>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => {
                if descending {
                    b.cmp(&a)
                } else {
                    a.cmp(&b)
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    let by_key = match key {
        BoardSort::Name => Ordering::Equal,
        BoardSort::Wave => {
            opt(a.wave.as_ref().map(|w| (w.position, w.id)), b.wave.as_ref().map(|w| (w.position, w.id)), descending)
        }
        BoardSort::State => opt(Some(a.lifecycle), Some(b.lifecycle), descending),
        BoardSort::Progress => {
            // Share done, compared exactly (a/b vs c/d as a·d vs c·b).
            let (ad, at) = a.done_total();
            let (bd, bt) = b.done_total();
            opt(Some(ad * bt.max(1)), Some(bd * at.max(1)), descending)
        }
        BoardSort::Blockers => opt(Some(a.blockers.len()), Some(b.blockers.len()), descending),
        BoardSort::Owner => opt(
            a.technical_owner.as_ref().map(|o| o.to_lowercase()),
            b.technical_owner.as_ref().map(|o| o.to_lowercase()),
            descending,
        ),
        BoardSort::CredentialsReady => opt(a.credentials_ready_at, b.credentials_ready_at, descending),
        BoardSort::LeadTime => opt(
            a.lead_time.as_ref().map(|l| l.business_days),
            b.lead_time.as_ref().map(|l| l.business_days),
            descending,
        ),
    };
    let by_name = a.name.to_lowercase().cmp(&b.name.to_lowercase());
    by_key.then(if key == BoardSort::Name && descending { by_name.reverse() } else { by_name })
}

pub async fn board(svc: &Services, q: &BoardQuery) -> Result<RolloutBoard, DomainError> {
    let filter = parse_query(q)?;
    let waves: Vec<WaveDto> = store::rollout::waves(&svc.db).await?.iter().map(wave_dto).collect();
    let by_id: HashMap<WaveId, &WaveDto> = waves.iter().map(|w| (w.id, w)).collect();
    let mut progress = super::progress_of_all(svc).await?;
    let now = svc.now();
    let mut rows: Vec<BoardRow> = store::rollout::plans(&svc.db)
        .await?
        .into_iter()
        .filter(|p| filter.wave.is_none_or(|w| p.wave_id == w))
        .filter(|p| filter.state.is_none_or(|s| p.lifecycle == s))
        .map(|p| {
            let phases = super::phase_progress(&progress.remove(&p.id).unwrap_or_default());
            let blockers = phases.iter().flat_map(|ph| ph.failed.iter().copied()).collect();
            BoardRow {
                org_id: p.id,
                wave: p.wave_id.and_then(|w| by_id.get(&w).map(|w| (*w).clone())),
                lead_time: lead_time(p.credentials_ready_at, p.activated_at, now),
                slug: p.slug,
                name: p.name,
                lifecycle: p.lifecycle,
                phases,
                blockers,
                technical_owner: p.technical_owner,
                credentials_ready_at: p.credentials_ready_at,
                activated_at: p.activated_at,
            }
        })
        .collect();
    rows.sort_by(|a, b| compare(a, b, filter.sort, filter.descending));
    let measured: Vec<&LeadTime> = rows.iter().filter_map(|r| r.lead_time.as_ref()).filter(|l| !l.running).collect();
    Ok(RolloutBoard {
        on_target: measured.iter().filter(|l| l.on_target).count(),
        measured: measured.len(),
        waves,
        rows,
    })
}

pub async fn waves(svc: &Services) -> Result<Vec<WaveDto>, DomainError> {
    Ok(store::rollout::waves(&svc.db).await?.iter().map(wave_dto).collect())
}

struct ValidWave {
    name: String,
    start: Option<String>,
    end: Option<String>,
}

impl ValidWave {
    fn spec(&self, position: Option<i64>) -> WaveSpec<'_> {
        WaveSpec { name: &self.name, planned_start: self.start.as_deref(), planned_end: self.end.as_deref(), position }
    }

    fn audit_detail(&self, id: WaveId) -> serde_json::Value {
        serde_json::json!({"wave": id, "name": self.name, "planned_start": self.start, "planned_end": self.end})
    }
}

fn validate_wave(input: &RolloutWaveInput) -> Result<ValidWave, DomainError> {
    let mut f = Fields::default();
    let name = f.check("name", parse_text(&input.name, WAVE_NAME_MAX));
    let start = f.check("planned_start", parse_date(input.planned_start.as_deref()));
    let end = f.check("planned_end", parse_date(input.planned_end.as_deref()));
    if let (Some(Some(s)), Some(Some(e))) = (&start, &end) {
        if e < s {
            f.check::<()>("planned_end", Err(ErrorCode::DateRangeInvalid));
        }
    }
    f.finish()?;
    let (Some(name), Some(start), Some(end)) = (name, start, end) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    Ok(ValidWave { name, start, end })
}

fn name_taken(e: sqlx::Error) -> DomainError {
    if store::is_unique_violation(&e) {
        DomainError::Conflict(FieldError::new("name", ErrorCode::NameTaken))
    } else {
        e.into()
    }
}

async fn audit(
    svc: &Services,
    actor: &Actor,
    action: &str,
    org: Option<OrgId>,
    detail: serde_json::Value,
) -> Result<(), DomainError> {
    store::audit::record(&svc.db, &actor.0, action, org, &detail, svc.now()).await?;
    Ok(())
}

async fn wave_by_id(svc: &Services, id: WaveId) -> Result<WaveDto, DomainError> {
    store::rollout::wave(&svc.db, id).await?.as_ref().map(wave_dto).ok_or(DomainError::Rejected(ErrorCode::NotFound))
}

pub async fn create_wave(svc: &Services, actor: &Actor, input: &RolloutWaveInput) -> Result<WaveDto, DomainError> {
    let w = validate_wave(input)?;
    let spec = w.spec(input.position);
    let id = store::rollout::insert_wave(&svc.db, &spec, svc.now()).await.map_err(name_taken)?;
    audit(svc, actor, "wave.create", None, w.audit_detail(id)).await?;
    wave_by_id(svc, id).await
}

pub async fn update_wave(
    svc: &Services,
    actor: &Actor,
    id: WaveId,
    input: &RolloutWaveInput,
) -> Result<WaveDto, DomainError> {
    let w = validate_wave(input)?;
    let spec = w.spec(input.position);
    if !store::rollout::update_wave(&svc.db, id, &spec).await.map_err(name_taken)? {
        return Err(DomainError::Rejected(ErrorCode::NotFound));
    }
    audit(svc, actor, "wave.update", None, w.audit_detail(id)).await?;
    wave_by_id(svc, id).await
}

/// Deletes an empty wave; one with orgs (archived ones too) is refused, not emptied.
pub async fn delete_wave(svc: &Services, actor: &Actor, id: WaveId) -> Result<(), DomainError> {
    let wave = store::rollout::wave(&svc.db, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    if !store::rollout::delete_empty_wave(&svc.db, id).await? {
        return Err(DomainError::Rejected(ErrorCode::WaveNotEmpty));
    }
    audit(svc, actor, "wave.delete", None, serde_json::json!({"wave": id, "name": wave.name})).await
}

pub async fn plan(svc: &Services, slug: &str) -> Result<PlanDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    plan_of(svc, org.id).await
}

pub(crate) async fn plan_of(svc: &Services, org: OrgId) -> Result<PlanDto, DomainError> {
    let p = store::rollout::plan(&svc.db, org).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let wave = match p.wave_id {
        Some(id) => store::rollout::wave(&svc.db, id).await?.as_ref().map(wave_dto),
        None => None,
    };
    Ok(PlanDto { wave, technical_owner: p.technical_owner, credentials_ready_at: p.credentials_ready_at })
}

/// Replaces the org's plan (wave, technical owner, "credentials ready"), audited with
/// what it was and what it is.
pub async fn set_plan(svc: &Services, actor: &Actor, slug: &str, input: &PlanInput) -> Result<PlanDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut f = Fields::default();
    let owner = match input.technical_owner.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(o) => f.check("technical_owner", parse_text(o, OWNER_MAX)),
    };
    let ready = match input.credentials_ready_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => f.check("credentials_ready_at", calendar::parse_instant(t).ok_or(ErrorCode::InstantInvalid)),
    };
    if let Some(wave) = input.wave_id {
        if store::rollout::wave(&svc.db, wave).await?.is_none() {
            f.check::<()>("wave_id", Err(ErrorCode::WaveUnknown));
        }
    }
    f.finish()?;
    let before = plan_of(svc, org.id).await?;
    // The wave can be deleted between the look-up and the write: the foreign key says so.
    if let Err(e) = store::rollout::set_plan(&svc.db, org.id, input.wave_id, owner.as_deref(), ready, svc.now()).await {
        return Err(match e {
            sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
                DomainError::field("wave_id", ErrorCode::WaveUnknown)
            }
            e => e.into(),
        });
    }
    let after = plan_of(svc, org.id).await?;
    audit(
        svc,
        actor,
        "org.plan",
        Some(org.id),
        serde_json::json!({
            "from": {"wave": before.wave.map(|w| w.name), "technical_owner": before.technical_owner, "credentials_ready_at": before.credentials_ready_at},
            "to": {"wave": after.wave.as_ref().map(|w| w.name.clone()), "technical_owner": after.technical_owner, "credentials_ready_at": after.credentials_ready_at},
        }),
    )
    .await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::Sao_Paulo;

    fn at(y: i32, m: u32, d: u32, h: u32) -> i64 {
        Sao_Paulo.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp_millis()
    }

    #[test]
    fn planned_dates_parse_or_say_why() {
        assert_eq!(parse_date(None), Ok(None));
        assert_eq!(parse_date(Some("  ")), Ok(None));
        assert_eq!(parse_date(Some("2026-12-14")), Ok(Some("2026-12-14".into())));
        for bad in ["14/12/2026", "2026-02-30", "2026-1-5", "amanhã", "2026-12-14T10:00"] {
            assert_eq!(parse_date(Some(bad)), Err(ErrorCode::DateInvalid), "{bad}");
        }
    }

    #[test]
    fn lead_time_counts_business_days_and_runs_until_live() {
        // Friday evening to Monday morning: one business day, on target.
        let friday = at(2026, 12, 4, 19);
        let monday = at(2026, 12, 7, 10);
        assert_eq!(
            lead_time(Some(friday), Some(monday), monday),
            Some(LeadTime { business_days: 1, running: false, on_target: true })
        );
        // Not live yet: the clock runs to now, and two business days miss the target.
        let tuesday = at(2026, 12, 8, 10);
        assert_eq!(
            lead_time(Some(friday), None, tuesday),
            Some(LeadTime { business_days: 2, running: true, on_target: false })
        );
        // Carnival (Monday 16 and Tuesday 17 February 2026) is not counted.
        assert_eq!(
            lead_time(Some(at(2026, 2, 13, 18)), Some(at(2026, 2, 18, 12)), 0).map(|l| l.business_days),
            Some(1)
        );
        assert_eq!(lead_time(None, Some(monday), monday), None);
    }

    fn row(name: &str, done: usize, owner: Option<&str>, lead: Option<i64>) -> BoardRow {
        BoardRow {
            org_id: OrgId(0),
            slug: name.to_lowercase(),
            name: name.into(),
            lifecycle: Lifecycle::Draft,
            wave: None,
            phases: vec![PhaseProgress { phase: Phase::PreActivation, done, total: 5, failed: vec![] }],
            blockers: vec![],
            technical_owner: owner.map(String::from),
            credentials_ready_at: None,
            activated_at: None,
            lead_time: lead.map(|d| LeadTime { business_days: d, running: false, on_target: d <= 1 }),
        }
    }

    fn sorted(mut rows: Vec<BoardRow>, key: BoardSort, descending: bool) -> Vec<String> {
        rows.sort_by(|a, b| compare(a, b, key, descending));
        rows.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn sorting_keeps_missing_values_last_and_ties_by_name() {
        let rows = || {
            vec![
                row("Beta", 2, Some("ana"), Some(3)),
                row("alfa", 5, None, None),
                row("Gama", 2, Some("Bruno"), Some(0)),
            ]
        };
        assert_eq!(sorted(rows(), BoardSort::Name, false), ["alfa", "Beta", "Gama"]);
        assert_eq!(sorted(rows(), BoardSort::Name, true), ["Gama", "Beta", "alfa"]);
        assert_eq!(sorted(rows(), BoardSort::Progress, true), ["alfa", "Beta", "Gama"]);
        assert_eq!(sorted(rows(), BoardSort::Owner, false), ["Beta", "Gama", "alfa"]);
        assert_eq!(sorted(rows(), BoardSort::Owner, true), ["Gama", "Beta", "alfa"]);
        assert_eq!(sorted(rows(), BoardSort::LeadTime, false), ["Gama", "Beta", "alfa"]);
    }

    #[test]
    fn bad_filters_are_named() {
        let q = BoardQuery { wave: Some("onda".into()), state: Some("ligado".into()), sort: Some("-cor".into()) };
        let Err(DomainError::Invalid(fields)) = parse_query(&q) else { panic!("refused") };
        let named: Vec<(&str, ErrorCode)> = fields.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            named,
            [
                ("wave", ErrorCode::WaveUnknown),
                ("state", ErrorCode::LifecycleInvalid),
                ("sort", ErrorCode::ValueInvalid)
            ]
        );
        let ok = parse_query(&BoardQuery {
            wave: Some("none".into()),
            state: Some("pilot".into()),
            sort: Some("-lead_time".into()),
        })
        .unwrap();
        assert_eq!(
            (ok.wave, ok.state, ok.sort, ok.descending),
            (Some(None), Some(Lifecycle::Pilot), BoardSort::LeadTime, true)
        );
    }
}
