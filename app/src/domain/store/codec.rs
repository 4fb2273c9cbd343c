//! How the model's own types travel through sqlx on both engines: every `string_enum!`
//! state as its text (the column's CHECK constraint lists the same texts) and every typed
//! id as its BIGINT. Written once, generic over the database, so row structs and binds use
//! `EventStatus` or `OrgId` directly instead of strings and bare integers; a `Note` as
//! its JSON text.

use crate::model::*;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::{Database, Decode, Encode, Type};

macro_rules! text_column {
    ($($t:ty),* $(,)?) => {$(
        impl<DB: Database> Type<DB> for $t
        where
            str: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            &'q str: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                let text: &'q str = self.as_str();
                <&'q str as Encode<'q, DB>>::encode_by_ref(&text, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            &'r str: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&'r str as Decode<'r, DB>>::decode(value)?;
                text.parse::<$t>()
                    .map_err(|_| format!("unexpected {} in the database: {text:?}", stringify!($t)).into())
            }
        }
    )*};
}

macro_rules! id_column {
    ($($t:ident),* $(,)?) => {$(
        impl<DB: Database> Type<DB> for $t
        where
            i64: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $t
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, DB>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $t
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                <i64 as Decode<'r, DB>>::decode(value).map($t)
            }
        }
    )*};
}

text_column!(
    Role,
    Lifecycle,
    ItemKey,
    ItemStatus,
    Verdict,
    EventStatus,
    PipelineStep,
    StepOutcome,
    Source,
    DealStatus,
    ConflictKind,
    ReviewKind,
    ReviewVerdict,
    EvidenceType,
    LiveSmokeState,
    ConflictStatus,
    AuthMode,
    ToolOutcome,
    AutomationMode,
    ActionKind,
    ActionOutcome,
    IncidentStatus,
    RunStatus,
    Resolution,
    ImportStatus,
    IssueLevel,
    ErrorCode,
);
/// A `Note` is stored as its JSON text (`Note::to_stored`) in a TEXT column; a row written
/// before notes existed holds a sentence and reads as a `plain` note.
impl<DB: Database> Type<DB> for Note
where
    str: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <str as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <str as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for Note
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, DB>>::encode(self.to_stored(), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Note
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        <&'r str as Decode<'r, DB>>::decode(value).map(Note::from_stored)
    }
}

id_column!(
    OrgId,
    BoardId,
    StageId,
    UserId,
    ContactId,
    DealId,
    ApiKeyId,
    EventId,
    RunId,
    ConflictId,
    ImportId,
    IncidentId,
    IdentityId,
    ConversationId,
    TokenId,
    ToolCallId,
    ActionId,
    AuditId,
    CheckRunId,
    WaveId,
    ChatwootAccountId,
    InboxId,
    ChatwootConversationId,
    MessageId,
    ChatwootContactId,
);
