//! The public help page: the owner's FAQ in order, the cancellation rules in words from the
//! tenant's cut-off (and the reader's own online-changes setting), and the contact details.

use portico_domain::plans::Plan;
use portico_testkit::{PASSWORD, TestApp, matrix};
use reqwest::StatusCode;

#[tokio::test]
async fn the_help_page_shows_the_faq_the_policy_in_words_and_the_contact() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        sqlx::query(
            "update tenants set cancel_cutoff_hours = 48, contact_email = 'hello@paws.example' \
             where id = $1",
        )
        .bind(tenant.id.get())
        .execute(app.db().pool())
        .await
        .unwrap();
        let owner = app.browser();
        owner.login(&tenant.owner_email, PASSWORD).await;
        assert!(owner.page("/app/paws/settings/help").await.contains("Entry 3"));

        // Half an entry is refused and nothing is saved.
        let half = owner
            .post_form("/app/paws/settings/help", &[("question", "Parking?"), ("answer", "")])
            .await;
        assert_eq!(half.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(half.text().await.unwrap().contains("Give both the question and its answer."));
        assert_eq!(app.count("select count(*) from faq_entries").await, 0);

        let saved = owner
            .post_form(
                "/app/paws/settings/help",
                &[
                    ("question", "Do you walk in the rain?"),
                    ("answer", "Yes, <b>with</b> towels."),
                    ("question", ""),
                    ("answer", ""),
                    ("question", "Where do we meet?"),
                    ("answer", "At your door."),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);

        // Public: a visitor without a login reads it.
        let visitor = app.browser();
        let page = visitor.page("/portal/paws/help").await;
        let rain = page.find("Do you walk in the rain?").expect("first entry");
        let meet = page.find("Where do we meet?").expect("second entry");
        assert!(rain < meet, "in the owner's order");
        assert!(
            page.contains("Yes, &lt;b&gt;with&lt;&#x2F;b&gt; towels.")
                || page.contains("Yes, &lt;b&gt;with&lt;/b&gt; towels."),
            "escaped: {page}"
        );
        assert!(page.contains("until 2 days (48 hours) before it starts"), "{page}");
        assert!(page.contains("within 15 minutes of booking it"), "the series grace period");
        assert!(page.contains("hello@paws.example"), "the support contact");
        // Linked from the public booking page.
        assert!(visitor.page("/book/paws").await.contains("/portal/paws/help"));

        // A logged-in client reads their own rule.
        let (ann, _) = app.seed_client(&tenant, "Ann", "ann@example.com", true).await;
        let client = app.browser();
        client.login("ann@example.com", PASSWORD).await;
        let page = client.page("/portal/paws/help").await;
        assert!(page.contains("not enabled for your account"), "{page}");
        sqlx::query("update clients set can_self_reschedule = 1 where id = $1")
            .bind(ann.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let page = client.page("/portal/paws/help").await;
        assert!(
            page.contains("You can cancel or move a booking yourself in the portal until 2 days")
        );
        assert_eq!(visitor.get("/portal/nobody/help").await.status(), StatusCode::NOT_FOUND);
    })
    .await;
}
