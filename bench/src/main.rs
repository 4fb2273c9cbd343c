//! `ponte-load`: a load generator for Ponte's webhook intake, run over loopback against a
//! real `ponte serve`.
//!
//! What it measures, and why:
//! - **Acknowledgement throughput and latency.** Chatwoot waits for Ponte's 2xx, and Ponte
//!   answers only after the delivery is durably committed, so the time to the answer is
//!   the cost of "stored safely". `run` reports accepted/s and p50/p90/p99/p99.9/max.
//! - **In a closed loop** (default) C workers send back to back: the most the server
//!   accepts. **In an open loop** (`--rate`) requests leave on a fixed schedule whatever
//!   the answers, and latency counts from the scheduled time, so a stall of the server
//!   shows as latency instead of quietly slowing the generator (coordinated omission).
//! - **Fully processed throughput** (`--wait-processed`): an event is processed when Ponte
//!   has handed it off to the org's automation. `sink` stands in for that automation (n8n)
//!   and counts the hand-offs, so the figure includes a real HTTP delivery.
//!
//! Requests are realistic: the WhatsApp `message_created` fixture with a unique message id
//! per request, from `--people` distinct Brazilian mobile numbers, signed like Chatwoot
//! (`X-Chatwoot-Signature`). Every body and signature is built before the timed phase so
//! the figures measure the server, not the generator. Client and server share the machine:
//! on few cores the generator's own CPU use lowers the ceiling it can show.

mod backfill;
mod payload;
mod run;
mod sink;

use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "ponte-load", about = "Signed Chatwoot webhooks against a running Ponte: throughput and latency")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// A stand-in for the org's automation: answers 200 to POST /hook[/TAG], counts at GET /count.
    Sink {
        #[arg(long, default_value = "127.0.0.1:3999")]
        bind: SocketAddr,
    },
    /// Send webhooks and report throughput, latency and (with --wait-processed) processing.
    Run(run::RunArgs),
    /// Generate an org with many contacts, measure the bare-insert floor, time `ponte backfill`.
    Backfill(backfill::BackfillArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Sink { bind } => sink::serve(bind).await,
        Command::Run(args) => run::run(args).await,
        Command::Backfill(args) => backfill::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ponte-load: {e}");
            ExitCode::FAILURE
        }
    }
}
