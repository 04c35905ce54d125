//! JSON request bodies for the API: malformed JSON is a 400 `bad_json` in our error shape
//! (axum's own rejection is plain text), a body of the wrong shape a 422 on `body`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::Error;
use crate::error::field_error;

/// The body as JSON, or 400 `bad_json`.
pub fn value(body: Result<Json<Value>, JsonRejection>) -> Result<Value, Error> {
    let mut value = body.map(|Json(value)| value).map_err(|rejection| match rejection {
        JsonRejection::MissingJsonContentType(_) => Error::BadRequest {
            code: "bad_json",
            message: "Send a JSON body with `Content-Type: application/json`.".into(),
        },
        other => Error::BadRequest { code: "bad_json", message: other.body_text() },
    })?;
    integral_numbers(&mut value);
    Ok(value)
}

/// The body as `T`, or 400 `bad_json` / 422 on `body`.
pub fn parse<T: DeserializeOwned>(body: Result<Json<Value>, JsonRejection>) -> Result<T, Error> {
    serde_json::from_value(value(body)?).map_err(|e| field_error("body", e.to_string()))
}

/// JSON does not tell `3` from `3.0` (JSON Schema's `integer` accepts both), so a whole
/// number written with a fraction is read as the integer it is.
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f >= i64::MIN as f64
                && f < i64::MAX as f64
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_floats_become_integers_and_others_stay() {
        let mut value = serde_json::json!({ "a": 42662.0, "b": [1.5, -3.0], "c": 1e300, "d": 7 });
        integral_numbers(&mut value);
        assert_eq!(value, serde_json::json!({ "a": 42662, "b": [1.5, -3], "c": 1e300, "d": 7 }));
    }
}
