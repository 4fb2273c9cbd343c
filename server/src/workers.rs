//! Background work of the process: the event processors, the backfill runners and the
//! hourly sweeper (expired sessions, interrupted imports).

use app::domain::auth;
use app::domain::backfill;
use app::domain::contacts_import;
use app::domain::ingest::pipeline;
use app::domain::Services;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Hourly chores (and once at start): expired sessions, and contact imports whose upload
/// cannot still be going (older than the upload timeout plus a minute).
pub fn spawn_session_sweeper(services: Services, upload_timeout: Duration) -> JoinHandle<()> {
    let max_upload_ms = upload_timeout.as_millis().min(i64::MAX as u128) as i64 + 60_000;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match auth::sweep_expired_sessions(&services).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "expired-session sweep failed"),
            }
            match contacts_import::sweep_interrupted(&services, max_upload_ms).await {
                Ok(n) if n > 0 => tracing::warn!(imports = n, "interrupted contact imports marked failed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "interrupted-import sweep failed"),
            }
        }
    })
}

/// Deliveries being accepted at once at which processing steps aside (at 1,000 req/s
/// there are a handful; a burst has dozens).
const ACCEPT_PRESSURE: usize = 16;

/// Starts `n` processing loops. Each claims a batch, processes it, and goes again at once
/// while there is work; when the queue is empty it sleeps until an accepted webhook wakes
/// it or a second passes (retries coming due, events queued by another replica).
pub fn spawn_processors(services: Services, n: usize) -> Vec<JoinHandle<()>> {
    let instance = auth::random_token();
    (0..n)
        .map(|i| {
            let services = services.clone();
            let worker = format!("{}-{i}", &instance[..12]);
            tokio::spawn(async move {
                let mut backoff = Duration::from_millis(100);
                let mut yielded = 0u32;
                loop {
                    // Acceptance first: while many deliveries are being accepted, processing
                    // (which shares the CPUs and, on SQLite, the one writer) waits and catches up
                    // after the burst. Accepted events are safe in the queue meanwhile.
                    // A batch still runs every half second, so a sustained overload cannot starve it.
                    let busy = services.ingest.accepting.load(std::sync::atomic::Ordering::Relaxed);
                    if busy >= ACCEPT_PRESSURE && yielded < 100 {
                        yielded += 1;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    }
                    yielded = 0;
                    match pipeline::run_once(&services, &worker).await {
                        Ok(r) if r.claimed > 0 => {
                            backoff = Duration::from_millis(100);
                            let pipeline = &services.config.pipeline;
                            if (r.claimed as i64) < pipeline.batch_size && pipeline.gather_ms > 0 {
                                tokio::time::sleep(Duration::from_millis(pipeline.gather_ms)).await;
                            }
                            continue;
                        }
                        Ok(_) => {
                            let _ =
                                tokio::time::timeout(Duration::from_secs(1), services.ingest.queue_signal.notified())
                                    .await;
                        }
                        Err(e) => {
                            // The database is down or refusing: keep trying, slower.
                            tracing::warn!(error = %e, worker, "processing batch failed");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(10));
                        }
                    }
                }
            })
        })
        .collect()
}

/// Starts `n` backfill runners. Each works the oldest run nobody holds to its end: runs
/// started or resumed in the portal or the API, and runs a process that died left
/// behind (taken over once their lease runs out, so a restart resumes them by itself).
pub fn spawn_backfill_runners(services: Services, n: usize) -> Vec<JoinHandle<()>> {
    let instance = auth::random_token();
    (0..n)
        .map(|i| {
            let services = services.clone();
            let owner = format!("runner-{}-{i}", &instance[..12]);
            tokio::spawn(async move {
                let mut backoff = Duration::from_millis(200);
                loop {
                    match backfill::run_next(&services, &owner).await {
                        Ok(true) => backoff = Duration::from_millis(200),
                        Ok(false) => {
                            let _ = tokio::time::timeout(Duration::from_secs(2), services.backfill.woken()).await;
                        }
                        // Logged by run_next; the run goes on from its checkpoint, later each
                        // time while the database keeps refusing.
                        Err(_) => {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(30));
                        }
                    }
                }
            })
        })
        .collect()
}
