//! `ponte-load run`: sends the prepared deliveries, closed or open loop, and reports.

use crate::payload::{Generator, Prepared};
use clap::Args;
use hdrhistogram::Histogram;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;

const DEFAULT_PAYLOAD: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../server/tests/fixtures/chatwoot/whatsapp_message_created.json");
/// Ponte refuses signatures older than this (its replay window is 300 s).
const SIGNATURE_WINDOW_SECS: f64 = 290.0;
const SINK_POLL: Duration = Duration::from_millis(100);

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Ponte's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    base: String,
    /// Slug of the organization receiving the webhooks.
    #[arg(long)]
    org: String,
    /// The org's Chatwoot webhook secret.
    #[arg(long, env = "PONTE_LOAD_SECRET", hide_env_values = true)]
    secret: String,
    /// Admin API key: when given, the run ends with the org's pending, failed and dead event counts.
    #[arg(long, env = "PONTE_LOAD_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Requests to send, at most.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Requests in flight, at most (in a closed loop, the number of workers).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Open loop: requests per second on a fixed schedule. Without it, a closed loop.
    #[arg(long)]
    rate: Option<f64>,
    /// Stop sending after this many seconds.
    #[arg(long)]
    duration_secs: Option<f64>,
    /// Distinct people (WhatsApp numbers, each with one conversation) the messages come from.
    #[arg(long, default_value_t = 1000)]
    people: u64,
    /// Chatwoot payload used as the template of every request.
    #[arg(long, default_value = DEFAULT_PAYLOAD)]
    payload: PathBuf,
    /// Message id of the first request. Runs against one database need distinct ranges, or
    /// their messages are duplicates (accepted, not processed again).
    #[arg(long, default_value_t = 10_000_000)]
    first_id: i64,
    /// After sending, wait until the sink has received every new accepted event.
    #[arg(long, requires = "sink")]
    wait_processed: bool,
    /// Base URL of the `ponte-load sink` the org's automation posts to.
    #[arg(long)]
    sink: Option<String>,
    /// --wait-processed gives up when the sink's count stops growing for this long.
    #[arg(long, default_value_t = 10)]
    stall_secs: u64,
    /// Timeout of each request.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
}

/// When request `i` of an open-loop run is due, counted from the start.
pub fn scheduled_offset(i: u64, rate: f64) -> Duration {
    Duration::from_secs_f64(i as f64 / rate)
}

/// How many requests a run prepares: `count`, or fewer when an open loop's schedule
/// reaches the duration first (request `i` is sent only if due before it).
pub fn planned_requests(count: u64, rate: Option<f64>, duration_secs: Option<f64>) -> u64 {
    match (rate, duration_secs) {
        // The epsilon keeps 0.1/s × 30 s at 3 requests despite 3.0000000000000004.
        (Some(r), Some(d)) => count.min((r * d - 1e-9).ceil().max(0.0) as u64),
        _ => count,
    }
}

#[derive(Deserialize)]
struct Ack {
    #[serde(default)]
    duplicate: bool,
}

enum Outcome {
    Accepted {
        duplicate: bool,
    },
    /// Status code or transport failure, with the start of the answer.
    Refused {
        kind: String,
        sample: String,
    },
}

async fn send(client: &reqwest::Client, url: &str, p: &Prepared) -> Outcome {
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-chatwoot-delivery", &p.delivery)
        .header("x-chatwoot-timestamp", &p.timestamp)
        .header("x-chatwoot-signature", &p.signature)
        .body(p.body.clone())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => {
            let duplicate = resp.json::<Ack>().await.map(|a| a.duplicate).unwrap_or(false);
            Outcome::Accepted { duplicate }
        }
        Ok(resp) => {
            let kind = resp.status().as_u16().to_string();
            let sample = resp.text().await.unwrap_or_default().chars().take(200).collect();
            Outcome::Refused { kind, sample }
        }
        Err(e) => {
            let kind = if e.is_timeout() {
                "timeout"
            } else if e.is_connect() {
                "connect"
            } else {
                "transport"
            };
            // reqwest's own message is generic ("error sending request"): add its causes.
            let e = e.without_url();
            let mut sample = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                sample = format!("{sample}: {c}");
                cause = c.source();
            }
            Outcome::Refused { kind: kind.into(), sample }
        }
    }
}

fn micros(d: Duration) -> u64 {
    d.as_micros().min(u64::MAX as u128) as u64
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 1 h at 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

struct Stats {
    latency: Histogram<u64>,
    /// Open loop: how late each request left compared with its schedule, and the time from
    /// when it actually left to the answer (the latency without the generator's lateness).
    lag: Histogram<u64>,
    service: Histogram<u64>,
    accepted: u64,
    duplicates: u64,
    /// Errors by status code (or `timeout`, `connect`, `transport`): count and a sample answer.
    errors: BTreeMap<String, (u64, String)>,
    last_answer: Option<Instant>,
}

impl Stats {
    fn new() -> Self {
        Stats {
            latency: new_histogram(),
            lag: new_histogram(),
            service: new_histogram(),
            accepted: 0,
            duplicates: 0,
            errors: BTreeMap::new(),
            last_answer: None,
        }
    }

    fn record(&mut self, outcome: Outcome, latency: Duration) {
        self.latency.saturating_record(micros(latency).max(1));
        self.last_answer = Some(Instant::now());
        match outcome {
            Outcome::Accepted { duplicate } => {
                self.accepted += 1;
                self.duplicates += u64::from(duplicate);
            }
            Outcome::Refused { kind, sample } => self.errors.entry(kind).or_insert((0, sample)).0 += 1,
        }
    }

    fn sent(&self) -> u64 {
        self.accepted + self.errors.values().map(|(n, _)| n).sum::<u64>()
    }
}

type Shared = Arc<Mutex<Stats>>;

/// C workers, each sending its next request as soon as the previous one is answered.
async fn closed_loop(
    client: &reqwest::Client,
    url: &str,
    reqs: &Arc<Vec<Prepared>>,
    concurrency: usize,
    deadline: Option<Instant>,
    stats: &Shared,
) {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, reqs, next, stats) =
                (client.clone(), url.to_string(), reqs.clone(), next.clone(), stats.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= reqs.len() || deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    let t = Instant::now();
                    let outcome = send(&client, &url, &reqs[i]).await;
                    stats.lock().expect("stats lock").record(outcome, t.elapsed());
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker panicked");
    }
}

/// Requests leave on a fixed schedule whatever the answers; latency counts from the due
/// time, so a server stall shows in the figures instead of slowing the generator down
/// (no coordinated omission). Returns how many requests found all C slots busy.
async fn open_loop(
    client: &reqwest::Client,
    url: &str,
    reqs: &Arc<Vec<Prepared>>,
    rate: f64,
    concurrency: usize,
    start: Instant,
    stats: &Shared,
) -> u64 {
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    let mut fell_behind = 0;
    for i in 0..reqs.len() {
        let due = start + scheduled_offset(i as u64, rate);
        if due > Instant::now() {
            tokio::time::sleep_until(due.into()).await;
        }
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                fell_behind += 1;
                slots.clone().acquire_owned().await.expect("the semaphore is never closed")
            }
        };
        let left = Instant::now();
        stats.lock().expect("stats lock").lag.saturating_record(micros(left - due).max(1));
        let (client, url, reqs, stats) = (client.clone(), url.to_string(), reqs.clone(), stats.clone());
        tasks.spawn(async move {
            let outcome = send(&client, &url, &reqs[i]).await;
            let mut st = stats.lock().expect("stats lock");
            st.service.saturating_record(micros(left.elapsed()).max(1));
            st.record(outcome, due.elapsed());
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    fell_behind
}

#[derive(Deserialize)]
struct SinkCount {
    count: u64,
    distinct: u64,
}

async fn sink_count(client: &reqwest::Client, sink: &str) -> Result<SinkCount, String> {
    let url = format!("{}/count", sink.trim_end_matches('/'));
    let resp = client.get(&url).send().await.map_err(|e| format!("sink {url}: {e}"))?;
    resp.json().await.map_err(|e| format!("sink {url}: {e}"))
}

/// Samples of the sink's distinct-event count, taken every 100 ms from the start.
type Samples = Arc<Mutex<Vec<(Instant, u64, u64)>>>;

fn spawn_sink_poller(client: reqwest::Client, sink: String, samples: Samples, stop: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SINK_POLL);
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            if let Ok(c) = sink_count(&client, &sink).await {
                samples.lock().expect("samples lock").push((Instant::now(), c.distinct, c.count));
            }
        }
    });
}

/// What reached the sink: the figures of `--wait-processed`.
struct Processed {
    events: u64,
    expected: u64,
    deliveries: u64,
    /// From the first send to the moment the count reached its final value.
    secs: f64,
    backlog_at_send_end: u64,
    /// Events that reached the sink after sending ended, and over how long.
    after_send: (u64, f64),
}

fn processed_figures(
    samples: &[(Instant, u64, u64)],
    baseline: &SinkCount,
    expected: u64,
    start: Instant,
    send_end: Instant,
) -> Processed {
    let last = samples.last().map_or(baseline.distinct, |s| s.1);
    let reached = samples.iter().find(|s| s.1 == last).map_or(send_end, |s| s.0);
    let at_send_end = samples.iter().take_while(|s| s.0 <= send_end).last().map_or(baseline.distinct, |s| s.1);
    let events = last - baseline.distinct;
    Processed {
        events,
        expected,
        deliveries: samples.last().map_or(0, |s| s.2 - baseline.count),
        secs: reached.saturating_duration_since(start).as_secs_f64(),
        backlog_at_send_end: expected.saturating_sub(at_send_end - baseline.distinct),
        after_send: (last - at_send_end, reached.saturating_duration_since(send_end).as_secs_f64()),
    }
}

fn per_sec(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

/// The org's events in `status`, capped at 500 (the admin API's page size).
async fn events_in(client: &reqwest::Client, args: &RunArgs, key: &str, status: &str) -> Result<u64, String> {
    let url =
        format!("{}/api/v1/admin/orgs/{}/events?status={status}&limit=500", args.base.trim_end_matches('/'), args.org);
    let resp = client.get(&url).bearer_auth(key).send().await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let page: Value = resp.json().await.map_err(|e| e.to_string())?;
    Ok(page["items"].as_array().map_or(0, |a| a.len() as u64))
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    round(h.value_at_quantile(q) as f64 / 1000.0, 3)
}

pub async fn run(args: RunArgs) -> Result<(), String> {
    if args.concurrency == 0 || args.count == 0 {
        return Err("--count and --concurrency must be at least 1".into());
    }
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err("--rate must be a positive number".into());
    }
    if args.duration_secs.is_some_and(|d| !(d.is_finite() && d > 0.0)) {
        return Err("--duration-secs must be a positive number".into());
    }
    let raw = std::fs::read(&args.payload).map_err(|e| format!("{}: {e}", args.payload.display()))?;
    let template: Value = serde_json::from_slice(&raw).map_err(|e| format!("{}: {e}", args.payload.display()))?;
    let generator = Generator::new(template, args.first_id, args.people)?;

    let n = planned_requests(args.count, args.rate, args.duration_secs);
    let built = Instant::now();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
    let reqs = Arc::new(generator.prepare(n, &args.secret, now, &format!("{now}-{}", std::process::id())));
    let bytes: usize = reqs.iter().map(|r| r.body.len()).sum();
    eprintln!("prepared {n} signed requests ({} bytes each on average) in {:.2?}", bytes / n as usize, built.elapsed());
    let expected_secs = args.rate.map(|r| n as f64 / r).or(args.duration_secs).unwrap_or(0.0);
    if expected_secs > SIGNATURE_WINDOW_SECS {
        eprintln!("warning: the run may outlast Ponte's 300 s signature window; late requests will be refused");
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(args.timeout_secs))
        .build()
        .map_err(|e| e.to_string())?;
    let monitor = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
    let url = format!("{}/webhooks/chatwoot/{}", args.base.trim_end_matches('/'), args.org);

    let sink = if args.wait_processed { args.sink.clone() } else { None };
    let baseline = match &sink {
        Some(s) => Some(sink_count(&monitor, s).await?),
        None => None,
    };
    let samples: Samples = Arc::default();
    let stop_polling = Arc::new(AtomicBool::new(false));

    let mode = if args.rate.is_some() { "open" } else { "closed" };
    match args.rate {
        Some(r) => {
            println!("ponte-load: open loop, {r} req/s, at most {} in flight, {n} requests to {url}", args.concurrency)
        }
        None => println!("ponte-load: closed loop, {} workers, {n} requests to {url}", args.concurrency),
    }
    let stats: Shared = Arc::new(Mutex::new(Stats::new()));
    let start = Instant::now();
    if let Some(s) = &sink {
        spawn_sink_poller(monitor.clone(), s.clone(), samples.clone(), stop_polling.clone());
    }
    let deadline = args.duration_secs.map(|d| start + Duration::from_secs_f64(d));
    let fell_behind = match args.rate {
        Some(rate) => open_loop(&client, &url, &reqs, rate, args.concurrency, start, &stats).await,
        None => {
            closed_loop(&client, &url, &reqs, args.concurrency, deadline, &stats).await;
            0
        }
    };
    let send_end = Instant::now();
    let st = std::mem::replace(&mut *stats.lock().expect("stats lock"), Stats::new());
    let elapsed = st.last_answer.unwrap_or(send_end).saturating_duration_since(start).as_secs_f64();

    let processed = match (&sink, baseline) {
        (Some(_), Some(baseline)) => {
            let expected = st.accepted - st.duplicates;
            let target = baseline.distinct + expected;
            let stall = Duration::from_secs(args.stall_secs);
            loop {
                tokio::time::sleep(SINK_POLL).await;
                let s = samples.lock().expect("samples lock");
                let last = s.last().map_or(baseline.distinct, |x| x.1);
                let changed = s.iter().find(|x| x.1 == last).map_or(send_end, |x| x.0.max(send_end));
                if last >= target || changed.elapsed() >= stall {
                    break;
                }
            }
            stop_polling.store(true, Ordering::Relaxed);
            let s = samples.lock().expect("samples lock");
            Some(processed_figures(&s, &baseline, expected, start, send_end))
        }
        _ => None,
    };

    let mut events = BTreeMap::new();
    if let Some(key) = &args.admin_key {
        for status in ["pending", "processing", "failed", "dead"] {
            match events_in(&monitor, &args, key, status).await {
                Ok(k) => {
                    events.insert(status, k);
                }
                Err(e) => eprintln!("warning: could not list {status} events: {e}"),
            }
        }
    }

    // Human-readable report.
    let sent = st.sent();
    let accepted_per_s = per_sec(st.accepted, elapsed);
    println!("sent        {sent} in {elapsed:.2} s");
    println!("accepted    {} ({} duplicates) = {accepted_per_s:.1}/s", st.accepted, st.duplicates);
    if st.errors.is_empty() {
        println!("errors      none");
    }
    for (kind, (count, sample)) in &st.errors {
        println!("errors      {kind}: {count} (e.g. {sample:?})");
    }
    let h = &st.latency;
    println!(
        "latency ms  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        ms(h, 0.5),
        ms(h, 0.9),
        ms(h, 0.99),
        ms(h, 0.999),
        round(h.max() as f64 / 1000.0, 3)
    );
    if args.rate.is_some() {
        println!(
            "schedule    {fell_behind} requests found all {} slots busy; dispatch lag ms p50 {} p99 {} max {}",
            args.concurrency,
            ms(&st.lag, 0.5),
            ms(&st.lag, 0.99),
            round(st.lag.max() as f64 / 1000.0, 3)
        );
        println!(
            "service ms  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (from when each request actually left)",
            ms(&st.service, 0.5),
            ms(&st.service, 0.9),
            ms(&st.service, 0.99),
            ms(&st.service, 0.999),
            round(st.service.max() as f64 / 1000.0, 3)
        );
    }
    if let Some(p) = &processed {
        println!(
            "processed   {}/{} new events reached the sink in {:.2} s from the first send = {:.1}/s{}",
            p.events,
            p.expected,
            p.secs,
            per_sec(p.events, p.secs),
            if p.events < p.expected { " (INCOMPLETE: the sink stopped growing)" } else { "" }
        );
        println!(
            "            backlog when sending ended: {}; after that {} events in {:.2} s = {:.1}/s; sink deliveries {}",
            p.backlog_at_send_end,
            p.after_send.0,
            p.after_send.1,
            per_sec(p.after_send.0, p.after_send.1),
            p.deliveries
        );
    }
    if !events.is_empty() {
        let list: Vec<String> = events.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("events now  {} (each capped at 500)", list.join(", "));
    }

    let errors: BTreeMap<&str, u64> = st.errors.iter().map(|(k, (n, _))| (k.as_str(), *n)).collect();
    let summary = json!({
        "mode": mode,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "sent": sent,
        "accepted": st.accepted,
        "duplicates": st.duplicates,
        "errors": errors,
        "elapsed_s": round(elapsed, 3),
        "accepted_per_s": round(accepted_per_s, 1),
        "p50_ms": ms(h, 0.5),
        "p90_ms": ms(h, 0.9),
        "p99_ms": ms(h, 0.99),
        "p999_ms": ms(h, 0.999),
        "max_ms": round(h.max() as f64 / 1000.0, 3),
        "fell_behind": fell_behind,
        "lag_p50_ms": ms(&st.lag, 0.5),
        "lag_p99_ms": ms(&st.lag, 0.99),
        "service_p50_ms": ms(&st.service, 0.5),
        "service_p99_ms": ms(&st.service, 0.99),
        "processed": processed.as_ref().map(|p| p.events),
        "processed_expected": processed.as_ref().map(|p| p.expected),
        "processed_s": processed.as_ref().map(|p| round(p.secs, 3)),
        "processed_per_s": processed.as_ref().map(|p| round(per_sec(p.events, p.secs), 1)),
        "processed_after_send_per_s": processed.as_ref().map(|p| round(per_sec(p.after_send.0, p.after_send.1), 1)),
        "backlog_at_send_end": processed.as_ref().map(|p| p.backlog_at_send_end),
        "sink_deliveries": processed.as_ref().map(|p| p.deliveries),
        "events": events,
    });
    println!("{summary}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_loop_schedule_is_evenly_spaced() {
        assert_eq!(scheduled_offset(0, 1000.0), Duration::ZERO);
        assert_eq!(scheduled_offset(1, 1000.0), Duration::from_millis(1));
        assert_eq!(scheduled_offset(2500, 1000.0), Duration::from_millis(2500));
        assert_eq!(scheduled_offset(3, 2.0), Duration::from_millis(1500));
        assert_eq!(scheduled_offset(1, 0.5), Duration::from_secs(2));
        // 1/3 s apart: the 3rd interval ends at exactly one second.
        let third = scheduled_offset(3, 3.0);
        assert!(third.abs_diff(Duration::from_secs(1)) < Duration::from_nanos(2), "{third:?}");
    }

    #[test]
    fn the_duration_caps_an_open_loop_but_not_a_closed_one() {
        assert_eq!(planned_requests(20_000, None, None), 20_000);
        assert_eq!(planned_requests(20_000, None, Some(10.0)), 20_000);
        assert_eq!(planned_requests(20_000, Some(1000.0), None), 20_000);
        assert_eq!(planned_requests(20_000, Some(1000.0), Some(10.0)), 10_000);
        assert_eq!(planned_requests(5_000, Some(1000.0), Some(10.0)), 5_000);
        // Due before the end: 0, 0.4 and 0.8 s.
        assert_eq!(planned_requests(100, Some(2.5), Some(1.0)), 3);
        // 0, 10 and 20 s; the one due at 30 s is past the end.
        assert_eq!(planned_requests(100, Some(0.1), Some(30.0)), 3);
        assert_eq!(planned_requests(100, Some(1000.0), Some(0.0005)), 1);
        // Every planned request is due before the end.
        for (rate, secs) in [(1000.0, 10.0), (7.0, 3.0), (333.3, 1.7)] {
            let n = planned_requests(u64::MAX, Some(rate), Some(secs));
            assert!(scheduled_offset(n - 1, rate).as_secs_f64() < secs);
            assert!(scheduled_offset(n, rate).as_secs_f64() >= secs - 1e-9);
        }
    }

    #[test]
    fn processed_figures_come_from_the_sink_samples() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let baseline = SinkCount { count: 10, distinct: 10 };
        let send_end = at(1000);
        // 100 events expected; 60 arrived while sending, the rest by 1.5 s, then no change.
        let samples = [(at(500), 30, 30), (at(1000), 70, 70), (at(1500), 110, 111), (at(1600), 110, 111)];
        let p = processed_figures(&samples, &baseline, 100, start, send_end);
        assert_eq!(p.events, 100);
        assert_eq!(p.deliveries, 101);
        assert!((p.secs - 1.5).abs() < 1e-6);
        assert_eq!(p.backlog_at_send_end, 40);
        assert_eq!(p.after_send.0, 40);
        assert!((p.after_send.1 - 0.5).abs() < 1e-6);
    }
}
