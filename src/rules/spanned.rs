//! A value with the byte range it was read from, for errors that point at a line and
//! column. Read from TOML with its span (through `toml::Spanned`); read from the JSON the
//! built-in packs are stored as at build time (see `build.rs`), without one: those were
//! checked when guard was built, and JSON reads several times faster than TOML.

use serde::{Deserialize, Deserializer};
use std::cell::Cell;
use std::ops::Range;

thread_local! {
    static WITHOUT_SPANS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `read` with every `Spanned` value read as its plain value (span `0..0`): for
/// formats other than TOML, which have no span protocol.
pub fn without_spans<R>(read: impl FnOnce() -> R) -> R {
    let before = WITHOUT_SPANS.replace(true);
    let out = read();
    WITHOUT_SPANS.set(before);
    out
}

/// Compared by value alone, as `toml::Spanned` is.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    span: Range<usize>,
    value: T,
}

impl<T> Spanned<T> {
    pub fn new(span: Range<usize>, value: T) -> Self {
        Spanned { span, value }
    }
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }
    pub fn get_ref(&self) -> &T {
        &self.value
    }
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.value
    }
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T> AsRef<T> for Spanned<T> {
    fn as_ref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if WITHOUT_SPANS.get() {
            return T::deserialize(d).map(|value| Spanned { span: 0..0, value });
        }
        let s = toml::Spanned::<T>::deserialize(d)?;
        Ok(Spanned {
            span: s.span(),
            value: s.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        id: Spanned<String>,
    }

    #[test]
    fn toml_keeps_spans_and_json_reads_plain_values() {
        let doc: Doc = toml::from_str("id = \"x.y\"\n").unwrap();
        assert_eq!(doc.id.get_ref(), "x.y");
        assert_eq!(doc.id.span(), 5..10);
        let doc: Doc = without_spans(|| serde_json::from_str(r#"{"id":"x.y"}"#)).unwrap();
        assert_eq!((doc.id.get_ref().as_str(), doc.id.span()), ("x.y", 0..0));
        // The switch is back off afterwards: JSON needs it.
        assert!(serde_json::from_str::<Doc>(r#"{"id":"x.y"}"#).is_err());
    }
}
