//! Writing JSON by hand: a [`ToJson`] trait with its impls for strings, numbers, options,
//! lists, pairs and string maps, and [`Object`] for the rest, giving the same compact text as
//! `serde_json::to_string` gives for serde's derives, from a few shared functions instead of
//! one generated serializer per type.

use crate::broker::sorted_map::SortedMap;
use std::fmt::Write as _;

/// A value that can be written as JSON.
pub trait ToJson {
    fn write_json(&self, out: &mut String);

    fn to_json_string(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// A JSON string, escaped as `serde_json` escapes it: quotes, backslashes and control
/// characters; everything else as it is.
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An object being written: `{` on creation, a comma before every field but the first,
/// `}` at [`Object::end`].
pub struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Object { out, empty: true }
    }

    /// An object whose first field is `"type": tag` (serde's internally tagged enums).
    pub fn tagged(out: &'a mut String, tag: &str) -> Self {
        Object::new(out).field("type", tag)
    }

    pub fn field<T: ToJson + ?Sized>(mut self, name: &str, value: &T) -> Self {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_string(self.out, name);
        self.out.push(':');
        value.write_json(self.out);
        self
    }

    pub fn end(self) {
        self.out.push('}');
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_string(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_string(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

macro_rules! integers_to_json {
    ($($integer:ty),*) => {$(
        impl ToJson for $integer {
            fn write_json(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
integers_to_json!(u32, u64, i32, i64);

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<A: ToJson, B: ToJson> ToJson for (A, B) {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        self.0.write_json(out);
        out.push(',');
        self.1.write_json(out);
        out.push(']');
    }
}

impl ToJson for SortedMap<String, String> {
    fn write_json(&self, out: &mut String) {
        let mut object = Object::new(out);
        for (key, value) in self {
            object = object.field(key, value);
        }
        object.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let every_kind: String = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain("é ☃ 😀 \u{2028}".chars())
            .collect();
        assert_eq!(
            every_kind.to_json_string(),
            serde_json::to_string(&every_kind).unwrap()
        );
    }

    #[test]
    fn objects_lists_and_options_are_written_as_serde_json_writes_them() {
        let mut out = String::new();
        Object::new(&mut out)
            .field("a", &vec![(String::from("k"), 1u32)])
            .field("b", &None::<u64>)
            .field("c", &Some(-3i64))
            .field("d", &SortedMap::from([("x".to_string(), "y".to_string())]))
            .field("e", &true)
            .end();
        assert_eq!(
            out,
            r#"{"a":[["k",1]],"b":null,"c":-3,"d":{"x":"y"},"e":true}"#
        );
    }
}
