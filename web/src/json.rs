//! Small serde helpers for the API's JSON.

use serde::Serializer;

/// Serialises a value by its `Display` form (ids and keys as hex text).
pub fn display<T: std::fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}
