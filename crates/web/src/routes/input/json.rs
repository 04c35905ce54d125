//! API bodies read field by field.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use serde_json::{Map, Value};

use crate::Error;
use crate::error::FieldErrors;

/// A JSON object from a request body, read field by field; wrong types become field errors.
/// `null` empties a text field and counts as "left out" for the others.
#[derive(Debug)]
pub struct JsonInput {
    map: Map<String, Value>,
    errors: FieldErrors,
}

impl JsonInput {
    /// The body as an object; malformed JSON or anything but an object is a 400.
    pub fn from_body(body: Result<Json<Value>, JsonRejection>) -> Result<Self, Error> {
        match crate::json::value(body)? {
            Value::Object(map) => Ok(Self { map, errors: FieldErrors::new() }),
            _ => Err(Error::BadRequest {
                code: "bad_json",
                message: "The body must be a JSON object.".into(),
            }),
        }
    }

    fn fail(&mut self, key: &str, message: &str) {
        self.errors.insert(key.to_owned(), message.to_owned());
    }

    pub fn text(&mut self, key: &str) -> Option<String> {
        match self.map.remove(key)? {
            Value::String(text) => Some(text),
            Value::Null => Some(String::new()),
            _ => {
                self.fail(key, "Use a string.");
                None
            }
        }
    }

    pub fn whole(&mut self, key: &str) -> Option<i64> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
            _ => {
                self.fail(key, "Enter a whole number.");
                None
            }
        }
    }

    /// The field as it came, for shapes the other readers do not know (`None` when absent).
    pub fn raw(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    /// Records a problem with `key` found by the caller.
    pub fn error(&mut self, key: &str, message: &str) {
        self.errors.entry(key.to_owned()).or_insert_with(|| message.to_owned());
    }

    pub fn flag(&mut self, key: &str) -> Option<bool> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Bool(flag) => Some(flag),
            _ => {
                self.fail(key, "Use true or false.");
                None
            }
        }
    }

    pub fn texts(&mut self, key: &str) -> Option<Vec<String>> {
        match self.map.remove(key)? {
            Value::Null => None,
            Value::Array(items) if items.iter().all(Value::is_string) => {
                Some(items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            }
            _ => {
                self.fail(key, "Use a list of strings.");
                None
            }
        }
    }

    /// The errors so far, plus one for every key nobody read (a typo would otherwise be
    /// silently ignored), except the read-only ones the API itself returns.
    pub fn finish(mut self, read_only: &[&str]) -> FieldErrors {
        for key in self.map.keys() {
            if !read_only.contains(&key.as_str()) {
                self.errors.insert(key.clone(), "Unknown field.".to_owned());
            }
        }
        self.errors
    }
}
