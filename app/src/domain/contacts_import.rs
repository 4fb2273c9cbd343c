//! Contacts import: an existing client's contact base as CSV (name, phone, email, the
//! id in its previous CRM), read as a stream (a batch of rows in memory at a time, never
//! the file), validated row by row, upserted a batch per transaction. Rejected rows
//! (and rows taken with a warning) are kept with their line for a downloadable report.
//!
//! What operators bring: exports from Brazilian spreadsheets, so `;` or `,` (or tab) as
//! the delimiter, found from the header line; UTF-8 with or without BOM, or Latin-1;
//! headers in Portuguese or English, in any order, other columns ignored.

use super::error::DomainError;
use super::identity::phone::{normalize_phone, PhoneError};
use super::report::CsvReport;
use super::store::{
    self,
    contacts_import::{BatchCounts, ContactIn, ImportRow, Issue},
};
use super::{orgs, Actor, Services};
pub use crate::model::ImportDto;
use crate::model::*;
use futures::StreamExt;
use std::collections::HashMap;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

const BATCH: usize = 1_000;
const MAX_NAME: usize = 200;
const MAX_EMAIL: usize = 254;
const MAX_PHONE: usize = 40;
const MAX_REF: usize = 100;
/// A report line keeps this much of the rejected row.
const MAX_RAW: usize = 1_000;

fn dto(r: ImportRow) -> ImportDto {
    ImportDto {
        id: r.id,
        status: r.status,
        filename: r.filename,
        rows_read: r.rows_read,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        rejected: r.rejected,
        warnings: r.warnings,
        error: r.error,
        started_at: r.started_at,
        finished_at: r.finished_at,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    Phone,
    Email,
    ExternalRef,
}

/// A header cell → the column it names (accents, case and separators ignored).
fn column(header: &str) -> Option<Column> {
    let h: String =
        deunicode::deunicode(header.trim()).to_lowercase().chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    match h.as_str() {
        "nome" | "name" | "nomecompleto" | "fullname" | "cliente" => Some(Column::Name),
        "telefone" | "phone" | "celular" | "whatsapp" | "fone" | "mobile" | "phonenumber" | "telefonecelular" => {
            Some(Column::Phone)
        }
        "email" | "mail" | "emailaddress" => Some(Column::Email),
        "idexterno" | "externalid" | "id" | "codigo" | "crmid" | "idcrm" | "externalref" | "codigocliente" => {
            Some(Column::ExternalRef)
        }
        _ => None,
    }
}

/// Bytes of a cell as text: UTF-8, else Latin-1 (what Excel in pt-BR saves as "CSV").
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

/// The delimiter the header line uses: the most frequent of `;`, `,` and tab.
fn delimiter(first_line: &[u8]) -> u8 {
    [b';', b',', b'\t'].into_iter().max_by_key(|d| first_line.iter().filter(|b| *b == d).count()).unwrap_or(b',')
}

fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// One data row → a contact to upsert, or why not (and warnings it is taken with).
fn validate(line: i64, cells: &[String], columns: &[Option<Column>]) -> (Option<ContactIn>, Vec<Issue>) {
    let raw = || cells.join(",").chars().take(MAX_RAW).collect::<String>();
    let reject = |code: &'static str, message: String| {
        (None, vec![Issue { line, level: IssueLevel::Rejected, code, message, raw: raw() }])
    };
    if cells.len() != columns.len() {
        return reject(
            "column_count",
            format!("a linha tem {} colunas; o cabeçalho tem {}", cells.len(), columns.len()),
        );
    }
    let mut c = ContactIn { line, name: None, phone: None, email: None, external_ref: None };
    for (cell, col) in cells.iter().zip(columns) {
        let v = cell.trim();
        if v.is_empty() {
            continue;
        }
        if v.chars().any(|ch| ch.is_control()) {
            return reject("control_chars", "a linha tem caracteres de controle".into());
        }
        let (slot, max, what) = match col {
            Some(Column::Name) => (&mut c.name, MAX_NAME, "nome"),
            Some(Column::Phone) => (&mut c.phone, MAX_PHONE, "telefone"),
            Some(Column::Email) => (&mut c.email, MAX_EMAIL, "e-mail"),
            Some(Column::ExternalRef) => (&mut c.external_ref, MAX_REF, "id externo"),
            None => continue,
        };
        if v.chars().count() > max {
            return reject("too_long", format!("{what} com mais de {max} caracteres"));
        }
        *slot = Some(v.to_string());
    }
    if c.name.is_none() && c.phone.is_none() && c.email.is_none() {
        return reject("empty", "linha sem nome, telefone nem e-mail".into());
    }
    if let Some(e) = &c.email {
        if !valid_email(e) {
            return reject("email_invalid", format!("e-mail inválido: {e}"));
        }
        c.email = Some(e.to_lowercase());
    }
    let mut warnings = Vec::new();
    if let Some(p) = &c.phone {
        if normalize_phone(p) == Err(PhoneError::Invalid) {
            warnings.push(Issue {
                line,
                level: IssueLevel::Warning,
                code: "phone_invalid",
                message: format!("telefone inválido ({p}): contato importado, sem identidade de WhatsApp"),
                raw: raw(),
            });
        }
    }
    (Some(c), warnings)
}

/// Imports a CSV read from `input`. The header is checked before anything is recorded
/// (a file without recognizable columns is refused whole); after it, bad rows are
/// reported and the rest imported. A read error midway (the upload broke off) ends the
/// import as `failed`, with the batches before it kept.
pub async fn import<R: AsyncRead + Unpin + Send>(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    filename: Option<&str>,
    input: R,
) -> Result<ImportDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut input = BufReader::with_capacity(64 * 1024, input);
    // Peek the header line (without consuming it) to choose the delimiter; skip a BOM.
    let head = input.fill_buf().await.map_err(|_| DomainError::Rejected(ErrorCode::CsvFileMissing))?;
    if head.is_empty() {
        return Err(DomainError::Rejected(ErrorCode::CsvFileMissing));
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let first_line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let delim = delimiter(&head[..first_line_end]);
    if bom {
        std::pin::Pin::new(&mut input).consume(3);
    }
    let mut reader =
        csv_async::AsyncReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).create_reader(input);
    let mut records = reader.byte_records();
    let header = match records.next().await {
        Some(Ok(h)) => h,
        _ => return Err(DomainError::Rejected(ErrorCode::CsvHeaderInvalid)),
    };
    let columns: Vec<Option<Column>> = header.iter().map(|h| column(&text(h))).collect();
    let has = |c: Column| columns.contains(&Some(c));
    if !(has(Column::Name) || has(Column::Phone) || has(Column::Email)) {
        return Err(DomainError::Rejected(ErrorCode::CsvHeaderInvalid));
    }
    let record = store::contacts_import::create(&svc.db, org.id, filename, &actor.0, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "contacts.import",
        Some(org.id),
        &serde_json::json!({"import_id": record.id, "filename": filename}),
        svc.now(),
    )
    .await?;
    let mut rows: Vec<ContactIn> = Vec::with_capacity(BATCH);
    let mut issues: Vec<Issue> = Vec::new();
    let mut counts = BatchCounts::default();
    // External ids of the current batch, to refuse a repeat inside it (across batches the
    // later row updates the contact the earlier one made).
    let mut batch_refs: HashMap<String, i64> = HashMap::new();
    // Lines of the file as a spreadsheet numbers them (the header is line 1), counted here:
    // a record spans one line plus the line breaks inside its quoted cells.
    let breaks =
        |rec: &csv_async::ByteRecord| rec.iter().map(|f| f.iter().filter(|&&b| b == b'\n').count() as i64).sum::<i64>();
    let mut next_line = 2 + breaks(&header);
    let mut failure: Option<Note> = None;
    while let Some(next) = records.next().await {
        let line = next_line;
        next_line += 1;
        counts.rows += 1;
        match next {
            Ok(rec) => {
                next_line += breaks(&rec);
                let cells: Vec<String> = rec.iter().map(text).collect();
                let (contact, mut found) = validate(line, &cells, &columns);
                match contact {
                    Some(c) => {
                        if let Some(first) = c.external_ref.as_ref().and_then(|r| batch_refs.get(r)) {
                            found = vec![Issue {
                                line,
                                level: IssueLevel::Rejected,
                                code: "duplicate_external_id",
                                message: format!("id externo repetido (já na linha {first})"),
                                raw: cells.join(",").chars().take(MAX_RAW).collect(),
                            }];
                            counts.rejected += 1;
                        } else {
                            if let Some(r) = &c.external_ref {
                                batch_refs.insert(r.clone(), line);
                            }
                            counts.warnings += found.len() as i64;
                            rows.push(c);
                        }
                    }
                    None => counts.rejected += 1,
                }
                issues.extend(found);
            }
            Err(e) if e.is_io_error() => {
                failure = Some(Note::new(NoteCode::UploadInterrupted));
                counts.rows -= 1;
                break;
            }
            Err(e) => {
                counts.rejected += 1;
                issues.push(Issue {
                    line,
                    level: IssueLevel::Rejected,
                    code: "csv_malformed",
                    message: format!("linha mal formada no CSV: {}", csv_error(&e)),
                    raw: String::new(),
                });
            }
        }
        if rows.len() >= BATCH || issues.len() >= BATCH {
            flush(svc, record.id, org.id, &mut rows, &mut issues, &mut counts).await?;
            batch_refs.clear();
        }
    }
    flush(svc, record.id, org.id, &mut rows, &mut issues, &mut counts).await?;
    let status = if failure.is_some() { ImportStatus::Failed } else { ImportStatus::Done };
    store::contacts_import::finish(&svc.db, record.id, status, failure.as_ref(), svc.now()).await?;
    get(svc, slug, record.id).await
}

fn csv_error(e: &csv_async::Error) -> String {
    match e.kind() {
        csv_async::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} colunas, esperado {expected_len}")
        }
        _ => "aspas sem fechamento ou caracteres inesperados".into(),
    }
}

async fn flush(
    svc: &Services,
    import_id: ImportId,
    org_id: OrgId,
    rows: &mut Vec<ContactIn>,
    issues: &mut Vec<Issue>,
    counts: &mut BatchCounts,
) -> Result<(), DomainError> {
    if rows.is_empty() && issues.is_empty() && counts.rows == 0 {
        return Ok(());
    }
    let c = std::mem::take(counts);
    store::contacts_import::apply_batch(&svc.db, import_id, org_id, rows, issues, c, svc.now()).await?;
    rows.clear();
    issues.clear();
    Ok(())
}

/// Marks imports whose upload cannot still be going (started more than `max_upload_ms`
/// ago and still `running`) as failed, so the history does not show them in progress.
pub async fn sweep_interrupted(svc: &Services, max_upload_ms: i64) -> Result<u64, DomainError> {
    let now = svc.now();
    Ok(store::contacts_import::fail_interrupted(&svc.db, now - max_upload_ms, now).await?)
}

pub async fn get(svc: &Services, slug: &str, id: ImportId) -> Result<ImportDto, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(dto(store::contacts_import::get(&svc.db, org.id, id)
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::NotFound))?))
}

/// The org's imports, newest first.
pub async fn history(svc: &Services, slug: &str) -> Result<Vec<ImportDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::contacts_import::list(&svc.db, org.id, 50).await?.into_iter().map(dto).collect())
}

/// The import's report as CSV: line, level, code, message and the row as read.
pub async fn report_csv(svc: &Services, slug: &str, id: ImportId) -> Result<String, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    store::contacts_import::get(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let mut report = CsvReport::new(&["linha", "nivel", "codigo", "mensagem", "conteudo"])?;
    let mut after = 0;
    loop {
        let page = store::contacts_import::issues(&svc.db, id, after, 5_000).await?;
        let Some(last) = page.last().map(|p| p.0) else { break };
        for (_, i) in page {
            let level = match i.level {
                IssueLevel::Rejected => "rejeitada",
                IssueLevel::Warning => "aviso",
            };
            report.row([i.line.to_string(), level.to_string(), i.code, i.message, i.raw])?;
        }
        after = last;
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_portuguese_or_english_any_case_or_accent() {
        assert_eq!(column(" Nome "), Some(Column::Name));
        assert_eq!(column("TELEFONE"), Some(Column::Phone));
        assert_eq!(column("E-mail"), Some(Column::Email));
        assert_eq!(column("id_externo"), Some(Column::ExternalRef));
        assert_eq!(column("Código"), Some(Column::ExternalRef));
        assert_eq!(column("external_id"), Some(Column::ExternalRef));
        assert_eq!(column("observações"), None);
    }

    #[test]
    fn the_delimiter_is_the_header_lines_own() {
        assert_eq!(delimiter(b"nome;telefone;email"), b';');
        assert_eq!(delimiter(b"name,phone"), b',');
        assert_eq!(delimiter(b"name\tphone\temail"), b'\t');
    }

    #[test]
    fn latin1_cells_are_read_as_latin1() {
        assert_eq!(text(b"Jo\xe3o"), "João");
        assert_eq!(text("João".as_bytes()), "João");
    }

    #[test]
    fn every_bad_row_says_why() {
        let cols = vec![Some(Column::Name), Some(Column::Phone), Some(Column::Email), None];
        let row = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let code = |v: &[&str]| validate(7, &row(v), &cols).1.first().map(|i| (i.level, i.code));
        assert_eq!(code(&["Ana", "11987654321", "ana@example.com", "x"]), None);
        assert_eq!(code(&["Ana", "11987654321"]), Some((IssueLevel::Rejected, "column_count")));
        assert_eq!(code(&["", " ", "", "obs"]), Some((IssueLevel::Rejected, "empty")));
        assert_eq!(code(&["Ana", "", "ana@", ""]), Some((IssueLevel::Rejected, "email_invalid")));
        assert_eq!(code(&["Ana", "", "a b@x.com", ""]), Some((IssueLevel::Rejected, "email_invalid")));
        assert_eq!(code(&[&"a".repeat(201), "", "", ""]), Some((IssueLevel::Rejected, "too_long")));
        assert_eq!(code(&["Ana\u{7}", "", "", ""]), Some((IssueLevel::Rejected, "control_chars")));
        assert_eq!(code(&["Ana", "0800", "", ""]), Some((IssueLevel::Warning, "phone_invalid")));
        let (c, _) = validate(7, &row(&["  Ana  ", "", "ANA@Example.com", "ignored"]), &cols);
        let c = c.unwrap();
        assert_eq!((c.name.as_deref(), c.email.as_deref(), c.phone), (Some("Ana"), Some("ana@example.com"), None));
    }
}
