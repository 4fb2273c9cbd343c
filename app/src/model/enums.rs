//! `string_enum!`: how every state and mode is declared. Each variant has one fixed text,
//! which serde writes and reads, the database stores (the migration's CHECK constraint
//! lists the same texts, `domain::store::codec` binds and reads them), and `FromStr`
//! parses; the UI's labels are exhaustive matches over the variants.

/// Declares a state or mode enum: `string_enum! { pub enum DealStatus(StatusInvalid) { Open
/// = "open", … } }`, where the name in parentheses is the `ErrorCode` a bad text parses to.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($err:ident) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::ErrorCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::model::ErrorCode::$err),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // The OpenAPI schema: a string with the variants' texts. Written here, not derived:
        // the derive cannot read a `serde(rename)` whose text comes through the macro.
        #[cfg(feature = "ssr")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "ssr")]
        impl utoipa::ToSchema for $name {}
    };
}
