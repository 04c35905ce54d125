//! Pictures: the business's logo (branding settings) and staff photos go through one upload
//! pipeline — PNG, JPEG or WebP only, size and dimensions checked, re-encoded, stored in the
//! database (so every web process serves them) — and show where clients see the business.

use std::io::Cursor;
use std::time::Duration;

use chrono::NaiveDate;
use image::{DynamicImage, ImageFormat, RgbImage, RgbaImage};
use portico_domain::plans::Plan;
use portico_store::catalog::Mode;
use portico_testkit::{Browser, PASSWORD, SeededTenant, TestApp, location, matrix};
use rand::RngCore as _;
use reqwest::StatusCode;

fn encode(picture: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    picture.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

/// A `width` × `height` picture with a gradient, in `format`.
fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let rgba = RgbaImage::from_fn(width, height, |x, y| image::Rgba([x as u8, y as u8, 90, 255]));
    let picture = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).to_rgb8()),
        _ => DynamicImage::ImageRgba8(rgba),
    };
    encode(&picture, format)
}

async fn owner(app: &TestApp, tenant: &SeededTenant) -> Browser {
    let browser = app.browser();
    browser.login(&tenant.owner_email, PASSWORD).await;
    browser
}

async fn upload(
    browser: &Browser,
    path: &str,
    name: &str,
    kind: &str,
    bytes: &[u8],
) -> reqwest::Response {
    browser.post_file(path, "picture", name, kind, bytes).await
}

/// The served picture: its type, cache header and decoded size.
async fn served(app: &TestApp, path: &str) -> (String, String, (u32, u32), Vec<u8>) {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    let (kind, cache) = (header("content-type"), header("cache-control"));
    let bytes = response.bytes().await.unwrap().to_vec();
    let decoded = image::load_from_memory(&bytes).expect("a picture");
    (kind, cache, (decoded.width(), decoded.height()), bytes)
}

#[tokio::test]
async fn a_logo_is_checked_re_encoded_stored_and_shown_to_clients() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Free).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Block, 60).await;
        app.seed_block(
            tenant.id,
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            9 * 60,
            12 * 60,
            &walk,
            2,
        )
        .await;
        let browser = owner(&app, &tenant).await;
        let path = "/app/paws/settings/logo";
        assert!(
            browser.page("/app/paws/settings").await.contains("enctype=\"multipart/form-data\"")
        );

        // Refused, with the reason at the field, and nothing stored.
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        let mut noise = vec![0u8; 640 * 600 * 3];
        rand::rng().fill_bytes(&mut noise);
        let noisy = encode(
            &DynamicImage::ImageRgb8(RgbImage::from_raw(640, 600, noise).unwrap()),
            ImageFormat::Png,
        );
        assert!(noisy.len() > 1024 * 1024);
        let refusals: [(&str, &str, Vec<u8>, &str); 5] = [
            ("logo.svg", "image/svg+xml", svg.to_vec(), "Upload a PNG, JPEG or WebP picture."),
            ("logo.png", "image/png", svg.to_vec(), "Upload a PNG, JPEG or WebP picture."),
            (
                "notes.txt",
                "text/plain",
                b"just some text".to_vec(),
                "Upload a PNG, JPEG or WebP picture.",
            ),
            ("big.png", "image/png", noisy, "The picture is larger than 1 MB."),
            (
                "wide.png",
                "image/png",
                picture(4001, 2, ImageFormat::Png),
                "The picture is larger than 4000 × 4000 pixels.",
            ),
        ];
        for (name, kind, bytes, message) in refusals {
            let response = upload(&browser, path, name, kind, &bytes).await;
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
            assert!(response.text().await.unwrap().contains(message), "{name}: {message}");
        }
        assert_eq!(app.count("select count(*) from tenant_images").await, 0);
        assert_eq!(app.get("/book/paws/logo").await.status(), StatusCode::NOT_FOUND);
        // Without the CSRF token an upload is refused outright.
        let form = [("picture", "x")];
        assert_eq!(browser.post_form_raw(path, &form).await.status(), StatusCode::FORBIDDEN);

        // A large JPEG is shrunk to fit and re-encoded; bytes hidden after the picture are gone.
        let mut jpeg = picture(2000, 1000, ImageFormat::Jpeg);
        jpeg.extend_from_slice(b"<script>alert(1)</script>");
        let response = upload(&browser, path, "logo.jpg", "image/jpeg", &jpeg).await;
        assert_eq!(location(&response), "/app/paws/settings#logo");
        let (kind, cache, size, bytes) = served(&app, "/book/paws/logo").await;
        assert_eq!((kind.as_str(), size), ("image/jpeg", (512, 256)));
        assert!(cache.starts_with("public, max-age="), "{cache}");
        assert!(!bytes.windows(8).any(|w| w == b"<script>"));

        // WebP with transparency is kept as PNG; every process serves the stored logo.
        let webp = picture(300, 100, ImageFormat::WebP);
        let response = upload(&browser, path, "logo.webp", "image/webp", &webp).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let url = app.config().database.url();
        let other = TestApp::spawn_with(backend, |sources| sources.set("database_url", url)).await;
        let (kind, _, size, bytes) = served(&other, "/book/paws/logo").await;
        assert_eq!((kind.as_str(), size), ("image/png", (300, 100)));
        assert_eq!(bytes, served(&app, "/book/paws/logo").await.3);

        // Shown on the booking page, in the portal and (absolute) in emails.
        let version: i64 =
            sqlx::query_scalar("select logo_version from tenants where slug = 'paws'")
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        let src = format!("src=\"/book/paws/logo?v={version}\"");
        assert!(app.browser().page("/book/paws").await.contains(&src));
        let (_, client) = app.seed_client(&tenant, "Jo Client", "jo@example.com", true).await;
        assert!(client.is_some());
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        assert!(jo.page("/portal/paws").await.contains(&src));
        let page = jo.page("/portal/paws/bookings/new/walk?date=2026-12-02").await;
        let start = page
            .split("name=\"start\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let block = page
            .split("name=\"block_id\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        jo.post_form(
            "/portal/paws/bookings/new/walk/hold",
            &[("start", &start), ("staff_id", ""), ("block_id", &block)],
        )
        .await;
        jo.post_form("/portal/paws/bookings/confirm", &[("notes", "")]).await;
        app.run_pending_jobs().await;
        let mail = app.mail.wait_for_message_to("jo@example.com", Duration::from_secs(10)).await;
        let logo = app.url(&format!("/book/paws/logo?v={version}"));
        assert!(
            mail.html_body().unwrap().contains(&format!("<img src=\"{logo}\"")),
            "{:?}",
            mail.html_body()
        );

        // Removed: gone from the pages and no longer served.
        let response = browser.post_form("/app/paws/settings/logo/delete", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/book/paws/logo").await.status(), StatusCode::NOT_FOUND);
        assert!(!app.browser().page("/book/paws").await.contains("/book/paws/logo"));
        assert_eq!(app.count("select count(*) from tenant_images").await, 0);
    })
    .await;
}

#[tokio::test]
async fn staff_photos_use_the_same_pipeline_and_show_with_the_bio_where_clients_choose() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let tenant = app.seed_tenant("paws", Plan::Pro).await;
        let walk = app.seed_service(tenant.id, "walk", Mode::Slot, 60).await;
        app.seed_hours(tenant.id, None, 9 * 60, 17 * 60).await;
        let sam = app.seed_staff_member(tenant.id, "Sam Walker", &[&walk]).await;
        app.seed_hours(tenant.id, Some(sam), 9 * 60, 17 * 60).await;
        sqlx::query("update staff_members set bio = 'Walks dogs since 2010.' where id = $1")
            .bind(sam.get())
            .execute(app.db().pool())
            .await
            .unwrap();
        let browser = owner(&app, &tenant).await;
        let path = format!("/app/paws/staff/{sam}/photo");

        let response =
            upload(&browser, &path, "me.svg", "image/svg+xml", b"<svg><script/></svg>").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text().await.unwrap().contains("Upload a PNG, JPEG or WebP picture."));
        let response =
            upload(&browser, &path, "me.png", "image/png", &picture(600, 600, ImageFormat::Png))
                .await;
        assert_eq!(location(&response), format!("/app/paws/staff/{sam}"));
        let version: i64 =
            sqlx::query_scalar("select photo_version from staff_members where id = $1")
                .bind(sam.get())
                .fetch_one(app.db().pool())
                .await
                .unwrap();
        let photo = format!("/book/paws/staff/{sam}/photo?v={version}");
        let (kind, _, size, _) = served(&app, &photo).await;
        assert_eq!((kind.as_str(), size), ("image/png", (256, 256)));

        let page = app.browser().page("/book/paws/services/walk").await;
        assert!(
            page.contains(&format!("src=\"{photo}\"")) && page.contains("Walks dogs since 2010."),
            "{page}"
        );
        app.seed_client(&tenant, "Jo Client", "jo@example.com", true).await;
        let jo = app.browser();
        jo.login("jo@example.com", PASSWORD).await;
        let page = jo.page("/portal/paws/bookings/new/walk").await;
        assert!(
            page.contains(&format!("src=\"{photo}\"")) && page.contains("Walks dogs since 2010."),
            "{page}"
        );

        let response = browser.post_form(&format!("/app/paws/staff/{sam}/photo/delete"), &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get(&photo).await.status(), StatusCode::NOT_FOUND);
        assert!(!app.browser().page("/book/paws/services/walk").await.contains("staff-photo"));
    })
    .await;
}

#[tokio::test]
async fn the_invoice_pdf_carries_the_logo_and_the_business_contact_details() {
    matrix(|backend| async move {
        let app = TestApp::spawn(backend).await;
        let t = app.seed_tenant("paws", Plan::Free).await;
        let token = app.api_token(t.id).await;
        let api = |method: reqwest::Method, path: &str, body: serde_json::Value| {
            let request = app.client.request(method, app.url(path)).bearer_auth(&token);
            async move {
                let response = request.json(&body).send().await.unwrap();
                assert!(response.status().is_success(), "{}", response.status());
                response.json::<serde_json::Value>().await.unwrap()
            }
        };
        let contact = serde_json::json!({ "contact_phone": "+44 20 7946 0000",
            "address": "2 Mews Yard, Bath", "contact_email": "hello@paws.example" });
        api(reqwest::Method::PATCH, "/api/v1/paws/settings/branding", contact).await;
        let client = api(
            reqwest::Method::POST,
            "/api/v1/paws/clients",
            serde_json::json!({ "name": "Ann Walker", "email": "ann@example.com" }),
        )
        .await;
        let invoice = api(
            reqwest::Method::POST,
            "/api/v1/paws/invoices",
            serde_json::json!({
            "client_id": client["id"], "due_date": "2026-12-15",
            "lines": [{ "description": "Walk", "unit_price_minor": 1500 }] }),
        )
        .await;
        let path = format!("/api/v1/paws/invoices/{}/pdf", invoice["id"]);
        let download = || async {
            let response = app.client.get(app.url(&path)).bearer_auth(&token).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.bytes().await.unwrap().to_vec()
        };
        let images_of = |bytes: &[u8]| {
            let pdf = lopdf::Document::load_mem(bytes).unwrap();
            pdf.objects
                .values()
                .filter_map(|o| o.as_stream().ok().cloned())
                .filter(|s| s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(b"Image"))
                .collect::<Vec<_>>()
        };
        // Without a logo: no picture, the contact details all the same.
        let bytes = download().await;
        assert!(images_of(&bytes).is_empty());
        let text = crate::invoice_pdf::pdf_text(&bytes);
        for expected in ["2 Mews Yard, Bath", "+44 20 7946 0000", "hello@paws.example"] {
            assert!(text.contains(expected), "{expected} missing from {text}");
        }

        // A transparent PNG logo: embedded once as a JPEG of its size, laid on white.
        let mut rgba = RgbaImage::from_pixel(120, 60, image::Rgba([0, 0, 0, 0]));
        for x in 0..60 {
            for y in 0..60 {
                rgba.put_pixel(x, y, image::Rgba([200, 30, 30, 255]));
            }
        }
        let png = encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png);
        let browser = owner(&app, &t).await;
        let response =
            upload(&browser, "/app/paws/settings/logo", "logo.png", "image/png", &png).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let images = images_of(&download().await);
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].dict.get(b"Filter").unwrap().as_name().unwrap(), b"DCTDecode");
        let jpeg = image::load_from_memory_with_format(&images[0].content, ImageFormat::Jpeg)
            .expect("a real JPEG")
            .to_rgb8();
        assert_eq!(jpeg.dimensions(), (120, 60));
        let [r, g, b] = jpeg.get_pixel(100, 30).0;
        assert!(r > 240 && g > 240 && b > 240, "transparent became white: {r} {g} {b}");
        let [r, _, b] = jpeg.get_pixel(20, 30).0;
        assert!(r > 150 && b < 80, "the red square kept: {r} {b}");
    })
    .await;
}
