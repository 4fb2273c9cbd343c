//! Types shared by the browser and the server: typed ids, parsed values, DTOs and the
//! error shape the portal and the APIs speak. Pure Rust, no I/O.

pub mod dto;
pub mod error;
pub mod ids;
pub mod values;

pub use dto::*;
pub use error::{AppError, ErrorCode, FieldError};
pub use ids::*;
pub use values::*;
