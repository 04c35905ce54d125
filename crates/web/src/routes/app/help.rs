//! `/app/{tenant}/settings/help`: the owner edits the FAQ of the business's help page
//! (`/portal/{tenant}/help`). The form lists every entry in order plus empty rows; saving
//! replaces the whole list, blank rows dropped.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_store::faq::{self, Entry, MAX_ENTRIES};
use serde::Serialize;

use crate::auth::OwnerScope;
use crate::chrome::{Chrome, flash};
use crate::error::FieldErrors;
use crate::forms::see_other;
use crate::{AppState, Error};

/// Empty rows offered below the entries.
const BLANK_ROWS: usize = 3;
const QUESTION_MAX: usize = 300;
const ANSWER_MAX: usize = 5000;

#[derive(Serialize)]
struct HelpSettingsPage<'a> {
    chrome: Chrome,
    rows: Vec<Entry>,
    errors: &'a FieldErrors,
}

async fn render(
    state: &AppState,
    scope: &OwnerScope,
    mut rows: Vec<Entry>,
    errors: &FieldErrors,
) -> Result<Response, Error> {
    let blank = Entry { question: String::new(), answer: String::new() };
    rows.extend(std::iter::repeat_n(blank, BLANK_ROWS));
    let page = HelpSettingsPage { chrome: Chrome::app(scope, state).await?, rows, errors };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, state.templates.page("app/help.html", &page)).into_response())
}

pub async fn show(State(state): State<AppState>, scope: OwnerScope) -> Result<Response, Error> {
    let rows = faq::list(&state.db, scope.id()).await?;
    render(&state, &scope, rows, &FieldErrors::new()).await
}

/// Saves the FAQ: `question` and `answer` fields in pairs, in order.
pub async fn update(
    State(state): State<AppState>,
    scope: OwnerScope,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    let questions = fields.iter().filter(|(k, _)| k == "question").map(|(_, v)| v.trim());
    let answers = fields.iter().filter(|(k, _)| k == "answer").map(|(_, v)| v.trim());
    let typed: Vec<Entry> = questions
        .zip(answers)
        .map(|(q, a)| Entry { question: q.to_owned(), answer: a.to_owned() })
        .collect();
    let mut errors = FieldErrors::new();
    let entries: Vec<Entry> =
        typed.iter().filter(|e| !e.question.is_empty() || !e.answer.is_empty()).cloned().collect();
    for (n, entry) in entries.iter().enumerate() {
        if entry.question.is_empty() || entry.answer.is_empty() {
            errors.insert(format!("row{n}"), "Give both the question and its answer.".into());
        } else if entry.question.chars().count() > QUESTION_MAX
            || entry.answer.chars().count() > ANSWER_MAX
        {
            let message = "Use at most 300 characters for a question, 5,000 for an answer.";
            errors.insert(format!("row{n}"), message.into());
        }
    }
    if entries.len() > MAX_ENTRIES {
        errors.insert("faq".into(), format!("Keep at most {MAX_ENTRIES} entries."));
    }
    if !errors.is_empty() {
        return render(&state, &scope, entries, &errors).await;
    }
    faq::replace(&state.db, scope.id(), &entries, state.clock.now_ts()).await?;
    state
        .audit(
            &scope.viewer,
            Some(scope.id()),
            Some(scope.user.id),
            "tenant.faq_changed",
            format!("{} entries", entries.len()),
        )
        .await?;
    flash(&scope.viewer.session, "info", "Your help page is saved.").await?;
    Ok(see_other(&format!("/app/{}/settings/help", scope.tenant.slug)))
}
