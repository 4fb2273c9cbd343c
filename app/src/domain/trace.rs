//! A record of the HTTP calls a live check makes (target, method, path, status, time), so
//! the check's history shows what was asked and what answered. The clients of Chatwoot and
//! n8n write into it when given one; paths only, never a header or a body (no secret).

use crate::model::CheckCall;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Default)]
pub struct Trace {
    calls: Mutex<Vec<CheckCall>>,
}

impl Trace {
    /// One call that started at `started`; `status` is `None` when nothing answered.
    pub fn record(&self, target: &str, method: &str, path: &str, status: Option<u16>, started: Instant) {
        let call = CheckCall {
            target: target.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            status,
            ms: started.elapsed().as_millis() as i64,
        };
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }

    pub fn take(&self) -> Vec<CheckCall> {
        self.calls.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default()
    }
}
