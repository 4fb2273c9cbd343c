//! The onboarding spreadsheet ("planilha"): an org's checklist, and the rollout board, as
//! XLSX (with a summary sheet) and CSV. Values are in pt-BR (a spreadsheet has no language
//! switch). Every cell is written as text, and a value that a spreadsheet would read as a
//! formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading apostrophe: an Instagram name
//! like `=HYPERLINK(…)` must never run in Excel.

use super::super::error::DomainError;
use super::super::store;
use super::super::{orgs, Services};
use super::golive;
use crate::model::*;
use chrono::TimeZone;
use std::sync::OnceLock;

/// A table to write: headers and rows of text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The spreadsheet of one org: its summary (label, value) and its checklist.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Planilha {
    pub title: String,
    /// The table's sheet name in the XLSX.
    pub sheet: String,
    pub summary: Vec<(String, String)>,
    pub table: Table,
}

/// A cell a spreadsheet cannot take for a formula.
pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// A label of the pt-BR locale file by its path (`checklist/items/chatwoot_account`), or
/// the code itself.
fn pt(path: &str, code: &str) -> String {
    static FILE: OnceLock<serde_json::Value> = OnceLock::new();
    let file =
        FILE.get_or_init(|| serde_json::from_str(include_str!("../../../locales/pt-BR.json")).unwrap_or_default());
    file.pointer(&format!("/{path}")).and_then(|v| v.as_str()).unwrap_or(code).to_string()
}

/// `dd/mm/aaaa hh:mm` in São Paulo time.
pub fn when(ms: Option<i64>) -> String {
    ms.and_then(|ms| chrono::Utc.timestamp_millis_opt(ms).single())
        .map(|t| t.with_timezone(&chrono_tz::America::Sao_Paulo).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

fn phase_label(p: Phase) -> &'static str {
    match p {
        Phase::PreActivation => "T-2 pré-ativação",
        Phase::Activation => "T0 ativação",
        Phase::PostActivation => "T+1 pós-ativação",
    }
}

fn status_label(s: ItemStatus) -> String {
    pt(&format!("checklist/status_{}", s.as_str()), s.as_str())
}

/// The org's checklist: phase, item, status, who, when, note, the last check's result and
/// the item's evidence (name, sha256 and where Ponte serves it).
pub async fn checklist(svc: &Services, slug: &str) -> Result<Planilha, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let list = super::checklist_of(svc, &org).await?;
    let evidence = store::evidence::of_org(&svc.db, org.id).await?;
    let record = golive::get(svc, slug).await?;
    let plan = store::rollout::plan(&svc.db, org.id).await?;
    let base = svc.config.public_url.as_deref().unwrap_or("").trim_end_matches('/').to_string();
    let files_of = |scope: &str| {
        evidence
            .iter()
            .filter(|e| e.scope == scope)
            .map(|e| format!("{} sha256:{} {base}/portal/orgs/{}/evidence/{}", e.name, e.sha256, org.slug, e.id))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut rows: Vec<Vec<String>> = list
        .phases
        .iter()
        .flat_map(|p| p.items.iter())
        .map(|i| {
            let check = i
                .last_run
                .as_ref()
                .map(|r| {
                    let verdict = pt(&format!("checklist/verdict_{}", r.verdict.as_str()), r.verdict.as_str());
                    format!("{verdict} em {} por {}", when(Some(r.started_at)), r.actor)
                })
                .unwrap_or_default();
            vec![
                phase_label(i.phase).to_string(),
                pt(&format!("checklist/items/{}", i.key.as_str()), i.key.as_str()),
                status_label(i.status),
                i.updated_by.clone().unwrap_or_default(),
                when(i.updated_at),
                i.note.clone().unwrap_or_default(),
                check,
                files_of(i.key.as_str()),
            ]
        })
        .collect();
    let org_files = files_of(super::super::evidence::ORG_SCOPE);
    if !org_files.is_empty() {
        rows.push(vec![
            String::new(),
            "Evidências da organização".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            org_files,
        ]);
    }
    let headers = ["Fase", "Item", "Status", "Quem", "Quando", "Observação", "Verificação automática", "Evidências"];
    let lead = record.as_ref().and_then(|r| r.lead_time_business_days).map(|d| format!("{d} dia(s) útil(eis)"));
    let summary = vec![
        ("Organização".to_string(), format!("{} ({})", org.name, org.slug)),
        ("Estado".to_string(), pt(&format!("lifecycle/{}", org.lifecycle.as_str()), org.lifecycle.as_str())),
        (
            "Responsável técnico".to_string(),
            record
                .as_ref()
                .map(|r| r.technical_owner.clone())
                .or(plan.as_ref().and_then(|p| p.technical_owner.clone()))
                .unwrap_or_default(),
        ),
        ("Produção liberada em".to_string(), when(record.as_ref().map(|r| r.live_at))),
        ("Aprovado por".to_string(), record.as_ref().map(|r| r.approver.clone()).unwrap_or_default()),
        ("Lead time (credenciais → produção)".to_string(), lead.unwrap_or_default()),
        ("Hash do registro congelado (sha256)".to_string(), record.map(|r| r.snapshot_sha256).unwrap_or_default()),
        ("Exportado em".to_string(), when(Some(svc.now()))),
    ];
    Ok(Planilha {
        title: format!("Checklist {}", org.slug),
        sheet: "Checklist".into(),
        summary,
        table: Table { headers: headers.iter().map(|h| h.to_string()).collect(), rows },
    })
}

/// The rollout board, one row per org (the board's own filter and order).
pub async fn board(svc: &Services, q: &BoardQuery) -> Result<Planilha, DomainError> {
    let board = super::rollout::board(svc, q).await?;
    let records: std::collections::HashMap<OrgId, store::golive::GoLiveRow> =
        store::golive::all(&svc.db).await?.into_iter().map(|r| (r.organization_id, r)).collect();
    let mut rows = Vec::new();
    for r in &board.rows {
        let record = records.get(&r.org_id);
        let progress: Vec<String> =
            r.phases.iter().map(|p| format!("{} {}/{}", phase_label(p.phase), p.done, p.total)).collect();
        rows.push(vec![
            r.name.clone(),
            r.slug.clone(),
            r.wave.as_ref().map(|w| w.name.clone()).unwrap_or_default(),
            pt(&format!("lifecycle/{}", r.lifecycle.as_str()), r.lifecycle.as_str()),
            progress.join(" · "),
            r.blockers
                .iter()
                .map(|k| pt(&format!("checklist/items/{}", k.as_str()), k.as_str()))
                .collect::<Vec<_>>()
                .join(" · "),
            r.technical_owner.clone().unwrap_or_default(),
            when(r.credentials_ready_at),
            when(r.activated_at),
            r.lead_time.as_ref().map(|l| l.business_days.to_string()).unwrap_or_default(),
            record.map(|g| g.snapshot_sha256.clone()).unwrap_or_default(),
        ]);
    }
    let headers = [
        "Organização",
        "Identificador",
        "Onda",
        "Estado",
        "Progresso",
        "Bloqueios",
        "Responsável técnico",
        "Credenciais prontas",
        "Em produção desde",
        "Lead time (dias úteis)",
        "Hash do go-live",
    ];
    Ok(Planilha {
        title: "Painel de implantação".into(),
        sheet: "Painel".into(),
        summary: vec![
            ("Organizações".into(), board.rows.len().to_string()),
            ("Exportado em".into(), when(Some(svc.now()))),
        ],
        table: Table { headers: headers.iter().map(|h| h.to_string()).collect(), rows },
    })
}

/// CSV: the table (header first), every cell neutralised.
pub fn to_csv(p: &Planilha) -> Result<Vec<u8>, DomainError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| DomainError::Internal(e.to_string());
    w.write_record(p.table.headers.iter().map(|h| neutralise(h))).map_err(err)?;
    for row in &p.table.rows {
        w.write_record(row.iter().map(|c| neutralise(c))).map_err(err)?;
    }
    w.into_inner().map_err(|e| DomainError::Internal(e.to_string()))
}

/// XLSX: a "Resumo" sheet (label, value) and the table's sheet, every cell a string.
pub fn to_xlsx(p: &Planilha) -> Result<Vec<u8>, DomainError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| DomainError::Internal(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let summary = book.add_worksheet().set_name("Resumo").map_err(err)?;
    summary.write_string_with_format(0, 0, neutralise(&p.title), &bold).map_err(err)?;
    for (i, (label, value)) in p.summary.iter().enumerate() {
        let row = i as u32 + 2;
        summary.write_string_with_format(row, 0, neutralise(label), &bold).map_err(err)?;
        summary.write_string(row, 1, neutralise(value)).map_err(err)?;
    }
    summary.set_column_width(0, 36).map_err(err)?;
    summary.set_column_width(1, 70).map_err(err)?;
    let sheet = book.add_worksheet().set_name(&p.sheet).map_err(err)?;
    for (c, h) in p.table.headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, neutralise(h), &bold).map_err(err)?;
        sheet.set_column_width(c as u16, 24).map_err(err)?;
    }
    for (r, row) in p.table.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string_with_format(r as u32 + 1, c as u16, neutralise(cell), &wrap).map_err(err)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for (raw, out) in [
            ("=HYPERLINK(\"http://x\",\"oi\")", "'=HYPERLINK(\"http://x\",\"oi\")"),
            ("+5511999990000", "'+5511999990000"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("\rcmd", "'\rcmd"),
            ("Ana", "Ana"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise(raw), out, "{raw:?}");
        }
    }

    #[test]
    fn labels_come_from_the_pt_br_locale() {
        assert_eq!(pt("checklist/items/chatwoot_account", "x"), "Conta do Chatwoot e permissão de administrador");
        assert_eq!(status_label(ItemStatus::NotApplicable), "Não se aplica");
        assert_eq!(pt("nada/aqui", "codigo"), "codigo");
    }

    #[test]
    fn csv_cells_are_neutralised() {
        let p = Planilha {
            title: "t".into(),
            sheet: "Dados".into(),
            summary: vec![],
            table: Table { headers: vec!["Nome".into()], rows: vec![vec!["=1+1".into()], vec!["ok".into()]] },
        };
        assert_eq!(String::from_utf8(to_csv(&p).unwrap()).unwrap(), "Nome\n'=1+1\nok\n");
        let xlsx = to_xlsx(&p).unwrap();
        assert_eq!(&xlsx[..2], b"PK", "a zip");
    }
}
