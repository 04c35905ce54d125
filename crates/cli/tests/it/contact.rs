//! How clients reach a business: contact details and brand colour set on the settings page or
//! over the API, shown on the booking page, the portal and the manage page (instead of a dead
//! end inside the cut-off), and in the emails (From name = business, Reply-To = its address).

use std::time::Duration;

use chrono::{Duration as Span, NaiveDate};
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_store::tenants;
use portico_testkit::{PASSWORD, TestApp, location, matrix};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PATH: &str = "/api/v1/paws/settings/branding";

async fn patch(app: &TestApp, token: &str, body: Value) -> (StatusCode, Value) {
    let response =
        app.client.patch(app.url(PATH)).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn contact_details_are_set_over_the_api_and_bad_values_change_nothing() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(tenant.id).await;

        let (status, empty) = app.api_get(PATH, Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            empty,
            json!({ "brand_color": null, "contact_email": "", "contact_phone": "", "address": "", "website": "" })
        );
        let (status, set) = patch(
            &app,
            &token,
            json!({ "contact_email": "Hello@Paws.example", "contact_phone": "+44 20 7946 0000",
                    "address": "1 Bark Lane\nLondon", "website": "paws.example", "brand_color": "#7A1F5C" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{set}");
        let expected = json!({ "brand_color": "#7a1f5c", "contact_email": "hello@paws.example",
            "contact_phone": "+44 20 7946 0000", "address": "1 Bark Lane\nLondon",
            "website": "https://paws.example" });
        assert_eq!(set, expected);
        assert_eq!(app.api_get(PATH, Some(&token)).await.1, expected);

        // Any bad field: 422 naming it, and nothing changes (not even the good fields).
        let (status, error) = patch(
            &app,
            &token,
            json!({ "contact_phone": "+44 000", "website": "javascript:alert(1)", "brand_color": "red", "fax": "1" }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        let fields = &error["error"]["fields"];
        for field in ["website", "brand_color", "fax"] {
            assert!(fields[field].is_string(), "{field}: {error}");
        }
        assert_eq!(app.api_get(PATH, Some(&token)).await.1, expected);

        // Null or "" empties a field; the colour goes back to Portico's.
        let (_, cleared) = patch(&app, &token, json!({ "brand_color": "", "website": null })).await;
        assert_eq!((cleared["brand_color"].clone(), cleared["website"].clone()), (json!(null), json!("")));
        let stored = tenants::by_id(app.db(), tenant.id.get()).await.unwrap().unwrap();
        assert_eq!((stored.brand_color, stored.contact.phone.as_str()), (None, "+44 20 7946 0000"));
    })
    .await;
}

#[tokio::test]
async fn clients_see_how_to_reach_the_business_on_its_pages_and_in_its_emails() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        let tomorrow = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        app.seed_block(tenant.id, tomorrow, 9 * 60, 12 * 60, &walk, 2).await;
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;

        // The settings form: a bad website is a field error and saves nothing.
        let form = |website: &'static str| {
            vec![
                ("contact_email", "hello@paws.example"),
                ("contact_phone", "020 7946 0000"),
                ("address", "1 Bark Lane\r\nLondon"),
                ("website", website),
                ("brand_color", "#ffd400"),
            ]
        };
        let r = owner.post_form("/app/paws/settings/branding", &form("not a site")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("Enter a web address"));
        let stored = tenants::by_id(app.db(), tenant.id.get()).await.unwrap().unwrap();
        assert!(stored.contact.is_empty() && stored.brand_color.is_none());
        let r = owner.post_form("/app/paws/settings/branding", &form("paws.example")).await;
        assert_eq!(location(&r), "/app/paws/settings#contact");

        // The booking page: contact details and the brand stylesheet (yellow: ink on it,
        // links stay ink because yellow does not read on white).
        let guest = app.browser();
        let page = guest.page("/book/paws").await;
        for shown in
            ["hello@paws.example", "tel:02079460000", "1 Bark Lane", "https://paws.example"]
        {
            assert!(page.contains(shown), "{shown} on the booking page");
        }
        assert!(page.contains("/book/paws/brand.css?v=ffd400"), "{page}");
        // Its clients are never sent to business sign-up; the name leads to its own page.
        assert!(!page.contains("href=\"/signup\""), "no business sign-up on a booking page");
        assert!(page.contains("<a class=\"brand\" href=\"/book/paws\">"), "{page}");
        assert!(page.contains("href=\"/portal/paws/register\""), "its own portal registration");
        let css = guest.get("/book/paws/brand.css").await;
        assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
        let css = css.text().await.unwrap();
        assert!(
            css.contains("--brand: #ffd400")
                && css.contains("--brand-contrast: #1d2521")
                && css.contains("--brand-ink: #1d2521"),
            "{css}"
        );
        let other = app.seed_tenant("other", Plan::Free).await;
        let plain = guest.get("/book/other/brand.css").await.text().await.unwrap();
        assert!(!plain.contains("--brand"), "no colour, no variables: {plain}");
        assert!(!guest.page("/book/other").await.contains("hello@paws.example"));
        let _ = other;

        // A guest books; the email comes from the business's name and replies go to it.
        let page = guest.page("/book/paws/services/walk?date=2026-12-02").await;
        let marker = "name=\"start\" value=\"";
        let at = page.find(marker).unwrap() + marker.len();
        let start = page[at..at + page[at..].find('"').unwrap()].to_owned();
        let block_at = page.find("name=\"block_id\" value=\"").unwrap() + 23;
        let block = page[block_at..block_at + page[block_at..].find('"').unwrap()].to_owned();
        guest
            .post_form(
                "/book/paws/services/walk/hold",
                &[("start", &start), ("staff_id", ""), ("block_id", &block)],
            )
            .await;
        let r = guest
            .post_form(
                "/book/paws/details",
                &[
                    ("name", "Jo Guest"),
                    ("email", "jo@example.com"),
                    ("phone", "+44 7700 900123"),
                    ("notes", ""),
                ],
            )
            .await;
        assert_eq!(location(&r), "/book/paws/done");
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
        let from = mail.header("from").unwrap_or_default();
        assert!(from.contains("Business paws") && from.ends_with("<no-reply@localhost>"), "{from}");
        assert_eq!(mail.header("reply-to").as_deref(), Some("hello@paws.example"));
        assert!(mail.text_body().contains("Phone: 020 7946 0000"), "{}", mail.text_body());

        // Inside the cut-off the manage page says how to reach the business.
        let link = mail.first_link_containing("/book/paws/manage/").unwrap();
        let link = url::Url::parse(&link).unwrap().path().to_owned();
        assert!(!guest.page(&link).await.contains("reach-us"), "before the cut-off: actions");
        app.clock.advance(Span::hours(1));
        let page = guest.page(&link).await;
        assert!(page.contains("Changes are possible until 24 hours"), "{page}");
        assert!(page.contains("reach-us") && page.contains("mailto:hello@paws.example"));
    })
    .await;
}
