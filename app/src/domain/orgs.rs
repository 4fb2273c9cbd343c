//! Organizations as configuration: creating an org installs its board and stages from the
//! default template (which admins edit), and boards/stages can be changed later.

use super::error::{DomainError, Fields};
use super::store::{self, orgs::BoardRow, orgs::BoardSpec, orgs::OrgRow, orgs::StageRow};
use super::{Actor, Services};
use crate::model::*;

/// The template a new org's first board gets when no one has edited it.
pub const DEFAULT_STAGES: [&str; 4] = ["Novo contato", "Em atendimento", "Proposta", "Fechado"];
pub const DEFAULT_BOARD_NAME: &str = "Funil de vendas";
const DEFAULT_BOARD_KEY: &str = "vendas";
const TEMPLATE_SETTING: &str = "stage_template";

fn org_summary(row: &OrgRow) -> Result<OrgSummary, DomainError> {
    Ok(OrgSummary {
        id: row.id,
        slug: row.slug.clone(),
        name: row.name.clone(),
        lifecycle: row.lifecycle,
        archived: row.archived_at.is_some(),
        created_at: row.created_at,
    })
}

fn stage_dto(s: &StageRow) -> StageDto {
    StageDto { id: s.id, key: s.key.clone(), label: s.label.clone(), position: s.position }
}

fn board_dto(b: &BoardRow, stages: &[StageRow]) -> BoardDto {
    BoardDto {
        id: b.id,
        key: b.key.clone(),
        name: b.name.clone(),
        is_default: b.is_default,
        stages: stages.iter().filter(|s| s.board_id == b.id).map(stage_dto).collect(),
    }
}

/// Labels → (key, label) pairs, validated as a whole.
fn stage_specs(labels: &[String]) -> Result<Vec<(String, String)>, ErrorCode> {
    check_stage_labels(labels)?;
    labels
        .iter()
        .map(|l| {
            let label = parse_text(l, NAME_MAX)?;
            let key = Key::from_label(&label)?;
            Ok((key.as_str().to_string(), label))
        })
        .collect()
}

/// The stage labels new orgs start with.
pub async fn stage_template(svc: &Services) -> Result<Vec<String>, DomainError> {
    let stored = store::settings::get(&svc.db, TEMPLATE_SETTING).await?;
    let parsed = stored.and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok());
    Ok(parsed.unwrap_or_else(|| DEFAULT_STAGES.iter().map(|s| s.to_string()).collect()))
}

pub async fn set_stage_template(svc: &Services, actor: &Actor, labels: &[String]) -> Result<Vec<String>, DomainError> {
    let specs = stage_specs(labels).map_err(|c| DomainError::field("stages", c))?;
    let labels: Vec<String> = specs.into_iter().map(|(_, l)| l).collect();
    let json = serde_json::to_string(&labels).map_err(|e| DomainError::Internal(e.to_string()))?;
    store::settings::put(&svc.db, TEMPLATE_SETTING, &json, svc.now()).await?;
    store::audit::record(&svc.db, &actor.0, "template.update", None, &serde_json::json!({"stages": labels}), svc.now())
        .await?;
    Ok(labels)
}

/// The installer: creates the org with its default board and stages.
pub async fn create_org(svc: &Services, actor: &Actor, input: &NewOrg) -> Result<OrgDetail, DomainError> {
    let template;
    let labels = match &input.stages {
        Some(l) => l,
        None => {
            template = stage_template(svc).await?;
            &template
        }
    };
    let mut f = Fields::default();
    let slug = f.check("slug", Slug::parse(&input.slug));
    let name = f.check("name", parse_text(&input.name, NAME_MAX));
    let board_name =
        f.check("board_name", parse_text(input.board_name.as_deref().unwrap_or(DEFAULT_BOARD_NAME), NAME_MAX));
    let stages = f.check("stages", stage_specs(labels));
    f.finish()?;
    let (Some(slug), Some(name), Some(board_name), Some(stages)) = (slug, name, board_name, stages) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    let board = BoardSpec { key: DEFAULT_BOARD_KEY, name: &board_name, is_default: true, stages: &stages };
    let row = match store::orgs::create_org(&svc.db, slug.as_str(), &name, &board, svc.now()).await {
        Ok(row) => row,
        Err(e) if store::is_unique_violation(&e) => {
            return Err(DomainError::Conflict(FieldError::new("slug", ErrorCode::SlugTaken)))
        }
        Err(e) => return Err(e.into()),
    };
    store::audit::record(
        &svc.db,
        &actor.0,
        "org.create",
        Some(row.id),
        &serde_json::json!({"slug": row.slug, "name": row.name}),
        svc.now(),
    )
    .await?;
    detail_of(svc, &row).await
}

pub async fn list_orgs(svc: &Services) -> Result<Vec<OrgSummary>, DomainError> {
    store::orgs::list(&svc.db).await?.iter().map(org_summary).collect()
}

/// The org named by `slug`; a malformed or unknown slug is `NotFound`.
pub(crate) async fn row_by_slug(svc: &Services, slug: &str) -> Result<OrgRow, DomainError> {
    // A malformed slug cannot name an org: answer "not found" rather than a 422, the
    // same as for a well-formed unknown one.
    let slug = Slug::parse(slug).map_err(|_| DomainError::Rejected(ErrorCode::NotFound))?;
    store::orgs::by_slug(&svc.db, slug.as_str()).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))
}

pub(crate) async fn detail_of(svc: &Services, row: &OrgRow) -> Result<OrgDetail, DomainError> {
    let boards = store::orgs::boards_of(&svc.db, row.id).await?;
    let stages = store::orgs::stages_of_org(&svc.db, row.id).await?;
    Ok(OrgDetail { org: org_summary(row)?, boards: boards.iter().map(|b| board_dto(b, &stages)).collect() })
}

pub async fn get_org(svc: &Services, slug: &str) -> Result<OrgDetail, DomainError> {
    let row = row_by_slug(svc, slug).await?;
    detail_of(svc, &row).await
}

pub async fn update_org(svc: &Services, actor: &Actor, slug: &str, patch: &OrgPatch) -> Result<OrgDetail, DomainError> {
    let row = row_by_slug(svc, slug).await?;
    let mut f = Fields::default();
    let name = patch.name.as_deref().map(|n| f.check("name", parse_text(n, NAME_MAX)));
    f.finish()?;
    let name = name.flatten();
    let updated = store::orgs::update(&svc.db, row.id, name.as_deref(), patch.archived, svc.now()).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "org.update",
        Some(row.id),
        &serde_json::json!({"name": name, "archived": patch.archived}),
        svc.now(),
    )
    .await?;
    detail_of(svc, &updated).await
}

pub async fn add_board(svc: &Services, actor: &Actor, slug: &str, input: &NewBoard) -> Result<BoardDto, DomainError> {
    let org = row_by_slug(svc, slug).await?;
    let mut f = Fields::default();
    let name = f.check("name", parse_text(&input.name, NAME_MAX));
    let key = match (&input.key, &name) {
        (Some(k), _) => f.check("key", Key::parse(k)),
        (None, Some(n)) => f.check("key", Key::from_label(n)),
        (None, None) => None,
    };
    let stages = f.check("stages", stage_specs(&input.stages));
    f.finish()?;
    let (Some(name), Some(key), Some(stages)) = (name, key, stages) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    let spec = BoardSpec { key: key.as_str(), name: &name, is_default: input.is_default, stages: &stages };
    let board_id = match store::orgs::insert_board(&svc.db, org.id, &spec, svc.now()).await {
        Ok(id) => id,
        Err(e) if store::is_unique_violation(&e) => {
            return Err(DomainError::Conflict(FieldError::new("key", ErrorCode::KeyTaken)))
        }
        Err(e) => return Err(e.into()),
    };
    store::audit::record(
        &svc.db,
        &actor.0,
        "board.create",
        Some(org.id),
        &serde_json::json!({"key": key.as_str()}),
        svc.now(),
    )
    .await?;
    board_of(svc, org.id, board_id).await
}

async fn board_of(svc: &Services, org_id: OrgId, board_id: BoardId) -> Result<BoardDto, DomainError> {
    let boards = store::orgs::boards_of(&svc.db, org_id).await?;
    let board = boards.iter().find(|b| b.id == board_id).ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let stages = store::orgs::stages_of_board(&svc.db, board_id).await?;
    Ok(board_dto(board, &stages))
}

async fn board_row(svc: &Services, slug: &str, board_key: &str) -> Result<(OrgRow, BoardRow), DomainError> {
    let org = row_by_slug(svc, slug).await?;
    let board = store::orgs::board_by_key(&svc.db, org.id, board_key)
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    Ok((org, board))
}

pub async fn get_board(svc: &Services, slug: &str, board_key: &str) -> Result<BoardDto, DomainError> {
    let (org, board) = board_row(svc, slug, board_key).await?;
    board_of(svc, org.id, board.id).await
}

/// Renames a board and/or makes it the org's default (the flag cannot be removed: some
/// board must receive new deals).
pub async fn update_board(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    board_key: &str,
    name: Option<&str>,
    make_default: bool,
) -> Result<BoardDto, DomainError> {
    let (org, board) = board_row(svc, slug, board_key).await?;
    let name = name.map(|n| parse_text(n, NAME_MAX)).transpose().map_err(|c| DomainError::field("name", c))?;
    store::orgs::update_board(&svc.db, org.id, board.id, name.as_deref(), make_default).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "board.update",
        Some(org.id),
        &serde_json::json!({"key": board.key, "name": name, "make_default": make_default}),
        svc.now(),
    )
    .await?;
    board_of(svc, org.id, board.id).await
}

pub async fn add_stage(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    board_key: &str,
    input: &NewStage,
) -> Result<BoardDto, DomainError> {
    let (org, board) = board_row(svc, slug, board_key).await?;
    let mut f = Fields::default();
    let label = f.check("label", parse_text(&input.label, NAME_MAX));
    let key = match (&input.key, &label) {
        (Some(k), _) => f.check("key", Key::parse(k)),
        (None, Some(l)) => f.check("label", Key::from_label(l).map_err(|_| ErrorCode::StageLabelInvalid)),
        (None, None) => None,
    };
    if let Some(p) = input.position {
        if p < 1 {
            f.check::<()>("position", Err(ErrorCode::TooShort));
        }
    }
    f.finish()?;
    let (Some(label), Some(key)) = (label, key) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    let existing = store::orgs::stages_of_board(&svc.db, board.id).await?;
    if existing.len() >= STAGES_MAX {
        return Err(DomainError::field("label", ErrorCode::StagesTooMany));
    }
    match store::orgs::insert_stage(&svc.db, board.id, key.as_str(), &label, input.position).await {
        Ok(_) => {}
        Err(e) if store::is_unique_violation(&e) => {
            return Err(DomainError::Conflict(FieldError::new("key", ErrorCode::KeyTaken)))
        }
        Err(e) => return Err(e.into()),
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        "stage.create",
        Some(org.id),
        &serde_json::json!({"board": board.key, "key": key.as_str()}),
        svc.now(),
    )
    .await?;
    board_of(svc, org.id, board.id).await
}

pub async fn update_stage(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    board_key: &str,
    stage_key: &str,
    patch: &StagePatch,
) -> Result<BoardDto, DomainError> {
    let (org, board) = board_row(svc, slug, board_key).await?;
    let stages = store::orgs::stages_of_board(&svc.db, board.id).await?;
    let stage = stages.iter().find(|s| s.key == stage_key).ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let mut f = Fields::default();
    let label = patch.label.as_deref().map(|l| f.check("label", parse_text(l, NAME_MAX)));
    if let Some(p) = patch.position {
        if p < 1 {
            f.check::<()>("position", Err(ErrorCode::TooShort));
        }
    }
    f.finish()?;
    let label = label.flatten();
    store::orgs::update_stage(&svc.db, board.id, stage.id, label.as_deref(), patch.position).await?;
    store::audit::record(
        &svc.db,
        &actor.0,
        "stage.update",
        Some(org.id),
        &serde_json::json!({"board": board.key, "key": stage.key, "label": label, "position": patch.position}),
        svc.now(),
    )
    .await?;
    board_of(svc, org.id, board.id).await
}
