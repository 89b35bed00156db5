//! Reading typed values out of parsed JSON: [`FromJson`] with its impls for numbers,
//! strings, options, lists, pairs and string maps, [`Fields`] for objects, [`variant`] for
//! enums by name. Errors are serde's words (`invalid type: string "three", expected u32`),
//! and the tests here check them against serde's own.

use super::Named;
use crate::broker::sorted_map::SortedMap;

use serde_json::{Map, Value};

/// A value that can be read from JSON.
pub trait FromJson: Sized {
    fn from_json(value: &Value) -> Result<Self, String>;
}

/// What serde calls the JSON value in its messages.
fn unexpected(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(whole), _) => format!("integer `{whole}`"),
            (None, Some(whole)) => format!("integer `{whole}`"),
            _ => format!(
                "floating point `{}`",
                float_text(n.as_f64().unwrap_or_default())
            ),
        },
        Value::String(s) => {
            let mut quoted = String::from("string ");
            super::write_string(&mut quoted, s);
            quoted
        }
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
    }
}

/// A float in an error message as serde writes small ones (`1.5`, `2.0`), without the
/// float formatter the page would otherwise have to carry.
fn float_text(float: f64) -> String {
    if float.abs() >= 1e12 {
        return "(a very large number)".into();
    }
    crate::number::with_point(float, 6)
}

/// `invalid type: string "x", expected u32`.
pub fn invalid_type(value: &Value, expected: &str) -> String {
    format!("invalid type: {}, expected {expected}", unexpected(value))
}

/// Reads an integer of type `T`, refusing other JSON and numbers outside `T`'s range.
fn integer<T: TryFrom<i128>>(value: &Value, name: &str) -> Result<T, String> {
    let n = whole_number(value, name)?;
    T::try_from(n).map_err(|_| out_of_range(value, name))
}

/// Any JSON integer. Kept out of [`integer`], which is copied once per integer type.
fn whole_number(value: &Value, name: &str) -> Result<i128, String> {
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .ok_or_else(|| invalid_type(value, name))
}

/// serde's message for an integer outside the type's range.
fn out_of_range(value: &Value, name: &str) -> String {
    format!("invalid value: {}, expected {name}", unexpected(value))
}

impl FromJson for u32 {
    fn from_json(value: &Value) -> Result<Self, String> {
        integer(value, "u32")
    }
}

impl FromJson for u64 {
    fn from_json(value: &Value) -> Result<Self, String> {
        integer(value, "u64")
    }
}

impl FromJson for i32 {
    fn from_json(value: &Value) -> Result<Self, String> {
        integer(value, "i32")
    }
}

impl FromJson for i64 {
    fn from_json(value: &Value) -> Result<Self, String> {
        integer(value, "i64")
    }
}

impl FromJson for bool {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_bool()
            .ok_or_else(|| invalid_type(value, "a boolean"))
    }
}

impl FromJson for String {
    fn from_json(value: &Value) -> Result<Self, String> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| invalid_type(value, "a string"))
    }
}

/// `null` is `None`, as serde reads it.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value) -> Result<Self, String> {
        let items = value
            .as_array()
            .ok_or_else(|| invalid_type(value, "a sequence"))?;
        let mut read = Vec::with_capacity(items.len());
        for item in items {
            read.push(T::from_json(item)?);
        }
        Ok(read)
    }
}

/// A pair is a two-element array: `["key", "value"]`.
impl<A: FromJson, B: FromJson> FromJson for (A, B) {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value.as_array().map(Vec::as_slice) {
            Some([a, b]) => Ok((A::from_json(a)?, B::from_json(b)?)),
            Some(items) => Err(format!(
                "invalid length {}, expected a tuple of size 2",
                items.len()
            )),
            None => Err(invalid_type(value, "a tuple of size 2")),
        }
    }
}

impl FromJson for SortedMap<String, String> {
    fn from_json(value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or_else(|| invalid_type(value, "a map"))?;
        let mut map = SortedMap::new();
        for (key, value) in object {
            map.insert(key.clone(), String::from_json(value)?);
        }
        Ok(map)
    }
}

/// A [`Named`] enum's variant by its name: `"all"`, `"cooperative-sticky"`.
pub fn read_named<T: Named>(value: &Value) -> Result<T, String> {
    let name = value
        .as_str()
        .ok_or_else(|| invalid_type(value, "a variant name"))?;
    T::ALL
        .iter()
        .copied()
        .find(|variant| variant.json_name() == name)
        .ok_or_else(|| unknown_variant(name, T::ALL.iter().map(|variant| variant.json_name())))
}

/// serde's message: ``unknown variant `fair`, expected one of `range`, `roundrobin` ``.
pub fn unknown_variant<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<String> = known.map(|k| format!("`{k}`")).collect();
    let expected = match known.as_slice() {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        more => format!("one of {}", more.join(", ")),
    };
    format!("unknown variant `{name}`, expected {expected}")
}

/// The fields of a JSON object, read one by one; unknown fields are ignored, as serde's
/// derives ignore them.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    /// `value` as an object, or the error naming what was `expected` instead.
    pub fn of(value: &'a Value, expected: &str) -> Result<Self, String> {
        value
            .as_object()
            .map(|object| Fields { object })
            .ok_or_else(|| invalid_type(value, expected))
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name)
    }

    /// The `"type"` of an internally tagged enum, checked against the `known` ones.
    pub fn tag(&self, known: &[&str]) -> Result<&'a str, String> {
        let tag = self.get("type").ok_or("missing field `type`")?;
        let name = tag
            .as_str()
            .ok_or_else(|| invalid_type(tag, "a variant name"))?;
        if known.contains(&name) {
            Ok(name)
        } else {
            Err(unknown_variant(name, known.iter().copied()))
        }
    }

    /// A field that must be there.
    pub fn required<T: FromJson>(&self, name: &str) -> Result<T, String> {
        match self.object.get(name) {
            Some(value) => T::from_json(value).map_err(|e| in_field(name, e)),
            None => Err(format!("missing field `{name}`")),
        }
    }

    /// A field that may be left out, taking `default` then.
    pub fn or<T: FromJson>(&self, name: &str, default: T) -> Result<T, String> {
        match self.object.get(name) {
            Some(value) => T::from_json(value).map_err(|e| in_field(name, e)),
            None => Ok(default),
        }
    }

    /// Overwrites `target` with the field, if it is there (for `#[serde(default)]` structs
    /// that start from their defaults).
    pub fn set<T: FromJson>(&self, name: &str, target: &mut T) -> Result<(), String> {
        if let Some(value) = self.object.get(name) {
            *target = T::from_json(value).map_err(|e| in_field(name, e))?;
        }
        Ok(())
    }
}

/// `field `name`: error`.
#[inline(never)]
fn in_field(name: &str, error: String) -> String {
    format!("field `{name}`: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;
    use serde_json::json;

    /// This reader and serde's agree on acceptance, and on the value where both accept.
    fn agrees<T: FromJson + DeserializeOwned + PartialEq + std::fmt::Debug>(value: Value) {
        let derived = serde_json::from_value::<T>(value.clone());
        let by_hand = T::from_json(&value);
        assert_eq!(by_hand.as_ref().ok(), derived.as_ref().ok(), "{value}");
        if let (Err(hand), Err(serde)) = (by_hand, derived) {
            assert_eq!(hand, serde.to_string(), "{value}");
        }
    }

    #[test]
    fn integers_as_serde_reads_them() {
        for value in [
            json!(0),
            json!(7),
            json!(-1),
            json!(4_294_967_295u64),
            json!(4_294_967_296u64),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(2.0),
            json!(-0.25),
            json!("3"),
            json!(null),
            json!(true),
            json!([1]),
            json!({"a": 1}),
        ] {
            agrees::<u32>(value.clone());
            agrees::<u64>(value.clone());
            agrees::<i64>(value);
        }
    }

    #[test]
    fn strings_booleans_options_and_lists_as_serde_reads_them() {
        for value in [json!("x"), json!(""), json!(false), json!(null), json!(2)] {
            agrees::<String>(value.clone());
            agrees::<Option<String>>(value.clone());
            agrees::<Option<bool>>(value);
        }
        agrees::<Vec<(String, u32)>>(json!([["orders", 0], ["orders", 1]]));
        agrees::<Vec<(String, String)>>(json!([["k", "v"]]));
        agrees::<SortedMap<String, String>>(json!({"retention.ms": "100"}));
        agrees::<SortedMap<String, String>>(json!({"retention.ms": 100}));
    }

    #[test]
    fn unknown_variants_list_the_known_ones() {
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Three {
            Range,
            RoundRobin,
            Sticky,
        }
        impl Named for Three {
            const ALL: &'static [Self] = &[Three::Range, Three::RoundRobin, Three::Sticky];
            fn json_name(self) -> &'static str {
                match self {
                    Three::Range => "range",
                    Three::RoundRobin => "roundrobin",
                    Three::Sticky => "sticky",
                }
            }
        }
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Two {
            None,
            All,
        }
        impl Named for Two {
            const ALL: &'static [Self] = &[Two::None, Two::All];
            fn json_name(self) -> &'static str {
                match self {
                    Two::None => "none",
                    Two::All => "all",
                }
            }
        }
        assert_eq!(
            read_named::<Three>(&json!("fair")),
            Err("unknown variant `fair`, expected one of `range`, `roundrobin`, `sticky`".into())
        );
        assert_eq!(
            read_named::<Two>(&json!("x")),
            Err("unknown variant `x`, expected `none` or `all`".into())
        );
        assert_eq!(read_named::<Two>(&json!("all")), Ok(Two::All));
    }
}
