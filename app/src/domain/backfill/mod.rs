//! WhatsApp identity backfill for an org's existing contacts: batches in contact-id order
//! (keyset), phones normalized like live ingestion (default region BR, the mobile ninth
//! digit restored), one short transaction per batch that also moves the run's checkpoint.
//! Idempotent (a second run changes nothing), resumable (a stopped run goes on after its
//! checkpoint), and safe beside live ingestion: an identity created meanwhile is found,
//! never overwritten; every clash becomes a conflict row, open for reconciliation.
//!
//! `lifecycle` starts runs and moves their status (pause, resume, cancel) and reads them;
//! `engine` works a run under its lease, batch after batch; `plan` decides one batch in
//! memory. This file holds the constants and the run's public view.

mod engine;
mod lifecycle;
mod plan;

pub use crate::model::{BackfillRunDto, OrgBackfillDto, WaveStart};
pub use engine::{run_batches, run_next};
pub use lifecycle::{add_contact, get, history, overview, report_csv, set_status, start, start_wave};

use super::store::backfill::RunRow;
use crate::model::RunStatus;
use std::sync::Arc;

/// How long a run stays a process's after its last checkpoint.
pub const LEASE_MS: i64 = 30_000;
pub const DEFAULT_BATCH_SIZE: i64 = 10_000;
/// Batches refused in a row after which a run stops as `failed`.
pub const MAX_FAILURES: i64 = 10;

/// What the background runners share with the rest of the process: starting or resuming
/// a run wakes them (they also poll, for runs started by other replicas).
#[derive(Clone, Default)]
pub struct Runners {
    wake: Arc<tokio::sync::Notify>,
}

impl Runners {
    pub(crate) fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Waits until a run is started or resumed in this process.
    pub async fn woken(&self) {
        self.wake.notified().await
    }
}

fn dto(r: RunRow) -> BackfillRunDto {
    // Counted at the start; contacts created meanwhile (live messages) are handled too.
    let total = r.total.max(r.processed);
    let elapsed_s = (r.updated_at - r.started_at) as f64 / 1000.0;
    let rate = if elapsed_s > 0.0 { r.processed as f64 / elapsed_s } else { 0.0 };
    let eta_seconds =
        (r.status == RunStatus::Running && rate > 0.0).then(|| ((total - r.processed) as f64 / rate).ceil() as i64);
    BackfillRunDto {
        id: r.id,
        status: r.status,
        dry_run: r.dry_run,
        batch_size: r.batch_size,
        total,
        processed: r.processed,
        created: r.created,
        skipped: r.skipped,
        conflicts: r.conflicts,
        invalid: r.invalid,
        empty: r.empty,
        started_at: r.started_at,
        updated_at: r.updated_at,
        finished_at: r.finished_at,
        wave: r.wave,
        failures: r.failures,
        last_error: r.last_error,
        rate: (rate * 10.0).round() / 10.0,
        eta_seconds,
    }
}
