//! The business's Stripe keys: entered by the owner (write-only) or by the operator CLI,
//! sealed, never in the database in plain text, never shown again; audited.

use portico_store::online;
use portico_testkit::{PASSWORD, TestApp, matrix};
use rand::Rng as _;
use reqwest::StatusCode;

use crate::binary::{portico, run};
use crate::sealed::{contains, hex, raw_database};

fn secret(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::rng().random::<u128>())
}

#[tokio::test]
async fn stripe_keys_are_sealed_write_only_and_never_in_the_database_in_plain_text() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let paws = app.seed_tenant("paws", portico_domain::plans::Plan::Free).await;
        let other = app.seed_tenant("other", portico_domain::plans::Plan::Free).await;
        let owner = app.browser();
        owner.login(&paws.owner_email, PASSWORD).await;
        let page = owner.page("/app/paws/settings/payments").await;
        assert!(page.contains("Secret key <span class=\"muted\">(not configured)"), "{page}");
        assert!(page.contains("/webhooks/stripe/paws"), "{page}");

        // A publishable key by mistake: refused, nothing stored.
        let form =
            [("gateway", "stripe"), ("secret_key", "pk_live_abcdefgh"), ("webhook_secret", "")];
        let response = owner.post_form("/app/paws/settings/payments", &form).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("select count(*) from tenant_secrets").await, 0);
        // Stripe without keys: refused too.
        let form = [("gateway", "stripe"), ("secret_key", ""), ("webhook_secret", "")];
        let response = owner.post_form("/app/paws/settings/payments", &form).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

        let (key, hook) = (secret("sk_live_"), secret("whsec_"));
        let form = [
            ("gateway", "offline"),
            ("secret_key", key.as_str()),
            ("webhook_secret", hook.as_str()),
        ];
        let response = owner.post_form("/app/paws/settings/payments", &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(online::gateway(app.db(), paws.id).await.unwrap().as_deref(), Some("stripe"));
        let page = owner.page("/app/paws/settings/payments").await;
        assert!(page.contains("Secret key <span class=\"muted\">(configured)"), "{page}");
        assert!(!page.contains(&key) && !page.contains(&hook), "never shown again");

        // The operator's command does the same for another business.
        let (cli_key, cli_hook) = (secret("sk_test_"), secret("whsec_"));
        let mut command = portico(&app.config().data_dir);
        command.env("DATABASE_URL", app.config().database.url());
        let output = run(command.args([
            "tenant",
            "set-stripe",
            "other",
            "--secret-key",
            &cli_key,
            "--webhook-secret",
            &cli_hook,
        ]));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(!stdout.contains(&cli_key));
        assert_eq!(online::gateway(app.db(), other.id).await.unwrap().as_deref(), Some("stripe"));
        let ring = &app.state.keyring;
        let slot =
            portico_store::sealed::Slot::tenant(portico_store::sealed::SecretKind::StripeSecretKey);
        let opened =
            portico_store::sealed::get(app.db(), ring, other.id, slot).await.unwrap().unwrap();
        assert_eq!(opened.as_str(), cli_key);

        let dump = raw_database(&app).await;
        for value in [&key, &hook, &cli_key, &cli_hook] {
            assert!(!contains(&dump, value.as_bytes()), "{value} is in the database");
            assert!(!contains(&dump, hex(value.as_bytes()).as_bytes()), "{value} as hex");
        }
        let audited = app
            .count("select count(*) from audit_log where action = 'payments.settings_changed'")
            .await;
        assert_eq!(audited, 2);

        // Back to offline: the keys stay sealed, the gateway is off.
        let form = [("gateway", "offline"), ("secret_key", ""), ("webhook_secret", "")];
        let response = owner.post_form("/app/paws/settings/payments", &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(online::gateway(app.db(), paws.id).await.unwrap().as_deref(), Some("offline"));
        assert_eq!(app.count("select count(*) from tenant_secrets").await, 4);
    })
    .await;
}
