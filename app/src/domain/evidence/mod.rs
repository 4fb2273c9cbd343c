//! Go-live evidence (issue 12): files attached to a checklist item or to the org, stored
//! through `object_store` under Ponte's own keys, typed by their content (`sniff`).

pub mod blob;
pub mod sniff;

use super::error::DomainError;
use super::onboarding::golive;
use super::store::{self, evidence::EvidenceRow};
use super::{auth, orgs, Actor, Services};
use crate::model::{parse_text, ErrorCode, EvidenceDto, ItemKey, Phase};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sniff::{Refusal, Sniffer};

/// The scope of evidence that belongs to no single item.
pub const ORG_SCOPE: &str = "org";
const NOTE_MAX: usize = 500;

/// What an upload says about itself besides its bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Upload<'a> {
    /// A checklist item's key; `None` or empty: the org as a whole.
    pub item: Option<&'a str>,
    /// The uploaded file's name (display only).
    pub name: &'a str,
    pub note: Option<&'a str>,
}

fn dto(r: EvidenceRow, duplicate: bool) -> EvidenceDto {
    EvidenceDto {
        id: r.id,
        item: r.scope.parse().ok(),
        sha256: r.sha256,
        size: r.size,
        kind: r.kind,
        name: r.name,
        note: r.note,
        uploaded_by: r.uploaded_by,
        uploaded_at: r.uploaded_at,
        duplicate,
    }
}

fn store_down(e: blob::BlobError) -> DomainError {
    tracing::warn!(error = %e, "evidence store failed");
    DomainError::Rejected(ErrorCode::EvidenceStoreUnavailable)
}

fn refused(r: Refusal) -> DomainError {
    match r {
        Refusal::Binary(Some(seen)) => DomainError::Detailed(r.code(), serde_json::json!({ "detected": seen })),
        other => DomainError::Rejected(other.code()),
    }
}

/// Streams one file into the store: typed by its bytes, hashed, kept under
/// `org/<org id>/<scope>/<sha256>`. Refused while streaming when it is too big or of a kind
/// not accepted; on any refusal or failure nothing is recorded and no object is left.
pub async fn upload<S, E>(
    svc: &Services,
    actor: &Actor,
    slug: &str,
    up: Upload<'_>,
    mut body: S,
) -> Result<EvidenceDto, DomainError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let org = orgs::row_by_slug(svc, slug).await?;
    let mut fields = super::error::Fields::default();
    let scope = match up.item.map(str::trim).filter(|i| !i.is_empty()) {
        None => Some(ORG_SCOPE.to_string()),
        Some(i) => fields.check("item", i.parse::<ItemKey>().map(|k| k.as_str().to_string())),
    };
    let name = fields.check("file", display_name(up.name));
    let note = match up.note.map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(n) => fields.check("note", parse_text(n, NOTE_MAX)),
    };
    fields.finish()?;
    let (Some(scope), Some(name)) = (scope, name) else {
        return Err(DomainError::Internal("validated fields missing".into()));
    };
    if frozen_at_go_live(&scope) && golive::is_recorded(svc, org.id).await? {
        return Err(DomainError::Rejected(ErrorCode::EvidenceLocked));
    }
    let max = svc.config.evidence_max_bytes;
    let tmp = format!("tmp/{}", auth::random_token());
    let mut writer = svc.evidence.writer(&tmp).await.map_err(store_down)?;
    let (mut sniffer, mut hasher, mut size) = (Sniffer::default(), Sha256::new(), 0u64);
    let streamed: Result<(), DomainError> = async {
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                tracing::info!(org = %org.slug, error = %e, "evidence upload interrupted");
                DomainError::Rejected(ErrorCode::UploadIncomplete)
            })?;
            size += chunk.len() as u64;
            if size > max {
                return Err(DomainError::Detailed(ErrorCode::BodyTooLarge, serde_json::json!({ "max_bytes": max })));
            }
            sniffer.feed(&chunk).map_err(refused)?;
            hasher.update(&chunk);
            writer.write(chunk).await.map_err(store_down)?;
        }
        Ok(())
    }
    .await;
    let kind = match streamed.and_then(|()| sniffer.finish().map_err(refused)) {
        Ok(kind) => kind,
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "an aborted evidence upload could not be cleaned up");
            }
            return Err(e);
        }
    };
    if let Err(e) = writer.finish().await {
        let _ = svc.evidence.delete(&tmp).await;
        return Err(store_down(e));
    }
    let sha256 = hex::encode(hasher.finalize());
    if let Some(existing) = store::evidence::find(&svc.db, org.id, &scope, &sha256).await? {
        let _ = svc.evidence.delete(&tmp).await;
        return Ok(dto(existing, true));
    }
    let key = format!("org/{}/{}/{}", org.id.0, scope, sha256);
    if let Err(e) = svc.evidence.rename(&tmp, &key).await {
        let _ = svc.evidence.delete(&tmp).await;
        return Err(store_down(e));
    }
    let row = EvidenceRow {
        id: 0,
        organization_id: org.id,
        scope: scope.clone(),
        sha256: sha256.clone(),
        size: size as i64,
        kind,
        name,
        note,
        object_key: key,
        uploaded_by: actor.0.clone(),
        uploaded_at: svc.now(),
    };
    let Some(id) = store::evidence::insert(&svc.db, &row).await? else {
        // The same file of the scope landed meanwhile (same key, same bytes): that one counts.
        let existing = store::evidence::find(&svc.db, org.id, &scope, &sha256)
            .await?
            .ok_or(DomainError::Internal("evidence row vanished".into()))?;
        return Ok(dto(existing, true));
    };
    store::audit::record(
        &svc.db,
        &actor.0,
        "evidence.upload",
        Some(org.id),
        &serde_json::json!({"id": id, "scope": scope, "sha256": sha256, "size": size, "kind": kind}),
        svc.now(),
    )
    .await?;
    tracing::info!(org = %org.slug, scope, kind = %kind, size, "evidence stored");
    Ok(dto(EvidenceRow { id, ..row }, false))
}

/// The org's evidence, oldest first.
pub async fn list(svc: &Services, slug: &str) -> Result<Vec<EvidenceDto>, DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    Ok(store::evidence::of_org(&svc.db, org.id).await?.into_iter().map(|r| dto(r, false)).collect())
}

/// T-2 and T0 evidence is frozen by the go-live record; T+1 and the org's own go on.
pub fn frozen_at_go_live(scope: &str) -> bool {
    scope.parse::<ItemKey>().is_ok_and(|k| k.phase() != Phase::PostActivation)
}

fn evidence_id(raw: &str) -> Result<i64, DomainError> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0).ok_or(DomainError::Rejected(ErrorCode::NotFound))
}

/// An evidence file's bytes as they come from the store.
pub type ByteStream = futures::stream::BoxStream<'static, Result<Bytes, std::io::Error>>;

/// One file's record and its bytes as a stream (404 for another org's file).
pub async fn open(svc: &Services, slug: &str, id: &str) -> Result<(EvidenceDto, ByteStream), DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let row = store::evidence::by_id(&svc.db, org.id, evidence_id(id)?)
        .await?
        .ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    let bytes = svc.evidence.get(&row.object_key).await.map_err(store_down)?;
    let stream = bytes.into_stream().map(|chunk| chunk.map_err(std::io::Error::other)).boxed();
    Ok((dto(row, false), stream))
}

/// Deletes one file (admins; the caller checks the role). Never after go-live: the record
/// froze the list.
pub async fn delete(svc: &Services, actor: &Actor, slug: &str, id: &str) -> Result<(), DomainError> {
    let org = orgs::row_by_slug(svc, slug).await?;
    let id = evidence_id(id)?;
    let row = store::evidence::by_id(&svc.db, org.id, id).await?.ok_or(DomainError::Rejected(ErrorCode::NotFound))?;
    if golive::is_recorded(svc, org.id).await? {
        return Err(DomainError::Rejected(ErrorCode::EvidenceLocked));
    }
    if !store::evidence::delete(&svc.db, org.id, id).await? {
        return Err(DomainError::Rejected(ErrorCode::NotFound));
    }
    // The row goes first: an object left behind by a failed delete is only wasted space,
    // a row without its object would be a broken link.
    if let Err(e) = svc.evidence.delete(&row.object_key).await {
        tracing::warn!(org = %org.slug, error = %e, "a deleted evidence file's object could not be removed");
    }
    store::audit::record(
        &svc.db,
        &actor.0,
        "evidence.delete",
        Some(org.id),
        &serde_json::json!({"id": id, "scope": row.scope, "sha256": row.sha256, "name": row.name}),
        svc.now(),
    )
    .await?;
    tracing::info!(org = %org.slug, id, "evidence deleted");
    Ok(())
}

/// The longest file name kept for display.
const NAME_MAX: usize = 120;

/// The uploaded file's name as shown (never used as a key). A name that tries to be a
/// path (`../`, `/abs`, `C:\`, NUL) is refused rather than guessed at: browsers send a
/// bare name, so anything else was made by hand.
pub fn display_name(raw: &str) -> Result<String, ErrorCode> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ErrorCode::FileNameInvalid);
    }
    let pathlike = name.contains(['/', '\\', '\0']) || name == "." || name == "..";
    if pathlike || name.chars().any(char::is_control) {
        return Err(ErrorCode::FileNameInvalid);
    }
    Ok(name.chars().take(NAME_MAX).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shown_never_followed() {
        assert_eq!(display_name(" print da tela.png ").as_deref(), Ok("print da tela.png"));
        assert_eq!(display_name("relatório ção.log").as_deref(), Ok("relatório ção.log"));
        assert_eq!(display_name(&"a".repeat(300)).map(|n| n.chars().count()), Ok(NAME_MAX));
        for bad in [
            "../../etc/passwd",
            "/etc/passwd",
            "C:\\Windows\\x.png",
            "a\\b",
            "nul\0.png",
            "..",
            ".",
            "",
            "  ",
            "tab\there",
        ] {
            assert_eq!(display_name(bad), Err(ErrorCode::FileNameInvalid), "{bad:?}");
        }
    }
}
