//! Group commit for accepted webhooks. Each request hands its row to a writer task and
//! waits; the task takes every row that queued up while the previous commit was running
//! and commits them in one transaction, then answers each request. One fsync thus serves a
//! whole burst, and no request is answered before the commit that holds its row.
//!
//! SQLite has a single writer, so it gets one task; PostgreSQL gets a few, so one batch is
//! gathered while another commits.

use crate::domain::error::DomainError;
use crate::domain::store::{self, webhooks::NewEvent, Db};
use crate::model::EventId;
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Mutex};

type Reply = oneshot::Sender<Result<(EventId, bool), String>>;

struct Job {
    event: NewEvent,
    reply: Reply,
}

pub struct EventWriter {
    db: Db,
    gate: Arc<Mutex<()>>,
    max_batch: usize,
    tx: OnceLock<mpsc::Sender<Job>>,
}

impl EventWriter {
    pub fn new(db: Db, gate: Arc<Mutex<()>>, max_batch: usize) -> Self {
        EventWriter { db, gate, max_batch: max_batch.max(1), tx: OnceLock::new() }
    }

    /// The writer tasks start with the first write, on the runtime that serves requests.
    fn sender(&self) -> &mpsc::Sender<Job> {
        self.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Job>(self.max_batch * 8);
            let rx = Arc::new(Mutex::new(rx));
            let tasks = if matches!(self.db, Db::Sqlite(_)) { 1 } else { 4 };
            for _ in 0..tasks {
                tokio::spawn(run(self.db.clone(), self.gate.clone(), rx.clone(), self.max_batch));
            }
            tx
        })
    }

    /// Stores the event; returns its id and whether it was new, once committed.
    pub async fn write(&self, event: NewEvent) -> Result<(EventId, bool), DomainError> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError(job)) = self.sender().send(Job { event, reply }).await {
            // The writer tasks are gone (their runtime ended): write directly.
            return Ok(write_alone(&self.db, &self.gate, job.event).await?);
        }
        match answer.await {
            Ok(Ok(row)) => Ok(row),
            Ok(Err(e)) => Err(DomainError::Internal(format!("event insert failed: {e}"))),
            Err(_) => Err(DomainError::Internal("event writer stopped before answering".into())),
        }
    }
}

async fn write_alone(db: &Db, gate: &Mutex<()>, event: NewEvent) -> Result<(EventId, bool), sqlx::Error> {
    let _g = lock_if_sqlite(db, gate).await;
    let rows = store::webhooks::insert_events(db, std::slice::from_ref(&event)).await?;
    Ok(rows[0])
}

/// On SQLite every writer of the hot path queues here instead of in SQLite's busy handler,
/// whose sleeps (up to 100 ms) would show in the acknowledgement latency.
pub(crate) async fn lock_if_sqlite<'a>(db: &Db, gate: &'a Mutex<()>) -> Option<tokio::sync::MutexGuard<'a, ()>> {
    match db {
        Db::Sqlite(_) => Some(gate.lock().await),
        Db::Postgres(_) => None,
    }
}

async fn run(db: Db, gate: Arc<Mutex<()>>, rx: Arc<Mutex<mpsc::Receiver<Job>>>, max_batch: usize) {
    loop {
        let mut jobs = Vec::new();
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => jobs.push(job),
                None => return,
            }
            while jobs.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
        let (events, replies): (Vec<NewEvent>, Vec<Reply>) = jobs.into_iter().map(|j| (j.event, j.reply)).unzip();
        let result = {
            let _g = lock_if_sqlite(&db, &gate).await;
            store::webhooks::insert_events(&db, &events).await
        };
        match result {
            Ok(rows) => {
                for (reply, row) in replies.into_iter().zip(rows) {
                    let _ = reply.send(Ok(row));
                }
            }
            Err(e) if events.len() > 1 => {
                // One bad row must not fail its neighbours: retry each on its own.
                tracing::warn!(error = %e, batch = events.len(), "group commit failed; writing the batch row by row");
                for (reply, event) in replies.into_iter().zip(events) {
                    let r = write_alone(&db, &gate, event).await.map_err(|e| e.to_string());
                    let _ = reply.send(r);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "event insert failed");
                for reply in replies {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
    }
}
