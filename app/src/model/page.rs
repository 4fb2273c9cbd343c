//! Pages of lists (keyset pagination, newest first).

use serde::{Deserialize, Serialize};

/// A page of a list, newest first; pass `next_before` as `before` for the next page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_before: Option<i64>,
}

impl<T> Page<T> {
    /// A page of `items` read with `LIMIT limit`, newest first: a full page may have more
    /// behind it, so its last id is the cursor of the next.
    pub fn keyset(items: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Self {
        let next_before = (items.len() as i64 == limit).then(|| items.last().map(&id)).flatten();
        Page { items, next_before }
    }
}
