//! Attribute values formatted in one shared, non-generic place instead of at each
//! attribute: a `format!` or `to_string()` in an `html!` attribute expands to its own
//! formatting call and `String` → `AttrValue` conversion at every use (issue 8).
//!
//! Invariant: each gives exactly the text the expression it replaces gave.

use yew::prelude::*;

/// `format!("{x:.1}")` as an attribute value (SVG coordinates).
pub fn f1(x: f64) -> AttrValue {
    format!("{x:.1}").into()
}

/// A value's text as an attribute value, formatted in one shared place per type instead
/// of a `to_string()` at each attribute; a `bool` is `"true"` / `"false"` without an
/// allocation.
pub trait AttrText {
    /// The text `to_string()` gives.
    fn attr(self) -> AttrValue;
}

impl AttrText for bool {
    fn attr(self) -> AttrValue {
        AttrValue::Static(if self { "true" } else { "false" })
    }
}

macro_rules! attr_text_display {
    ($($t:ty),*) => {$(
        impl AttrText for $t {
            fn attr(self) -> AttrValue {
                self.to_string().into()
            }
        }
    )*};
}
attr_text_display!(u8, u16, u32, u64, usize, i64, f64);
