//! `GET /api/v1/openapi.json`: the provider API described in OpenAPI 3.1.

mod money;

use axum::Json;
use portico_domain::invoice;
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

/// An error answer an operation may give: status and description.
type Answer = (&'static str, &'static str);

/// Bad syntax anywhere in the request.
const MALFORMED: Answer = (
    "400",
    "Malformed request: a path id that is not a number (`bad_path`), a query string that does not parse — e.g. a repeated parameter (`bad_query`) — or a body that is not JSON or has no `Content-Type: application/json` (`bad_json`).",
);
const INVALID: Answer = ("422", "Invalid input; `fields` names each problem (`invalid`).");
const TOO_LARGE: Answer = ("413", "The body is larger than the configured limit (`too_large`).");
/// The answers of an operation with a JSON body.
const BODY: &[Answer] = &[MALFORMED, TOO_LARGE, INVALID];
const PLAN: Answer = ("402", "The tenant's plan does not include this feature (`plan_required`).");
const STAFF_LIMIT: Answer = ("409", "At most 10 active staff members (`staff_limit`).");
const UNAVAILABLE: Answer = (
    "409",
    "The time is no longer available (`unavailable`), or the hold expired (`hold_expired`).",
);
const TRANSITION: Answer =
    ("409", "Only a pending or confirmed booking can change like this (`invalid_transition`).");
const GUEST_CSRF: Answer = (
    "403",
    "A guest call (no token) without the `X-CSRF-Token` of a Portico page session (`forbidden`).",
);

/// The usual error answers of a tenant-scoped call, plus `extra`.
fn errors(extra: &[Answer]) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("401".into(), error("Missing or invalid bearer token (`unauthorized`)."));
    map.insert(
        "404".into(),
        error("Unknown tenant or id — including another tenant's (`not_found`)."),
    );
    for (code, text) in extra {
        map.insert((*code).into(), error(text));
    }
    // Every provider token has its own limit per window (`rate_limits.api_per_token`).
    map.insert("429".into(), rate_limited());
    map
}

/// 429 with the seconds to wait in `Retry-After`.
fn rate_limited() -> Value {
    let mut answer =
        error("Too many calls from this address, or with this token (`rate_limited`).");
    answer["headers"] = json!({ "Retry-After": {
        "description": "Seconds until the limit's window ends.", "required": true,
        "schema": { "type": "integer", "minimum": 1 } } });
    answer
}

fn op(summary: &str, request: Option<&str>, success: (&str, Value), extra: &[Answer]) -> Value {
    let mut responses = errors(extra);
    responses.insert(success.0.into(), success.1);
    let mut operation = json!({ "summary": summary, "responses": responses });
    if let Some(schema) = request {
        operation["requestBody"] = body(schema);
    }
    operation
}

/// `op` with the answers of a JSON body added to `extra`.
fn write(summary: &str, request: &str, success: (&str, Value), extra: &[Answer]) -> Value {
    let answers: Vec<Answer> = BODY.iter().chain(extra).copied().collect();
    op(summary, Some(request), success, &answers)
}

/// The tenant slug, and the named ids: integer row ids, or string codes.
fn path_params(names: &[&str]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|name| {
                let schema = match *name {
                    "tenant" | "code" => json!({ "type": "string" }),
                    _ => json!({ "type": "integer", "format": "int64", "minimum": 1, "maximum": i64::MAX }),
                };
                json!({ "name": name, "in": "path", "required": true, "schema": schema })
            })
            .collect(),
    )
}

/// DELETE of something history may point at: gone (204), or deactivated instead (200).
fn deleted(what: &str, extra: &[Answer]) -> Value {
    let mut operation = op(
        &format!("Delete a {what}; one that bookings refer to is deactivated instead"),
        None,
        ("204", json!({ "description": "Deleted" })),
        extra,
    );
    operation["responses"]["200"] =
        ok("Deactivated instead: `{\"result\":\"deactivated\", …}`", "Deactivated");
    operation
}

pub async fn document() -> Json<Value> {
    Json(spec())
}

/// The whole document.
pub fn spec() -> Value {
    let t = "/api/v1/{tenant}";
    let p = |suffix: &str| format!("{t}{suffix}");
    let mut availability = op(
        "Bookable options (public, no token)",
        None,
        ("200", ok("Options", "Availability")),
        &[MALFORMED, INVALID, PLAN],
    );
    availability["security"] = json!([]);
    availability["responses"]["429"] = rate_limited();
    if let Some(responses) = availability["responses"].as_object_mut() {
        // Public: no token is ever asked for.
        responses.remove("401");
    }
    availability["parameters"] = json!([
        { "name": "service", "in": "query", "required": true, "schema": { "type": "string", "pattern": "\\S" } },
        { "name": "date", "in": "query", "required": true, "schema": { "type": "string", "format": "date" } },
        { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 31 } },
        { "name": "staff", "in": "query", "schema": { "type": "integer" }, "description": "PRO only" }
    ]);
    let guest_note = "Without a token this is a guest call: rate limited, and it needs the `X-CSRF-Token` of a Portico page session.";
    let guest = |summary: &str, request: &str, answer: (&str, Value)| {
        let mut operation = write(summary, request, answer, &[UNAVAILABLE, GUEST_CSRF]);
        operation["description"] = json!(guest_note);
        // The token is optional: without one it is a guest call (CSRF-checked, 403).
        operation["security"] = json!([{ "bearer": [] }, {}]);
        operation["responses"]["429"] = rate_limited();
        operation
    };
    let holds = guest(
        "Hold a place for the tenant's hold time",
        "HoldRequest",
        ("201", ok("The hold", "Hold")),
    );
    let create_booking =
        guest("Create a booking", "BookingRequest", ("201", ok("The booking", "Booking")));
    let mut list_bookings =
        op("List bookings", None, ("200", ok("Bookings", "BookingList")), &[MALFORMED, INVALID]);
    list_bookings["parameters"] = json!([
        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date-time" } },
        { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["pending", "confirmed", "cancelled", "completed", "no_show"] } }
    ]);
    let mut blocks_list = op(
        "Timetable blocks of a date (today in the tenant's time zone when omitted)",
        None,
        ("200", ok("Blocks", "BlockList")),
        &[MALFORMED, INVALID],
    );
    blocks_list["parameters"] = json!([{ "name": "date", "in": "query", "schema": { "type": "string", "format": "date" } }]);
    let mut clients_list = op(
        "List clients (`q` searches name, email and phone)",
        None,
        ("200", ok("Clients", "ClientList")),
        &[MALFORMED],
    );
    clients_list["parameters"] =
        json!([{ "name": "q", "in": "query", "schema": { "type": "string" } }]);
    let booking = |summary: &str, extra: &[Answer]| {
        let answers: Vec<Answer> = [MALFORMED].iter().chain(extra).copied().collect();
        op(summary, None, ("200", ok("The booking", "Booking")), &answers)
    };

    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Portico provider API",
            "version": "1",
            "description": "Every path is scoped to one tenant (`{tenant}` is its booking slug). Authenticate with `Authorization: Bearer <token>` (owners create tokens in Settings, operators with `portico token create`); a token works only for its own tenant — anything else is 404. Every error is `{\"error\":{\"code\",\"message\",\"fields\"}}` with `Content-Type: application/json`: 400 for malformed syntax, 422 for well-formed but invalid values, 401 for a write without a token, 405 (`method_not_allowed`, with `Allow`) for a method a path does not have, 429 with `Retry-After` when rate limited."
        },
        "security": [{ "bearer": [] }],
        "paths": {
            p("/services"): {
                "parameters": path_params(&["tenant"]),
                "get": op("List services", None, ("200", ok("Services", "ServiceList")), &[]),
                "post": write("Create a service", "NewService", ("201", ok("The service", "Service")), &[("409", "The code is taken (`code_taken`).")])
            },
            p("/services/{code}"): {
                "parameters": path_params(&["tenant", "code"]),
                "get": op("A service", None, ("200", ok("The service", "Service")), &[]),
                "patch": write("Change some fields of a service", "ServicePatch", ("200", ok("The service", "Service")), &[("409", "The new code is taken (`code_taken`).")]),
                "delete": deleted("service", &[])
            },
            p("/staff"): {
                "parameters": path_params(&["tenant"]),
                "get": op("List staff (PRO)", None, ("200", ok("Staff", "StaffList")), &[PLAN]),
                "post": write("Add a staff member (PRO)", "NewStaffMember", ("201", ok("The staff member", "StaffMember")), &[PLAN, STAFF_LIMIT])
            },
            p("/staff/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A staff member (PRO)", None, ("200", ok("The staff member", "StaffMember")), &[PLAN]),
                "patch": write("Change a staff member (PRO)", "StaffPatch", ("200", ok("The staff member", "StaffMember")), &[PLAN, STAFF_LIMIT]),
                "delete": deleted("staff member", &[PLAN])
            },
            p("/settings/booking"): {
                "parameters": path_params(&["tenant"]),
                "get": op("The booking rules", None, ("200", ok("The booking rules", "BookingSettings")), &[]),
                "patch": write("Change some of the booking rules", "BookingSettingsPatch", ("200", ok("The booking rules", "BookingSettings")), &[])
            },
            p("/settings/branding"): {
                "parameters": path_params(&["tenant"]),
                "get": op("Contact details and brand colour", None, ("200", ok("Branding", "Branding")), &[]),
                "patch": write("Change some contact details or the brand colour", "BrandingPatch", ("200", ok("Branding", "Branding")), &[])
            },
            p("/hours"): {
                "parameters": path_params(&["tenant"]),
                "get": op("The owner's / business weekly hours", None, ("200", ok("Hours", "Hours")), &[]),
                "put": write("Replace the owner's / business weekly hours", "Hours", ("200", ok("Hours", "Hours")), &[])
            },
            p("/staff/{id}/hours"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A staff member's weekly hours (PRO)", None, ("200", ok("Hours", "Hours")), &[MALFORMED, PLAN]),
                "put": write("Replace a staff member's weekly hours (PRO)", "Hours", ("200", ok("Hours", "Hours")), &[PLAN])
            },
            p("/time-off"): {
                "parameters": path_params(&["tenant"]),
                "get": op("Upcoming time off", None, ("200", ok("Time off", "TimeOffList")), &[]),
                "post": write("Add time off", "TimeOff", ("201", ok("The time off", "TimeOff")), &[])
            },
            p("/time-off/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "delete": op("Remove time off", None, ("204", json!({ "description": "Removed" })), &[MALFORMED])
            },
            p("/blocks"): {
                "parameters": path_params(&["tenant"]),
                "get": blocks_list,
                "post": write("Add a timetable block", "BlockRequest", ("201", ok("The block", "Block")), &[])
            },
            p("/blocks/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A block", None, ("200", ok("The block", "Block")), &[MALFORMED]),
                "patch": write("Change a block", "BlockPatch", ("200", ok("The block", "Block")), &[("409", "The date or times of a block in use cannot change (`in_use`).")]),
                "delete": op("Delete a block", None, ("204", json!({ "description": "Deleted" })), &[MALFORMED, ("409", "Bookings or holds use it (`in_use`).")])
            },
            p("/blocks/copy"): {
                "parameters": path_params(&["tenant"]),
                "post": write("Copy a day's blocks onto another day (or a range with `until`)", "CopyRequest", ("200", ok("Filled and skipped dates", "CopyResult")), &[])
            },
            p("/availability"): { "parameters": path_params(&["tenant"]), "get": availability },
            p("/holds"): { "parameters": path_params(&["tenant"]), "post": holds },
            p("/bookings"): { "parameters": path_params(&["tenant"]), "get": list_bookings, "post": create_booking },
            p("/bookings/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": booking("A booking", &[])
            },
            p("/bookings/{id}/cancel"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": booking("Cancel a booking", &[TRANSITION])
            },
            p("/bookings/{id}/reschedule"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": write("Move a booking", "RescheduleRequest", ("200", ok("The booking", "Booking")), &[("409", "The time is no longer available (`unavailable`), or the booking cannot be moved (`invalid_transition`).")])
            },
            p("/bookings/{id}/complete"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": booking("Mark a started booking completed", &[TRANSITION])
            },
            p("/bookings/{id}/no-show"): {
                "parameters": path_params(&["tenant", "id"]),
                "post": booking("Mark a started booking a no-show", &[TRANSITION])
            },
            p("/clients"): {
                "parameters": path_params(&["tenant"]),
                "get": clients_list
            },
            p("/clients/{id}"): {
                "parameters": path_params(&["tenant", "id"]),
                "get": op("A client", None, ("200", ok("The client", "Client")), &[MALFORMED])
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
    });
    add_billing(&mut doc);
    add_notifications(&mut doc);
    add_calendar(&mut doc);
    money::add(&mut doc);
    doc
}

/// Client writes and invoices: their paths and schemas. (Apart: one `json!` of everything is
/// too deep.)
fn add_billing(doc: &mut Value) {
    let p = |suffix: &str| format!("/api/v1/{{tenant}}{suffix}");
    let transition: Answer = (
        "409",
        "Not possible in the invoice's status, e.g. issuing an invoice that is not a draft or has no lines (`invalid_transition`).",
    );
    let invoice = ("200", ok("The invoice", "Invoice"));
    let mut list = op(
        "List invoices, newest first",
        None,
        ("200", ok("Invoices", "InvoiceList")),
        &[MALFORMED, INVALID],
    );
    list["parameters"] = json!([
        { "name": "client_id", "in": "query", "schema": { "type": "integer", "format": "int64" } },
        { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["draft", "open", "paid", "void", "overdue"] },
          "description": "`overdue`: open, past its due date in the tenant's time zone, with a balance" }
    ]);
    let paths = json!({
        p("/invoices"): {
            "parameters": path_params(&["tenant"]),
            "get": list,
            "post": write("Create a draft invoice (in the tenant's currency)", "NewInvoice", ("201", ok("The draft", "Invoice")), &[])
        },
        p("/invoices/{id}"): {
            "parameters": path_params(&["tenant", "id"]),
            "get": op("An invoice with its lines and totals", None, invoice.clone(), &[MALFORMED])
        },
        p("/invoices/{id}/issue"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": op("Issue a draft: it gets the tenant's next number (gapless) and becomes read-only", None, invoice.clone(), &[MALFORMED, transition])
        },
        p("/invoices/{id}/void"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": write("Void a draft or open invoice, with a reason", "VoidRequest", invoice, &[transition])
        },
        p("/invoices/{id}/pdf"): {
            "parameters": path_params(&["tenant", "id"]),
            "get": op(
                "The invoice as a PDF file (a draft is marked DRAFT)",
                None,
                ("200", json!({ "description": "The PDF, as an attachment named after the number",
                    "content": { "application/pdf": { "schema": { "type": "string", "format": "binary" } } } })),
                &[MALFORMED]
            )
        }
    });
    let client_write = json!({ "name": name_schema(), "email": { "type": ["string", "null"], "format": "email" },
        "phone": { "type": ["string", "null"], "pattern": r"^\s*(\+[0-9 \-().]{8,40})?\s*$",
            "description": "E.164 with separators allowed, e.g. +44 7700 900123; empty for none" },
        "address": free_text(500), "notes": free_text(5000), "can_self_reschedule": { "type": ["boolean", "null"] } });
    let text = json!({ "type": "string", "pattern": "\\S" });
    let id = json!({ "type": ["integer", "null"], "format": "int64" });
    let line_out = json!({ "type": "object", "properties": { "description": { "type": "string" }, "quantity": { "type": "integer" },
        "unit_price_minor": { "type": "integer" }, "tax_rate_bp": { "type": ["integer", "null"] }, "booking_id": id,
        "subtotal_minor": { "type": "integer" }, "tax_minor": { "type": "integer" }, "total_minor": { "type": "integer" } } });
    let schemas = json!({
        "NewClient": { "type": "object", "additionalProperties": false, "required": ["name", "email"], "properties": client_write },
        "ClientPatch": { "type": "object", "description": "Any subset of the fields of a client.", "properties": client_write },
        "NewInvoiceLine": { "type": "object", "additionalProperties": false, "required": ["description", "unit_price_minor"], "properties": {
            "description": text, "quantity": { "type": ["integer", "null"], "minimum": 1, "maximum": invoice::MAX_QUANTITY, "description": "1 when left out" },
            "unit_price_minor": { "type": "integer", "minimum": 0, "maximum": invoice::MAX_UNIT_PRICE },
            "tax_rate_bp": { "type": ["integer", "null"], "minimum": 0, "maximum": invoice::MAX_TAX_BP, "description": "Basis points: 2000 = 20 %. The tax is rounded half away from zero per line." },
            "booking_id": id } },
        "NewInvoice": { "type": "object", "additionalProperties": false, "required": ["client_id", "due_date"], "properties": {
            "client_id": { "type": "integer", "format": "int64" }, "due_date": { "type": "string", "format": "date" },
            "notes": free_text(5000), "lines": { "type": ["array", "null"], "maxItems": 200, "items": { "$ref": "#/components/schemas/NewInvoiceLine" } } } },
        "VoidRequest": { "type": "object", "required": ["reason"], "properties": { "reason": text } },
        "Invoice": { "type": "object", "properties": {
            "id": { "type": "integer" }, "number": { "type": ["string", "null"], "description": "Assigned on issue, e.g. INV-0001" },
            "status": { "enum": ["draft", "open", "paid", "void"] }, "client_id": { "type": "integer" }, "currency": { "type": "string" },
            "subtotal_minor": { "type": "integer" }, "tax_minor": { "type": "integer" }, "total_minor": { "type": "integer" },
            "paid_minor": { "type": "integer" }, "balance_minor": { "type": "integer" }, "due_date": { "type": "string", "format": "date" },
            "overdue": { "type": "boolean" }, "notes": { "type": "string" }, "void_reason": { "type": ["string", "null"] },
            "lines": { "type": "array", "items": line_out }, "installments": { "type": "array" } } },
        "InvoiceList": { "type": "object", "properties": { "invoices": { "type": "array", "items": { "$ref": "#/components/schemas/Invoice" } } } }
    });
    let client_post = write(
        "Create a client (without a portal login)",
        "NewClient",
        ("201", ok("The client", "Client")),
        &[],
    );
    let client_patch = write(
        "Change some fields of a client",
        "ClientPatch",
        ("200", ok("The client", "Client")),
        &[],
    );
    doc["paths"][p("/clients")]["post"] = client_post;
    doc["paths"][p("/clients/{id}")]["patch"] = client_patch;
    merge(doc, paths, schemas);
}

fn schemas() -> Value {
    let mut all = catalog_schemas();
    if let Some(all) = all.as_object_mut() {
        for more in [schedule_schemas(), settings_schemas()] {
            if let Value::Object(more) = more {
                all.extend(more);
            }
        }
    }
    all
}

/// The booking rules, with the ranges of `routes::input::rules`.
fn settings_schemas() -> Value {
    let mut properties = serde_json::Map::new();
    for (name, low, high) in crate::routes::input::rules::RULE_RANGES {
        properties
            .insert(name.into(), json!({ "type": "integer", "minimum": low, "maximum": high }));
    }
    let names: Vec<&str> = crate::routes::input::rules::RULE_RANGES.iter().map(|r| r.0).collect();
    let patch: serde_json::Map<String, Value> = properties
        .iter()
        .map(|(name, schema)| (name.clone(), json!({ "anyOf": [schema, { "type": "null" }] })))
        .collect();
    let branding = json!({
        "brand_color": { "type": ["string", "null"], "pattern": r"^\s*(#?[0-9a-fA-F]{6})?\s*$" },
        "contact_email": { "type": ["string", "null"], "anyOf": [{ "format": "email" }, { "pattern": r"^\s*$" }] },
        "contact_phone": { "type": ["string", "null"], "pattern": r"^\s*[0-9 +\-().]{0,40}\s*$" },
        "address": free_text(300),
        "website": web_address()
    });
    json!({
        "BookingSettings": { "type": "object", "required": names, "properties": properties },
        "BookingSettingsPatch": { "type": "object", "additionalProperties": false, "properties": patch },
        "Branding": { "type": "object", "required": ["brand_color", "contact_email", "contact_phone", "address", "website"],
            "properties": {
                "brand_color": { "type": ["string", "null"] }, "contact_email": { "type": "string" },
                "contact_phone": { "type": "string" }, "address": { "type": "string" }, "website": { "type": "string" }
            } },
        "BrandingPatch": { "type": "object", "additionalProperties": false, "properties": branding }
    })
}

/// Control characters, which no text field accepts (free text allows tab and line breaks).
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
const CONTROL_BUT_LINES: &str = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f";

/// A name or label as the server reads it: trimmed, 1–100 characters, no control characters.
fn name_schema() -> Value {
    let char = format!(r"[^\s{CONTROL}]");
    let inner = format!(r"[^{CONTROL}]");
    json!({ "type": "string", "pattern": format!(r"^\s*{char}(?:{inner}{{0,98}}{char})?\s*$") })
}

/// Free text, trimmed, of at most `max` characters.
/// A web address (a bare host gets `https://`), or blank.
fn web_address() -> Value {
    json!({ "type": ["string", "null"], "pattern": r"^\s*((https?://)?[A-Za-z0-9-]{1,30}(\.[A-Za-z0-9-]{1,30}){1,3}(/[A-Za-z0-9._~-]{0,40})?)?\s*$" })
}

fn free_text(max: usize) -> Value {
    json!({ "type": ["string", "null"], "pattern": format!(r"^\s*[^{CONTROL_BUT_LINES}]{{0,{max}}}\s*$") })
}

/// `words` matched case-insensitively, surrounded by optional spaces (the server trims and
/// folds case); `or_blank` also allows nothing (the server then keeps or defaults the value).
fn words_schema(words: &[&str], or_blank: bool) -> Value {
    let fold = |word: &str| -> String {
        word.chars()
            .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase()))
            .collect()
    };
    let alternatives: Vec<String> = words.iter().map(|w| fold(w)).collect();
    let optional = if or_blank { "?" } else { "" };
    json!({ "type": ["string", "null"],
        "pattern": format!(r"^\s*(?:{}){optional}\s*$", alternatives.join("|")) })
}

/// An integer field the server reads as "keep or default" when null.
fn int_or_null(min: i64, max: i64) -> Value {
    json!({ "type": ["integer", "null"], "minimum": min, "maximum": max })
}

/// The fields of a service as the API accepts them.
fn service_input() -> Value {
    json!({
        // Trimmed and lowercased by the server; `new` and `defaults` are reserved.
        "code": { "type": "string",
            "pattern": r"^\s*(?![Nn][Ee][Ww]\s*$|[Dd][Ee][Ff][Aa][Uu][Ll][Tt][Ss]\s*$)[A-Za-z0-9_-]{1,40}\s*$" },
        "name": name_schema(),
        "description": free_text(2000),
        "duration_minutes": int_or_null(5, 1440),
        "buffer_before_minutes": int_or_null(0, 240),
        "buffer_after_minutes": int_or_null(0, 240),
        "price_minor": int_or_null(0, 10_000_000),
        "currency": words_schema(portico_domain::accounts::CURRENCIES, true),
        "mode": words_schema(&["slot", "block"], true),
        "active": { "type": ["boolean", "null"] },
        "display_order": int_or_null(-1_000_000, 1_000_000),
        "location_kind": words_schema(&["business", "client", "online"], true),
        "meeting_url": web_address(),
        "prepay": { "type": ["boolean", "null"], "description": "Payment required to book (needs a price above 0)" }
    })
}

/// The fields of a staff member as the API accepts them (`id` and `has_login` are read-only
/// and ignored).
fn staff_input() -> Value {
    json!({
        "id": { "description": "Read-only; ignored" }, "has_login": { "description": "Read-only; ignored" },
        "name": name_schema(),
        "email": { "type": ["string", "null"], "anyOf": [{ "format": "email" }, { "pattern": r"^\s*$" }] },
        "phone": { "type": ["string", "null"], "pattern": r"^\s*[0-9 +\-().]{0,40}\s*$" },
        "bio": free_text(2000),
        "services": { "type": ["array", "null"], "items": { "type": "string" }, "description": "Service codes" },
        "active": { "type": ["boolean", "null"] },
        "display_order": int_or_null(-1_000_000, 1_000_000)
    })
}

/// Errors, services and staff. (Split in two: one `json!` of everything is too deep.)
fn catalog_schemas() -> Value {
    let time = json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$" });
    // A required text: blank (or only spaces) is refused.
    let text = json!({ "type": "string", "pattern": "\\S" });
    let staff = json!({ "id": { "type": "integer" }, "name": text, "email": { "type": ["string", "null"] },
        "phone": { "type": "string" }, "bio": { "type": "string" },
        "services": { "type": "array", "items": { "type": "string" }, "description": "Service codes" },
        "active": { "type": "boolean" }, "display_order": { "type": "integer" },
        "has_login": { "type": "boolean", "description": "Read-only" } });
    json!({
        "Error": {
            "type": "object", "required": ["error"],
            "properties": { "error": { "type": "object", "required": ["code", "message", "fields"], "properties": {
                "code": { "type": "string" }, "message": { "type": "string" },
                "fields": { "type": "object", "additionalProperties": { "type": "string" } } } } }
        },
        "Service": {
            "type": "object",
            "required": ["code", "name", "duration_minutes", "mode"],
            "properties": {
                "code": { "type": "string", "pattern": "^[a-z0-9_-]{1,40}$" }, "name": text,
                "description": { "type": "string" }, "duration_minutes": { "type": "integer", "minimum": 5, "maximum": 1440 },
                "buffer_before_minutes": { "type": "integer", "minimum": 0, "maximum": 240 },
                "buffer_after_minutes": { "type": "integer", "minimum": 0, "maximum": 240 },
                "price_minor": { "type": "integer", "minimum": 0 }, "currency": { "type": "string" },
                "mode": { "enum": ["slot", "block"] }, "active": { "type": "boolean" }, "display_order": { "type": "integer" },
                "location_kind": { "enum": ["business", "client", "online"], "description": "At the business's address, at the client's address (entered when booking, `address` on a new booking), or online (a meeting link per booking)" },
                "meeting_url": { "type": "string", "description": "The owner's meeting room for an online service; empty = a new Jitsi Meet room per booking" },
                "prepay": { "type": "boolean", "description": "Payment required to book: the booking is made when the online payment comes in" }
            }
        },
        "NewService": { "type": "object", "additionalProperties": false, "required": ["code", "name", "duration_minutes"], "properties": service_input() },
        "ServicePatch": { "type": "object", "description": "Any subset of the fields of a service.", "additionalProperties": false, "properties": service_input() },
        "ServiceList": { "type": "object", "properties": { "services": { "type": "array", "items": { "$ref": "#/components/schemas/Service" } } } },
        "Deactivated": { "type": "object", "properties": { "result": { "const": "deactivated" } } },
        "StaffMember": { "type": "object", "properties": staff },
        "StaffPatch": { "type": "object", "additionalProperties": false, "properties": staff_input() },
        "NewStaffMember": { "type": "object", "additionalProperties": false, "required": ["name"], "properties": staff_input() },
        "StaffList": { "type": "object", "properties": { "staff": { "type": "array", "items": { "$ref": "#/components/schemas/StaffMember" } } } },
        "Hours": {
            "type": "object",
            "properties": { "hours": { "type": "array", "items": { "type": "object", "required": ["weekday", "start", "end"],
                "properties": { "weekday": { "type": "integer", "minimum": 1, "maximum": 7, "description": "ISO weekday, Monday = 1" },
                    "start": time, "end": time } } } }
        }
    })
}

/// `schema`, or null.
fn nullable(schema: &Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// Hours, time off, blocks, availability, holds, bookings and clients.
fn schedule_schemas() -> Value {
    // Places for a service: a number, or the number with whether bookings may overlap.
    let capacity = json!({ "anyOf": [
        { "type": "integer", "minimum": 0, "maximum": 1000 },
        { "type": "object", "required": ["capacity"], "properties": {
            "capacity": { "type": "integer", "minimum": 0, "maximum": 1000 },
            "allow_overlap": { "type": ["boolean", "null"] } } }
    ] });
    let time = json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$" });
    let instant = json!({ "type": "string", "format": "date-time" });
    let id = json!({ "type": ["integer", "null"] });
    json!({
        "TimeOff": {
            "type": "object", "required": ["start", "end"],
            "properties": { "id": { "type": "integer" }, "staff_id": id, "start": instant, "end": instant, "reason": { "type": ["string", "null"] } }
        },
        "TimeOffList": { "type": "object", "properties": { "time_off": { "type": "array", "items": { "$ref": "#/components/schemas/TimeOff" } } } },
        "BlockRequest": {
            "type": "object", "required": ["date", "start", "end", "label"],
            "properties": { "date": { "type": "string", "format": "date" }, "start": time, "end": time, "label": name_schema(),
                "capacities": { "type": "object", "additionalProperties": capacity.clone(), "description": "Per service code" } }
        },
        "BlockPatch": {
            "type": "object", "description": "Any subset of BlockRequest's fields; null is the same as absent.",
            "properties": { "date": { "type": ["string", "null"], "format": "date" }, "start": nullable(&time), "end": nullable(&time), "label": nullable(&name_schema()),
                "capacities": { "type": "object", "additionalProperties": { "anyOf": [capacity, { "type": "null" }] },
                    "description": "Per service code; a code mapped to null leaves the block, codes left out keep theirs" } }
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
                "until": { "type": ["string", "null"], "format": "date" } } },
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
                "guest": { "$ref": "#/components/schemas/Guest" }, "notes": { "type": "string" },
                "address": { "type": "string", "description": "Where the appointment takes place, for a service at the client's address (`location_kind` `client`); a client's booking without one uses the client's stored address" } }
        },
        "RescheduleRequest": { "type": "object", "required": ["start"], "properties": { "start": instant, "staff_id": id, "block_id": id } },
        "Booking": {
            "type": "object",
            "properties": { "id": { "type": "integer" }, "status": { "enum": ["pending", "confirmed", "cancelled", "completed", "no_show"] },
                "service": { "type": "string" }, "start": instant, "end": instant, "staff_id": id, "block_id": id, "client_id": id,
                "guest": { "anyOf": [{ "$ref": "#/components/schemas/Guest" }, { "type": "null" }], "description": "Null for a client's booking" }, "notes": { "type": "string" },
                "price_minor": { "type": "integer" }, "currency": { "type": "string" },
                "location_kind": { "enum": ["business", "client", "online"] },
                "location": { "type": "string", "description": "The client's address (`client`) or the meeting link (`online`); empty at the business (its address is in the branding settings)" } }
        },
        "BookingList": { "type": "object", "properties": { "bookings": { "type": "array", "items": { "$ref": "#/components/schemas/Booking" } } } },
        "Client": { "type": "object", "properties": { "id": { "type": "integer" }, "name": { "type": "string" }, "email": { "type": "string" },
            "phone": { "type": "string" }, "address": { "type": "string" }, "notes": { "type": "string" }, "has_portal_login": { "type": "boolean" },
            "portal_login_disabled": { "type": "boolean" }, "can_self_reschedule": { "type": "boolean" } } },
        "ClientList": { "type": "object", "properties": { "clients": { "type": "array", "items": { "$ref": "#/components/schemas/Client" } } } },
        "Team": { "type": "object", "properties": { "members": { "type": "array", "items": { "type": "object",
            "properties": { "user_id": { "type": "integer" }, "name": { "type": "string" }, "email": { "type": "string" }, "role": { "enum": ["owner", "staff"] } } } } } }
    })
}

/// Adds `paths` and `schemas` (JSON objects) to the document.
fn merge(doc: &mut Value, paths: Value, schemas: Value) {
    if let (Some(all), Value::Object(more)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) =
        (doc["components"]["schemas"].as_object_mut(), schemas)
    {
        all.extend(more);
    }
}

/// Google Calendar (PRO): each person's connection, read-only.
fn add_calendar(doc: &mut Value) {
    let paths = json!({
        "/api/v1/{tenant}/calendar": {
            "parameters": path_params(&["tenant"]),
            "get": op("Google Calendar connection of each person (PRO)", None, ("200", ok("Connections", "CalendarStatus")), &[PLAN])
        }
    });
    let schemas = json!({
        "CalendarStatus": { "type": "object", "required": ["configured", "contact_details", "people"], "properties": {
            "configured": { "type": "boolean", "description": "Whether the operator configured Google" },
            "contact_details": { "type": "boolean", "description": "Whether events carry the client's email and phone" },
            "people": { "type": "array", "items": { "type": "object",
                "required": ["user_id", "name", "email", "status", "sync_enabled", "backfill_done", "backfill_total"],
                "properties": { "user_id": { "type": "integer" }, "name": { "type": "string" }, "email": { "type": "string" },
                    "status": { "enum": ["not_connected", "connected", "disconnected"] },
                    "google_account": { "type": ["string", "null"] }, "calendar_id": { "type": ["string", "null"] },
                    "sync_enabled": { "type": "boolean" }, "last_synced_at": { "type": ["integer", "null"], "description": "Epoch seconds" },
                    "last_error": { "type": ["string", "null"] },
                    "backfill_done": { "type": "integer" }, "backfill_total": { "type": "integer" } } } } } }
    });
    merge(doc, paths, schemas);
}

/// The tenant's notification settings and a client's notification preferences.
fn add_notifications(doc: &mut Value) {
    let p = |suffix: &str| format!("/api/v1/{{tenant}}{suffix}");
    let max = crate::routes::input::notify::MAX_REMINDER_MINUTES;
    let paths = json!({
        p("/settings/notifications"): {
            "parameters": path_params(&["tenant"]),
            "get": op("Reminders and the SMS switch", None, ("200", ok("The settings", "NotificationSettings")), &[]),
            "patch": write("Change the reminder lead time or the SMS switch (turning SMS on needs PRO)", "NotificationSettingsPatch", ("200", ok("The settings", "NotificationSettings")), &[PLAN])
        },
        p("/clients/{id}/preferences"): {
            "parameters": path_params(&["tenant", "id"]),
            "get": op("What the client hears of, by email and SMS (the defaults until they choose)", None, ("200", ok("The preferences", "ClientPreferences")), &[MALFORMED]),
            "patch": write("Change some of the client's choices, e.g. `{\"email\":{\"reminders\":false}}`", "ClientPreferencesPatch", ("200", ok("The preferences", "ClientPreferences")), &[])
        }
    });
    let minutes = json!({ "type": ["integer", "null"], "minimum": 1, "maximum": max,
        "description": "Reminders are due at the start minus this many minutes; null: no reminders. A booking made after its reminder was due gets none." });
    let kinds = |required: bool| {
        let flag = json!({ "type": "boolean" });
        let mut channel = json!({ "type": "object", "additionalProperties": false,
            "properties": { "changes": flag, "reminders": flag, "invoices": flag } });
        if required {
            channel["required"] = json!(["changes", "reminders", "invoices"]);
        }
        channel
    };
    let schemas = json!({
        "NotificationSettings": { "type": "object", "required": ["reminder_minutes_before", "sms_enabled"], "properties": {
            "reminder_minutes_before": minutes, "sms_enabled": { "type": "boolean", "description": "Texts clients who opted in (PRO; the Twilio account is entered on the notifications page)." } } },
        "NotificationSettingsPatch": { "type": "object", "additionalProperties": false, "properties": {
            "reminder_minutes_before": minutes, "sms_enabled": { "type": ["boolean", "null"] } } },
        "ClientPreferences": { "type": "object", "required": ["email", "sms"], "properties": {
            "email": kinds(true), "sms": kinds(true) },
            "description": "`changes`: confirmations, moves and cancellations. SMS `changes`, `reminders` and `invoices` (a text when an invoice is issued) are texted when the business is on PRO with SMS on and the client has an E.164 phone number." },
        "ClientPreferencesPatch": { "type": "object", "additionalProperties": false, "properties": {
            "email": kinds(false), "sms": kinds(false) } }
    });
    merge(doc, paths, schemas);
}
