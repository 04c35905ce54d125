//! Payments, credit, installment plans and billing settings in the OpenAPI document.

use serde_json::{Value, json};

use super::{Answer, MALFORMED, free_text, ok, op, path_params, write};

/// Adds the money paths and schemas to `doc`.
pub(super) fn add(doc: &mut Value) {
    let p = |suffix: &str| format!("/api/v1/{{tenant}}{suffix}");
    let not_open: Answer = (
        "409",
        "The invoice is not open, or a payment was made under its current plan (`invalid_transition`).",
    );
    let not_payable: Answer =
        ("409", "The invoice is a draft or void and takes no payments (`not_payable`).");
    let not_pending: Answer =
        ("409", "The payment is not in the status this needs (`invalid_transition`).");
    let mut payments_list = op(
        "List payments, newest first",
        None,
        ("200", ok("Payments", "PaymentList")),
        &[MALFORMED],
    );
    payments_list["parameters"] = json!([
        { "name": "client_id", "in": "query", "schema": { "type": "integer", "format": "int64" } }
    ]);
    let payment = ("200", ok("The payment", "Payment"));
    let link = json!({ "description": "The signed link (no login needed) and when it stops working",
        "content": { "application/json": { "schema": { "type": "object", "required": ["url", "expires_at"],
            "properties": { "url": { "type": "string", "format": "uri" },
                "expires_at": { "type": "integer", "format": "int64", "description": "Epoch seconds; at least 30 days after the link was made" } } } } } });
    let paths = json!({
        p("/invoices/{id}/pay-link"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": op("The invoice's hosted pay link, to send to the client: a signed URL where they pay online (the open balance, or the next installment) without logging in", None, ("200", link), &[MALFORMED, not_payable])
        },
        p("/invoices/{id}/installments"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": write("Split an open invoice's balance into installments (replacing a plan nothing was paid under)", "InstallmentPlan", ("201", ok("The invoice with its plan", "Invoice")), &[not_open])
        },
        p("/clients/{id}/credit"): {
            "parameters": path_params(&["tenant", "id"]),
            "get": op("A client's credit balance and ledger", None, ("200", ok("The credit", "Credit")), &[MALFORMED]),
            "post": write("Grant credit to a client, with a reason (audited)", "CreditGrant", ("201", ok("The credit", "Credit")), &[])
        },
        p("/payments"): {
            "parameters": path_params(&["tenant"]),
            "get": payments_list,
            "post": write("Record a payment received: applied to the invoice (installments oldest first), the excess becomes credit", "NewPayment", ("201", ok("The payment", "Payment")), &[not_payable])
        },
        p("/payments/{id}/refund"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": write("Refund part or all of a received payment: out of the credit it left, then off its invoice. A payment made online is refunded through its payment gateway first (502 `gateway_error` when the gateway refuses or cannot be reached; nothing is recorded then)", "Refund", payment.clone(), &[not_pending])
        },
        p("/payments/{id}/confirm"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": op("Confirm a client's declared bank transfer: it is received and applied", None, payment.clone(), &[MALFORMED, not_pending])
        },
        p("/payments/{id}/reject"): {
            "parameters": path_params(&["tenant", "id"]),
            "post": write("Reject a client's declared bank transfer, with a reason", "Rejection", payment, &[not_pending])
        },
        p("/settings/billing"): {
            "parameters": path_params(&["tenant"]),
            "get": op("The billing settings", None, ("200", ok("The settings", "BillingSettings")), &[]),
            "patch": write("Change some billing settings", "BillingSettingsPatch", ("200", ok("The settings", "BillingSettings")), &[])
        }
    });
    let reason = json!({ "type": "string", "pattern": "\\S", "maxLength": 500 });
    let amount =
        json!({ "type": "integer", "minimum": 1, "maximum": portico_domain::billing::MAX_AMOUNT });
    let date = json!({ "type": "string", "format": "date" });
    let bill_when = json!({ "enum": ["none", "confirmed", "completed"] });
    let cancel_paid = json!({ "enum": ["credit", "manual"], "description": "What a cancelled booking's paid amount becomes: client credit, or nothing (the owner refunds by hand)" });
    let prefix = json!({ "type": "string", "pattern": "^\\s*[A-Za-z0-9_/.#-]{0,12}\\s*$" });
    let schemas = json!({
        "InstallmentPlan": { "type": "object", "additionalProperties": false,
            "description": "Either count + first_due (+ interval_days, 30 when left out), or parts that sum exactly to the balance",
            "properties": { "count": { "type": "integer", "minimum": 2, "maximum": 24 }, "first_due": date,
                "interval_days": { "type": ["integer", "null"], "minimum": 1, "maximum": 366 },
                "parts": { "type": "array", "minItems": 2, "maxItems": 24, "items": { "type": "object", "additionalProperties": false,
                    "required": ["due_date", "amount_minor"], "properties": { "due_date": date, "amount_minor": { "type": "integer", "minimum": 1 } } } } } },
        "Installment": { "type": "object", "properties": { "due_date": date, "amount_minor": { "type": "integer" },
            "paid_minor": { "type": "integer" }, "overdue": { "type": "boolean" } } },
        "CreditGrant": { "type": "object", "additionalProperties": false, "required": ["amount_minor", "reason"],
            "properties": { "amount_minor": amount, "reason": reason } },
        "Credit": { "type": "object", "properties": { "balance_minor": { "type": "integer", "minimum": 0 }, "currency": { "type": "string" },
            "entries": { "type": "array", "items": { "type": "object", "properties": {
                "id": { "type": "integer" }, "amount_minor": { "type": "integer", "description": "Positive adds, negative takes" },
                "currency": { "type": "string" }, "kind": { "enum": ["grant", "overpayment", "cancellation", "use", "refund"] },
                "payment_id": { "type": ["integer", "null"] }, "invoice_id": { "type": ["integer", "null"] }, "booking_id": { "type": ["integer", "null"] },
                "reason": { "type": "string" }, "created_at": { "type": "string", "format": "date-time" } } } } } },
        "NewPayment": { "type": "object", "additionalProperties": false, "required": ["client_id", "amount_minor", "currency", "method", "received_on"],
            "properties": { "client_id": { "type": "integer" }, "invoice_id": { "type": ["integer", "null"], "description": "An invoice of the client; null makes it all credit" },
                "amount_minor": amount, "currency": { "type": "string", "description": "The tenant's currency" },
                "method": { "enum": ["cash", "bank_transfer", "card_terminal", "other"] }, "received_on": date, "reference": free_text(200) } },
        "Payment": { "type": "object", "properties": { "id": { "type": "integer" }, "client_id": { "type": "integer" }, "invoice_id": { "type": ["integer", "null"] },
            "amount_minor": { "type": "integer" }, "currency": { "type": "string" },
            "method": { "enum": ["cash", "bank_transfer", "card_terminal", "other", "online"], "description": "`online`: paid through the business's payment gateway" }, "received_on": date,
            "reference": { "type": "string" }, "status": { "enum": ["received", "pending", "rejected"] }, "refunded_minor": { "type": "integer" },
            "decision_reason": { "type": "string" },
            "applied": { "type": "array", "items": { "type": "object", "properties": { "invoice_id": { "type": "integer" }, "amount_minor": { "type": "integer" } } } },
            "credit_minor": { "type": "integer" } } },
        "PaymentList": { "type": "object", "properties": { "payments": { "type": "array", "items": { "$ref": "#/components/schemas/Payment" } } } },
        "Refund": { "type": "object", "additionalProperties": false, "required": ["amount_minor", "reason"], "properties": { "amount_minor": amount, "reason": reason } },
        "Rejection": { "type": "object", "additionalProperties": false, "required": ["reason"], "properties": { "reason": reason } },
        "BillingSettings": { "type": "object", "properties": { "bill_when": bill_when, "invoice_prefix": { "type": "string" },
            "payment_terms_days": { "type": "integer", "minimum": 0, "maximum": 365 }, "cancel_paid": cancel_paid } },
        "BillingSettingsPatch": { "type": "object", "additionalProperties": false, "properties": { "bill_when": bill_when,
            "invoice_prefix": prefix, "payment_terms_days": { "type": "integer", "minimum": 0, "maximum": 365 }, "cancel_paid": cancel_paid } }
    });
    if let (Some(all), Value::Object(more)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(more);
    }
    if let (Some(all), Value::Object(more)) =
        (doc["components"]["schemas"].as_object_mut(), schemas)
    {
        all.extend(more);
    }
    doc["components"]["schemas"]["Invoice"]["properties"]["installments"] =
        json!({ "type": "array", "items": { "$ref": "#/components/schemas/Installment" } });
}
