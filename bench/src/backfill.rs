//! `ponte-load backfill`: the WhatsApp identity backfill benchmark.
//!
//! 1. Generates an org with N contacts straight into a migrated Ponte database (SQLite
//!    file or PostgreSQL URL), with a realistic Brazilian phone mix: every national and
//!    international spelling operators type, landlines, old mobiles without the ninth
//!    digit, ~2% numbers repeated on a second contact (typed differently), ~3% invalid.
//! 2. Measures the **floor**: one bare `INSERT … SELECT` of the same rows into the
//!    identities table (raw phone as the key, no normalization, no checks beyond the
//!    unique key), then removes what it inserted.
//! 3. Times the real thing: `ponte backfill --org … --batch-size …` (the release binary,
//!    as operators run it), and checks its outcome against the generator's own counts.
//!
//! Generation is deterministic for a seed, so runs on different machines compare.

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct BackfillArgs {
    /// The database: a SQLite file path, or a postgres:// URL.
    #[arg(long)]
    pub db: String,
    /// The `ponte` binary to time.
    #[arg(long)]
    pub ponte: PathBuf,
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: usize,
    #[arg(long, default_value_t = 10_000)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Only generate (and measure the floor); no backfill.
    #[arg(long)]
    pub no_backfill: bool,
}

/// xorshift64*: deterministic, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const DDD: [u32; 67] = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46, 47, 48,
    49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89,
    91, 92, 93, 94, 95, 96, 97, 98, 99,
];

/// A number as (DDD, 8 subscriber digits, mobile?).
#[derive(Clone, Copy)]
struct Number {
    ddd: u32,
    sub: u32,
    mobile: bool,
}

/// One spelling of a number, as people type it.
fn spell(n: Number, style: u64) -> String {
    let (a, b) = (n.sub / 10_000, n.sub % 10_000);
    if !n.mobile {
        return match style % 3 {
            0 => format!("({}) {a:04}-{b:04}", n.ddd),
            1 => format!("+55 {} {a:04}-{b:04}", n.ddd),
            _ => format!("{}{a:04}{b:04}", n.ddd),
        };
    }
    match style % 6 {
        0 => format!("({}) 9{a:04}-{b:04}", n.ddd),
        1 => format!("+55 {} 9{a:04}-{b:04}", n.ddd),
        2 => format!("{}9{a:04}{b:04}", n.ddd),
        3 => format!("55{}9{a:04}{b:04}", n.ddd),
        // An old mobile, saved before the ninth digit: the same person.
        4 => format!("({}) {a:04}-{b:04}", n.ddd),
        _ => format!("+55 ({}) 9 {a:04} {b:04}", n.ddd),
    }
}

fn invalid(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => "0800 123 4567".to_string(),
        1 => format!("{}", rng.below(99_999)),
        2 => format!("(00) {:04}-{:04}", rng.below(10_000), rng.below(10_000)),
        3 => "sem telefone".to_string(),
        _ => format!("+55 11 {:03}", rng.below(1000)),
    }
}

pub struct Generated {
    pub contacts: usize,
    pub repeated: usize,
    pub invalid: usize,
}

/// The phones of `count` contacts, in contact order.
fn phones(count: usize, seed: u64) -> (Vec<String>, Generated) {
    let mut rng = Rng(seed.max(1));
    let mut numbers: Vec<Number> = Vec::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    let (mut repeated, mut invalid_n) = (0, 0);
    for _ in 0..count {
        let roll = rng.below(1000);
        if roll < 30 {
            invalid_n += 1;
            out.push(invalid(&mut rng));
        } else if roll < 50 && !numbers.is_empty() {
            repeated += 1;
            let n = numbers[rng.below(numbers.len() as u64) as usize];
            out.push(spell(n, rng.next()));
        } else {
            let mobile = rng.below(100) < 92;
            let first = if mobile { 6 + rng.below(4) } else { 2 + rng.below(4) } as u32;
            let n = Number {
                ddd: DDD[rng.below(DDD.len() as u64) as usize],
                sub: first * 10_000_000 + rng.below(10_000_000) as u32,
                mobile,
            };
            numbers.push(n);
            out.push(spell(n, rng.next()));
        }
    }
    (out, Generated { contacts: count, repeated, invalid: invalid_n })
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

async fn scalar(pool: &AnyPool, sql: &str) -> Result<i64, String> {
    sqlx::query(sql).fetch_one(pool).await.map_err(|e| e.to_string())?.try_get::<i64, _>(0).map_err(|e| e.to_string())
}

pub async fn run(args: BackfillArgs) -> Result<(), String> {
    sqlx::any::install_default_drivers();
    let postgres = args.db.starts_with("postgres://") || args.db.starts_with("postgresql://");
    // The schema is Ponte's own: `ponte migrate` makes it.
    let migrate = std::process::Command::new(&args.ponte)
        .args(["migrate", "--database-url", &args.db])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", args.ponte.display()))?;
    if !migrate.status.success() {
        return Err(format!("ponte migrate failed: {}", String::from_utf8_lossy(&migrate.stderr)));
    }
    let url = if postgres { args.db.clone() } else { format!("sqlite://{}", args.db) };
    let pool = AnyPoolOptions::new().max_connections(2).connect(&url).await.map_err(|e| e.to_string())?;
    if !postgres {
        sqlx::query("PRAGMA journal_mode=WAL").execute(&pool).await.map_err(|e| e.to_string())?;
    }
    let slug = format!("bench-{}", std::process::id());
    let org: i64 = sqlx::query(
        "INSERT INTO organizations (slug, name, status, created_at, updated_at) VALUES ($1, 'Benchmark', 'active', 0, 0) RETURNING id",
    )
    .bind(&slug)
    .fetch_one(&pool)
    .await
    .map_err(|e| e.to_string())?
    .try_get(0)
    .map_err(|e| e.to_string())?;

    let t = Instant::now();
    let (phones, generated) = phones(args.contacts, args.seed);
    let source = if postgres {
        "(SELECT x ->> 0 AS name, x ->> 1 AS phone FROM json_array_elements(CAST($2 AS json)) AS j(x))"
    } else {
        "(SELECT value ->> 0 AS name, value ->> 1 AS phone FROM json_each($2))"
    };
    let insert = format!(
        "INSERT INTO contacts (organization_id, name, phone, created_at) SELECT $1, r.name, r.phone, 0 FROM {source} AS r"
    );
    for (i, chunk) in phones.chunks(20_000).enumerate() {
        let rows: Vec<serde_json::Value> = chunk
            .iter()
            .enumerate()
            .map(|(j, p)| serde_json::json!([format!("Cliente {}", i * 20_000 + j + 1), p]))
            .collect();
        sqlx::query(&insert)
            .bind(org)
            .bind(serde_json::Value::Array(rows).to_string())
            .execute(&pool)
            .await
            .map_err(|e| e.to_string())?;
    }
    if postgres {
        sqlx::query("ANALYZE contacts").execute(&pool).await.map_err(|e| e.to_string())?;
    }
    let generate_s = secs(t);
    println!(
        "generated {} contacts ({} repeated numbers, {} invalid phones) in {generate_s:.1} s",
        generated.contacts, generated.repeated, generated.invalid
    );

    // Warm the contacts into the page cache for both timed phases alike.
    scalar(&pool, &format!("SELECT CAST(SUM(LENGTH(phone)) AS BIGINT) FROM contacts WHERE organization_id = {org}"))
        .await?;
    let t = Instant::now();
    sqlx::query(&format!(
        "INSERT INTO messaging_contact_identities (organization_id, contact_id, source, external_id, created_at) \
         SELECT organization_id, id, 'whatsapp', phone, 0 FROM contacts WHERE organization_id = {org} AND phone IS NOT NULL \
         ON CONFLICT DO NOTHING"
    ))
    .execute(&pool)
    .await
    .map_err(|e| e.to_string())?;
    let floor_s = secs(t);
    let floor_rows =
        scalar(&pool, &format!("SELECT COUNT(*) FROM messaging_contact_identities WHERE organization_id = {org}"))
            .await?;
    sqlx::query(&format!("DELETE FROM messaging_contact_identities WHERE organization_id = {org}"))
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
    if postgres {
        sqlx::query("VACUUM ANALYZE messaging_contact_identities").execute(&pool).await.map_err(|e| e.to_string())?;
    } else {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&pool).await.map_err(|e| e.to_string())?;
    }
    println!("floor: bare INSERT … SELECT of {floor_rows} rows in {floor_s:.2} s");
    pool.close().await;
    if args.no_backfill {
        return Ok(());
    }

    let t = Instant::now();
    let out = std::process::Command::new(&args.ponte)
        .args(["backfill", "--org", &slug, "--batch-size", &args.batch_size.to_string(), "--database-url", &args.db])
        .output()
        .map_err(|e| e.to_string())?;
    let backfill_s = secs(t);
    if !out.status.success() {
        return Err(format!("ponte backfill failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    println!("{}", String::from_utf8_lossy(&out.stdout).trim());
    let pool = AnyPoolOptions::new().max_connections(1).connect(&url).await.map_err(|e| e.to_string())?;
    let identities =
        scalar(&pool, &format!("SELECT COUNT(*) FROM messaging_contact_identities WHERE organization_id = {org}"))
            .await?;
    let conflicts =
        scalar(&pool, &format!("SELECT COUNT(*) FROM identity_conflicts WHERE organization_id = {org}")).await?;
    println!(
        "backfill: {} contacts in {backfill_s:.2} s ({:.0} contacts/s), {identities} identities, {conflicts} conflict rows; \
         {:.2}× the floor",
        args.contacts,
        args.contacts as f64 / backfill_s,
        backfill_s / floor_s
    );
    println!(
        "RESULT engine={} contacts={} floor_s={floor_s:.2} backfill_s={backfill_s:.2} ratio={:.2} identities={identities} conflicts={conflicts}",
        if postgres { "postgres" } else { "sqlite" },
        args.contacts,
        backfill_s / floor_s
    );
    // Every valid distinct number is linked once; repeats and invalid phones are rows to review.
    let expected_floor = (generated.contacts - generated.invalid - generated.repeated) as i64;
    if identities < expected_floor * 95 / 100 || identities > expected_floor {
        return Err(format!("unexpected identity count {identities} (about {expected_floor} expected)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_has_the_advertised_shares() {
        let (all, g) = phones(100_000, 7);
        assert_eq!(all.len(), 100_000);
        let share = |n: usize| n as f64 / 100_000.0;
        assert!((0.025..0.035).contains(&share(g.invalid)), "{}", g.invalid);
        assert!((0.015..0.025).contains(&share(g.repeated)), "{}", g.repeated);
        assert_eq!(phones(1000, 7).0, phones(1000, 7).0, "deterministic for a seed");
    }

    #[test]
    fn every_spelling_is_a_number_the_normalizer_takes() {
        let n = Number { ddd: 11, sub: 87_654_321, mobile: true };
        for style in 0..6 {
            let parsed = phonenumber::parse(Some(phonenumber::country::Id::BR), spell(n, style));
            assert!(parsed.is_ok(), "{}", spell(n, style));
        }
    }
}
