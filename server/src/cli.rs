//! The administrative sub-commands (`ponte admin …`, `ponte migrate`, `ponte backfill`): thin wrappers over
//! the domain, printing results for a person at a terminal.

use crate::config::{AdminCommand, ApiKeyCommand, Config};
use app::domain::{auth, Actor};
use app::model::{ApiKeyId, Role, RunId};
use std::io::Read;

pub async fn migrate(config: &Config) -> Result<(), String> {
    crate::services(config).await.map_err(|e| e.to_string())?;
    println!("Migrações aplicadas ({}).", crate::config::redact_url(&config.database_url()));
    Ok(())
}

fn describe(e: app::domain::DomainError) -> String {
    let err: app::model::AppError = e.into();
    let fields: Vec<String> = err.fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
    if fields.is_empty() {
        err.message
    } else {
        format!("{} {}", err.message, fields.join("; "))
    }
}

/// Runs an org's WhatsApp identity backfill to its end (or goes on with a stopped run).
pub async fn backfill(
    config: &Config,
    org: &str,
    dry_run: bool,
    batch_size: i64,
    resume: Option<i64>,
) -> Result<(), String> {
    let svc = crate::services(config).await.map_err(|e| e.to_string())?;
    let actor = Actor::cli();
    let run_id = match resume {
        Some(id) => app::domain::backfill::get(&svc, org, RunId(id)).await.map_err(describe)?.id,
        None => app::domain::backfill::start(&svc, &actor, org, dry_run, batch_size).await.map_err(describe)?.id,
    };
    let r = app::domain::backfill::run_batches(&svc, org, run_id, None).await.map_err(describe)?;
    println!(
        "Execução {} ({}{}): {} de {} contatos; {} identidades {}, {} já existiam, {} conflitos, {} telefones inválidos, {} sem telefone.",
        r.id,
        r.status,
        if r.dry_run { ", simulação" } else { "" },
        r.processed,
        r.total,
        r.created,
        if r.dry_run { "seriam criadas" } else { "criadas" },
        r.skipped,
        r.conflicts,
        r.invalid,
        r.empty
    );
    Ok(())
}

pub async fn admin(config: &Config, cmd: AdminCommand) -> Result<(), String> {
    let svc = crate::services(config).await.map_err(|e| e.to_string())?;
    let actor = Actor::cli();
    match cmd {
        AdminCommand::Create { email, name, role, password_stdin } => {
            let role: Role = role.parse().map_err(|c: app::model::ErrorCode| c.message().to_string())?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map_err(|e| e.to_string())?;
                (s.trim_end_matches(['\r', '\n']).to_string(), false)
            } else if let Ok(p) = std::env::var("PONTE_ADMIN_PASSWORD") {
                (p, false)
            } else {
                (auth::random_token()[..24].to_string(), true)
            };
            let user = auth::create_user(&svc, &actor, &email, &name, &password, role).await.map_err(describe)?;
            println!("Usuário criado: {} ({}, id {}).", user.email, user.role.as_str(), user.id);
            if generated {
                println!("Senha gerada (mostrada só agora): {password}");
            }
        }
        AdminCommand::ApiKey(ApiKeyCommand::Create { name }) => {
            let key = auth::create_api_key(&svc, &actor, &name).await.map_err(describe)?;
            println!(
                "Chave de API \"{}\" criada (id {}). Guarde-a agora; ela não será mostrada de novo:",
                key.name, key.id
            );
            println!("{}", key.key);
        }
        AdminCommand::ApiKey(ApiKeyCommand::Revoke { id }) => {
            auth::revoke_api_key(&svc, &actor, ApiKeyId(id)).await.map_err(describe)?;
            println!("Chave {id} revogada.");
        }
        AdminCommand::ApiKey(ApiKeyCommand::List) => {
            for k in auth::list_api_keys(&svc).await.map_err(describe)? {
                let state = if k.revoked_at.is_some() { "revogada" } else { "ativa" };
                println!("{}\t{}\t{}…\t{}", k.id, k.name, k.prefix, state);
            }
        }
    }
    svc.db.close().await;
    Ok(())
}
