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
    body.map(|Json(value)| value)
        .map_err(|rejection| Error::BadRequest { code: "bad_json", message: rejection.body_text() })
}

/// The body as `T`, or 400 `bad_json` / 422 on `body`.
pub fn parse<T: DeserializeOwned>(body: Result<Json<Value>, JsonRejection>) -> Result<T, Error> {
    serde_json::from_value(value(body)?).map_err(|e| field_error("body", e.to_string()))
}
