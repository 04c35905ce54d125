//! `GET /api/v1/{tenant}/invoices/{id}/pdf`: the invoice as a PDF file. A draft downloads
//! too, marked DRAFT, so the owner can check it before issuing.

use axum::extract::{Path, State};
use axum::response::Response;
use portico_store::{clients, invoices};

use crate::auth::ApiScope;
use crate::invoice_view::{file_name, history, pdf, pdf_response, today};
use crate::{AppState, Error};

#[tracing::instrument(skip_all, fields(tenant = %scope.tenant.id))]
pub async fn show(
    State(state): State<AppState>,
    scope: ApiScope,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let tenant = &scope.tenant;
    let invoice = invoices::get(&state.db, tenant.id, id).await?.ok_or(Error::NotFound)?;
    let client = clients::get(&state.db, tenant.id, invoice.client_id.get())
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("invoice {id} has no client")))?;
    let payments = history(&state, tenant, &invoice).await?;
    let logo = crate::pictures::logo_for_pdf(&state, tenant.id).await?;
    let bytes = pdf(tenant, &client, &invoice, &payments, today(&state, tenant), logo)?;
    Ok(pdf_response(bytes, &file_name(&invoice)))
}
