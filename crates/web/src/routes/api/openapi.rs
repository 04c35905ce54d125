//! `GET /api/v1/openapi.json`: the provider API described in OpenAPI 3.1.

use axum::Json;
use serde_json::{Value, json};

/// A JSON body of the given schema reference.
fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

/// A response with a JSON body of the given schema reference.
fn ok(description: &str, schema: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn error(description: &str) -> Value {
    ok(description, "Error")
}

/// The usual error answers of a tenant-scoped call.
fn errors(extra: &[(&str, &str)]) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("401".into(), error("Missing or invalid bearer token (`unauthorized`)."));
    map.insert(
        "404".into(),
        error("Unknown tenant or id — including another tenant's (`not_found`)."),
    );
    map.insert("422".into(), error("Invalid input; `fields` names each problem (`invalid`)."));
    for (code, text) in extra {
        map.insert((*code).into(), error(text));
    }
    map
}

fn op(
    summary: &str,
    request: Option<&str>,
    success: (&str, Value),
    extra: &[(&str, &str)],
) -> Value {
    let mut responses = errors(extra);
    responses.insert(success.0.into(), success.1);
    let mut operation = json!({ "summary": summary, "responses": responses });
    if let Some(schema) = request {
        operation["requestBody"] = body(schema);
    }
    operation
}

fn path_params(names: &[&str]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect(),
    )
}

/// DELETE of something history may point at: gone (204), or deactivated instead (200).
fn deleted(what: &str) -> Value {
    let mut operation = op(
        &format!("Delete a {what}; one that bookings refer to is deactivated instead"),
        None,
        ("204", json!({ "description": "Deleted" })),
        &[],
    );
    operation["responses"]["200"] =
        ok("Deactivated instead: `{\"result\":\"deactivated\", …}`", "Deactivated");
    operation
}

const PLAN: (&str, &str) =
    ("402", "The tenant's plan does not include this feature (`plan_required`).");
const STAFF_LIMIT: (&str, &str) = ("409", "At most 10 active staff members (`staff_limit`).");
const UNAVAILABLE: (&str, &str) = (
    "409",
    "The time is no longer available (`unavailable`), or the hold expired (`hold_expired`).",
);

pub async fn document() -> Json<Value> {
    Json(spec())
}

/// The whole document.
pub fn spec() -> Value {
    let t = "/api/v1/{tenant}";
    let p = |suffix: &str| format!("{t}{suffix}");
    let no_auth = json!([]);
    let mut availability = op(
        "Bookable options (public, no token)",
        None,
        ("200", ok("Options", "Availability")),
        &[PLAN],
    );
    availability["security"] = no_auth.clone();
    availability["parameters"] = json!([
        { "name": "service", "in": "query", "required": true, "schema": { "type": "string" } },
        { "name": "date", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
        { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 31 } },
        { "name": "staff", "in": "query", "schema": { "type": "integer" }, "description": "PRO only" }
    ]);
    let guest_note = "Without a token this is a guest call: rate limited, and it needs the `X-CSRF-Token` of a Portico page session.";
    let mut holds = op(
        "Hold a place for the tenant's hold time",
        Some("HoldRequest"),
        ("201", ok("The hold", "Hold")),
        &[UNAVAILABLE],
    );
    holds["description"] = json!(guest_note);
    let mut create_booking = op(
        "Create a booking",
        Some("BookingRequest"),
        ("201", ok("The booking", "Booking")),
        &[UNAVAILABLE],
    );
    create_booking["description"] = json!(guest_note);
    let mut list_bookings = op("List bookings", None, ("200", ok("Bookings", "BookingList")), &[]);
    list_bookings["parameters"] = json!([
        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["pending", "confirmed", "cancelled", "completed", "no_show"] } }
    ]);
    let mut blocks_list =
        op("Timetable blocks of a date", None, ("200", ok("Blocks", "BlockList")), &[]);
    blocks_list["parameters"] = json!([{ "name": "date", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } }]);

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Portico provider API",
            "version": "1",
            "description": "Every path is scoped to one tenant (`{tenant}` is its booking slug). Authenticate with `Authorization: Bearer <token>` (owners create tokens in Settings, operators with `portico token create`); a token works only for its own tenant — anything else is 404. Errors are `{\"error\":{\"code\",\"message\",\"fields\"}}`."
        },
        "security": [{ "bearer": [] }],
        "paths": {
            p("/services"): {
                "parameters": path_params(&["tenant"]),
                "get": op("List services", None, ("200", ok("Services", "ServiceList")), &[]),
                "post": op("Create a service", Some("Service"), ("201", ok("The service", "Service")), &[("409", "The code is taken (`code_taken`).")])
            },
            p("/services/{code}"): {
                "parameters": path_params(&["tenant", "code"]),
                "get": op("A service", None, ("200", ok("The service", "Service")), &[]),
                "patch": op("Change some fields of a service", Some("ServicePatch"), ("200", ok("The service", "Service")), &[("409", "The new code is taken (`code_taken`).")]),
                "delete": deleted("service")
            },
            p("/staff"): {
                "parameters": path_params(&["tenant"]),
                "get": op("List staff (PRO)", None, ("200", ok("Staff", "StaffList")), &[PLAN]),
                "post": op("Add a staff member (PRO)", Some("StaffMember"), ("201", ok("The staff member", "StaffMember")), &[PLAN, STAFF_LIMIT])
            },
            p("/staff/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A staff member (PRO)", None, ("200", ok("The staff member", "StaffMember")), &[PLAN]),
                "patch": op("Change a staff member (PRO)", Some("StaffMember"), ("200", ok("The staff member", "StaffMember")), &[PLAN, STAFF_LIMIT]),
                "delete": deleted("staff member")
            },
            p("/hours"): {
                "parameters": path_params(&["tenant"]),
                "get": op("The owner's / business weekly hours", None, ("200", ok("Hours", "Hours")), &[]),
                "put": op("Replace the owner's / business weekly hours", Some("Hours"), ("200", ok("Hours", "Hours")), &[])
            },
            p("/staff/{id}/hours"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A staff member's weekly hours (PRO)", None, ("200", ok("Hours", "Hours")), &[PLAN]),
                "put": op("Replace a staff member's weekly hours (PRO)", Some("Hours"), ("200", ok("Hours", "Hours")), &[PLAN])
            },
            p("/time-off"): {
                "parameters": path_params(&["tenant"]),
                "get": op("Upcoming time off", None, ("200", ok("Time off", "TimeOffList")), &[]),
                "post": op("Add time off", Some("TimeOff"), ("201", ok("The time off", "TimeOff")), &[])
            },
            p("/time-off/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "delete": op("Remove time off", None, ("204", json!({ "description": "Removed" })), &[])
            },
            p("/blocks"): {
                "parameters": path_params(&["tenant"]),
                "get": blocks_list,
                "post": op("Add a timetable block", Some("BlockRequest"), ("201", ok("The block", "Block")), &[])
            },
            p("/blocks/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A block", None, ("200", ok("The block", "Block")), &[]),
                "patch": op("Change a block", Some("BlockRequest"), ("200", ok("The block", "Block")), &[("409", "The date or times of a block in use cannot change (`in_use`).")]),
                "delete": op("Delete a block", None, ("204", json!({ "description": "Deleted" })), &[("409", "Bookings or holds use it (`in_use`).")])
            },
            p("/blocks/copy"): {
                "parameters": path_params(&["tenant"]),
                "post": op("Copy a day's blocks onto another day (or a range with `until`)", Some("CopyRequest"), ("200", ok("Filled and skipped dates", "CopyResult")), &[])
            },
            p("/availability"): { "parameters": path_params(&["tenant"]), "get": availability },
            p("/holds"): { "parameters": path_params(&["tenant"]), "post": holds },
            p("/bookings"): { "parameters": path_params(&["tenant"]), "get": list_bookings, "post": create_booking },
            p("/bookings/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A booking", None, ("200", ok("The booking", "Booking")), &[])
            },
            p("/bookings/{id}/cancel"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": op("Cancel a booking", None, ("200", ok("The booking", "Booking")), &[("409", "Not possible in its status (`invalid_transition`).")])
            },
            p("/bookings/{id}/complete"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": op("Mark a started booking completed", None, ("200", ok("The booking", "Booking")), &[("409", "Not started yet, or already final (`invalid_transition`).")])
            },
            p("/bookings/{id}/no-show"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": op("Mark a started booking a no-show", None, ("200", ok("The booking", "Booking")), &[("409", "Not started yet, or already final (`invalid_transition`).")])
            },
            p("/bookings/{id}/reschedule"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": op("Move a booking", Some("RescheduleRequest"), ("200", ok("The booking", "Booking")), &[("409", "The time is no longer available (`unavailable`), or the booking cannot be moved (`invalid_transition`).")])
            },
            p("/clients"): {
                "parameters": path_params(&["tenant"]),
                "get": op("List clients (`q` searches name, email and phone)", None, ("200", ok("Clients", "ClientList")), &[])
            },
            p("/clients/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A client", None, ("200", ok("The client", "Client")), &[])
            },
            p("/team"): {
                "parameters": path_params(&["tenant"]),
                "get": op("Owner and staff logins (PRO)", None, ("200", ok("Members", "Team")), &[PLAN])
            }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    let time = json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$" });
    let instant = json!({ "type": "string", "format": "date-time" });
    let id = json!({ "type": ["integer", "null"] });
    json!({
        "Error": {
            "type": "object",
            "properties": { "error": { "type": "object", "properties": {
                "code": { "type": "string" }, "message": { "type": "string" },
                "fields": { "type": "object", "additionalProperties": { "type": "string" } } } } }
        },
        "Service": {
            "type": "object",
            "required": ["code", "name", "duration_minutes", "mode"],
            "properties": {
                "code": { "type": "string", "pattern": "^[a-z0-9_-]{1,40}$" }, "name": { "type": "string" },
                "description": { "type": "string" }, "duration_minutes": { "type": "integer", "minimum": 5, "maximum": 1440 },
                "buffer_before_minutes": { "type": "integer", "minimum": 0, "maximum": 240 },
                "buffer_after_minutes": { "type": "integer", "minimum": 0, "maximum": 240 },
                "price_minor": { "type": "integer", "minimum": 0 }, "currency": { "type": "string" },
                "mode": { "enum": ["slot", "block"] }, "active": { "type": "boolean" }, "display_order": { "type": "integer" }
            }
        },
        "ServicePatch": { "type": "object", "description": "Any subset of Service's fields." },
        "ServiceList": { "type": "object", "properties": { "services": { "type": "array", "items": { "$ref": "#/components/schemas/Service" } } } },
        "Deactivated": { "type": "object", "properties": { "result": { "const": "deactivated" } } },
        "StaffMember": {
            "type": "object",
            "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "email": { "type": ["string", "null"] },
                "phone": { "type": "string" }, "bio": { "type": "string" },
                "services": { "type": "array", "items": { "type": "string" }, "description": "Service codes" },
                "active": { "type": "boolean" }, "display_order": { "type": "integer" }, "has_login": { "type": "boolean" } }
        },
        "StaffList": { "type": "object", "properties": { "staff": { "type": "array", "items": { "$ref": "#/components/schemas/StaffMember" } } } },
        "Hours": {
            "type": "object",
            "properties": { "hours": { "type": "array", "items": { "type": "object", "required": ["weekday", "start", "end"],
                "properties": { "weekday": { "type": "integer", "minimum": 1, "maximum": 7, "description": "ISO weekday, Monday = 1" },
                    "start": time, "end": time } } } }
        },
        "TimeOff": {
            "type": "object", "required": ["start", "end"],
            "properties": { "id": { "type": "integer" }, "staff_id": id, "start": instant, "end": instant, "reason": { "type": "string" } }
        },
        "TimeOffList": { "type": "object", "properties": { "time_off": { "type": "array", "items": { "$ref": "#/components/schemas/TimeOff" } } } },
        "BlockRequest": {
            "type": "object", "required": ["date", "start", "end", "label"],
            "properties": { "date": { "type": "string", "format": "date" }, "start": time, "end": time, "label": { "type": "string" },
                "capacities": { "type": "object", "additionalProperties": { "type": "integer", "minimum": 0 }, "description": "Per service code" } }
        },
        "Block": {
            "type": "object",
            "properties": { "id": { "type": "integer" }, "date": { "type": "string", "format": "date" }, "start": time, "end": time,
                "label": { "type": "string" },
                "capacities": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "Per service code" },
                "allow_overlap": { "type": "object", "additionalProperties": { "type": "boolean" } },
                "booked": { "type": "object", "additionalProperties": { "type": "integer" } },
                "held": { "type": "object", "additionalProperties": { "type": "integer" } },
                "remaining": { "type": "object", "additionalProperties": { "type": "integer" } } }
        },
        "BlockList": { "type": "object", "properties": { "blocks": { "type": "array", "items": { "$ref": "#/components/schemas/Block" } } } },
        "CopyRequest": { "type": "object", "required": ["from_date", "to_date"],
            "properties": { "from_date": { "type": "string", "format": "date" }, "to_date": { "type": "string", "format": "date" },
                "until": { "type": "string", "format": "date" } } },
        "CopyResult": { "type": "object", "properties": { "from_date": { "type": "string", "format": "date" },
            "blocks_per_day": { "type": "integer" },
            "filled": { "type": "array", "items": { "type": "string", "format": "date" } },
            "skipped": { "type": "array", "items": { "type": "string", "format": "date" } } } },
        "Availability": {
            "type": "object",
            "properties": { "timezone": { "type": "string" }, "options": { "type": "array", "items": { "type": "object",
                "properties": { "start": instant, "end": instant, "staff_id": id, "block_id": id,
                    "label": { "type": ["string", "null"] }, "remaining": { "type": "integer" } } } } }
        },
        "HoldRequest": { "type": "object", "required": ["service", "start"],
            "properties": { "service": { "type": "string" }, "start": instant, "staff_id": id, "block_id": id } },
        "Hold": { "type": "object", "properties": { "hold_token": { "type": "string" }, "expires_at": instant, "start": instant, "staff_id": id, "block_id": id } },
        "Guest": { "type": "object", "required": ["name", "email", "phone"],
            "properties": { "name": { "type": "string" }, "email": { "type": "string", "format": "email" }, "phone": { "type": "string" } } },
        "BookingRequest": {
            "type": "object", "required": ["service", "start"],
            "properties": { "service": { "type": "string" }, "start": instant, "staff_id": id, "block_id": id,
                "hold_token": { "type": ["string", "null"] }, "client_id": { "type": ["integer", "null"], "description": "Provider token only" },
                "guest": { "$ref": "#/components/schemas/Guest" }, "notes": { "type": "string" } }
        },
        "RescheduleRequest": { "type": "object", "required": ["start"], "properties": { "start": instant, "staff_id": id, "block_id": id } },
        "Booking": {
            "type": "object",
            "properties": { "id": { "type": "integer" }, "status": { "enum": ["pending", "confirmed", "cancelled", "completed", "no_show"] },
                "service": { "type": "string" }, "start": instant, "end": instant, "staff_id": id, "block_id": id, "client_id": id,
                "guest": { "$ref": "#/components/schemas/Guest" }, "notes": { "type": "string" },
                "price_minor": { "type": "integer" }, "currency": { "type": "string" } }
        },
        "BookingList": { "type": "object", "properties": { "bookings": { "type": "array", "items": { "$ref": "#/components/schemas/Booking" } } } },
        "Client": { "type": "object", "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "email": { "type": "string" },
            "phone": { "type": "string" }, "address": { "type": "string" }, "has_portal_login": { "type": "boolean" },
            "portal_login_disabled": { "type": "boolean" }, "can_self_reschedule": { "type": "boolean" } } },
        "ClientList": { "type": "object", "properties": { "clients": { "type": "array", "items": { "$ref": "#/components/schemas/Client" } } } },
        "Team": { "type": "object", "properties": { "members": { "type": "array", "items": { "type": "object",
            "properties": { "user_id": { "type": "integer" }, "name": { "type": "string" }, "email": { "type": "string" }, "role": { "enum": ["owner", "staff"] } } } } } }
    })
}
