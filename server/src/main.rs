//! `ponte`: parse the command line and run. Everything else is in the library.

use clap::Parser;
use ponte_server::config::{Cli, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    ponte_server::telemetry::init(cli.config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config).await,
        Command::Migrate => ponte_server::cli::migrate(&cli.config).await,
        Command::Admin(cmd) => ponte_server::cli::admin(&cli.config, cmd).await,
        Command::Backfill { org, dry_run, batch_size, resume } => {
            ponte_server::cli::backfill(&cli.config, &org, dry_run, batch_size, resume).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ponte: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ponte_server::config::Config) -> Result<(), String> {
    let running = ponte_server::start(config, shutdown_signal()).await.map_err(|e| e.to_string())?;
    match running.task.await {
        Ok(Ok(())) => {
            running.services.db.close().await;
            tracing::info!("Ponte stopped");
            Ok(())
        }
        Ok(Err(e)) => Err(format!("server error: {e}")),
        Err(e) => Err(format!("server task failed: {e}")),
    }
}

/// Ctrl-C or SIGTERM (what orchestrators send) starts a graceful shutdown.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
