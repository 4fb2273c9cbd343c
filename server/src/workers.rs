//! Background work of the process. For now: removing expired sessions.

use app::domain::auth;
use app::domain::Services;
use std::time::Duration;
use tokio::task::JoinHandle;

pub fn spawn_session_sweeper(services: Services) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match auth::sweep_expired_sessions(&services).await {
                Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "expired-session sweep failed"),
            }
        }
    })
}
