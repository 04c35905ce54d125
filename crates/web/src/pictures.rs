//! The one upload pipeline for pictures (the business's logo, staff photos): read the posted
//! file with a size limit, accept only PNG, JPEG and WebP (by their bytes, not the name or the
//! claimed type), check the dimensions before decoding, decode, shrink to fit, and re-encode
//! (dropping metadata and anything else the file carried), then store it in the database; and
//! the route that serves a stored picture.

use std::io::Cursor;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use portico_domain::TenantId;
use portico_store::images::{self, Picture};

use crate::{AppState, Error};

/// The largest file accepted.
pub const MAX_BYTES: usize = 1024 * 1024;
/// The largest width or height accepted (checked before decoding).
pub const MAX_SIDE: u32 = 4000;
/// The form field of the file.
pub const FIELD: &str = "picture";

/// A picture ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub content_type: &'static str,
    pub data: Vec<u8>,
}

/// Checks and re-encodes an uploaded file, shrunk to fit `fit` × `fit` pixels: a JPEG stays
/// a JPEG, anything else becomes a PNG (keeping transparency). The error is for the person.
pub fn prepare(bytes: &[u8], fit: u32) -> Result<Prepared, &'static str> {
    const NOT_AN_IMAGE: &str = "Upload a PNG, JPEG or WebP picture.";
    if bytes.is_empty() {
        return Err("Choose a picture to upload.");
    }
    if bytes.len() > MAX_BYTES {
        return Err("The picture is larger than 1 MB.");
    }
    let format = image::guess_format(bytes).map_err(|_| NOT_AN_IMAGE)?;
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP) {
        return Err(NOT_AN_IMAGE);
    }
    let reader = || ImageReader::with_format(Cursor::new(bytes), format);
    let (width, height) = reader().into_dimensions().map_err(|_| NOT_AN_IMAGE)?;
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err("The picture is larger than 4000 × 4000 pixels.");
    }
    let mut reader = reader();
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let mut picture = reader.decode().map_err(|_| NOT_AN_IMAGE)?;
    if width > fit || height > fit {
        picture = picture.resize(fit, fit, FilterType::Triangle);
    }
    encode(&picture, format == ImageFormat::Jpeg).map_err(|_| NOT_AN_IMAGE)
}

fn encode(picture: &DynamicImage, jpeg: bool) -> image::ImageResult<Prepared> {
    let mut data = Vec::new();
    if jpeg {
        let rgb = DynamicImage::ImageRgb8(picture.to_rgb8());
        rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut data, 85))?;
        return Ok(Prepared { content_type: "image/jpeg", data });
    }
    picture.write_to(&mut Cursor::new(&mut data), ImageFormat::Png)?;
    Ok(Prepared { content_type: "image/png", data })
}

/// The file posted in [`FIELD`] of a multipart form, read up to one byte past the limit (so
/// an oversized one is refused without reading it all).
async fn read_file(mut form: Multipart) -> Result<Vec<u8>, Error> {
    let unreadable =
        |_| Error::BadRequest { code: "bad_body", message: "The form could not be read.".into() };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some(FIELD) {
            continue;
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_BYTES {
                break;
            }
        }
        return Ok(bytes);
    }
    Ok(Vec::new())
}

/// Reads, checks, re-encodes and stores the uploaded picture; `Ok(Err(message))` when the
/// file is refused (nothing is stored then); not found for another tenant's staff member.
/// Handlers take the form as the last thing they read (`Result`, so that what the path
/// names is looked up — and another tenant's is not found — before a malformed body counts).
pub async fn upload(
    state: &AppState,
    tenant: TenantId,
    picture: Picture,
    form: Result<Multipart, MultipartRejection>,
    fit: u32,
) -> Result<Result<(), &'static str>, Error> {
    let form = form.map_err(|rejection| Error::BadRequest {
        code: "bad_body",
        message: format!("Send the picture as a file upload ({rejection})."),
    })?;
    let bytes = read_file(form).await?;
    let prepared = match prepare(&bytes, fit) {
        Ok(prepared) => prepared,
        Err(message) => return Ok(Err(message)),
    };
    let now = state.clock.now_ts();
    let stored =
        images::put(&state.db, tenant, picture, prepared.content_type, &prepared.data, now).await?;
    if !stored {
        return Err(Error::NotFound);
    }
    Ok(Ok(()))
}

/// A stored picture with its type; links carry `?v=` its time, so caches may keep it a day.
pub async fn serve(
    state: &AppState,
    tenant: TenantId,
    picture: Picture,
) -> Result<Response, Error> {
    let image = images::get(&state.db, tenant, picture).await?.ok_or(Error::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, image.content_type),
            (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
            (header::ETAG, format!("\"{}\"", image.updated_at)),
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'".to_owned()),
        ],
        image.data,
    )
        .into_response())
}

/// The path of the business's logo, if it has one (`?v=` changes with each upload).
/// The tenant's logo for a printed document: decoded, laid on white (a PDF `DCTDecode` image
/// has no transparency) and encoded as a baseline JPEG. `None` without a logo, or if the
/// stored one cannot be read (the document prints without it rather than failing).
pub async fn logo_for_pdf(
    state: &AppState,
    tenant: TenantId,
) -> Result<Option<portico_pdf::Image>, Error> {
    let Some(stored) = images::get(&state.db, tenant, Picture::Logo).await? else {
        return Ok(None);
    };
    let Ok(decoded) = image::load_from_memory(&stored.data) else {
        tracing::warn!(tenant = %tenant, "the stored logo could not be decoded");
        return Ok(None);
    };
    let rgba = decoded.to_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = image::RgbImage::new(width, height);
    for (x, y, pixel) in rgba.enumerate_pixels() {
        let [r, g, b, a] = pixel.0;
        let over_white = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            ((c * a + 255 * (255 - a)) / 255) as u8
        };
        rgb.put_pixel(x, y, image::Rgb([over_white(r), over_white(g), over_white(b)]));
    }
    let mut jpeg = Vec::new();
    if JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&rgb).is_err() {
        return Ok(None);
    }
    Ok(Some(portico_pdf::Image { jpeg, width, height }))
}

pub fn logo_path(slug: &str, version: Option<i64>) -> Option<String> {
    version.map(|v| format!("/book/{slug}/logo?v={v}"))
}

/// The path of a staff member's photo, if they have one.
pub fn staff_photo_path(slug: &str, staff: i64, version: Option<i64>) -> Option<String> {
    version.map(|v| format!("/book/{slug}/staff/{staff}/photo?v={v}"))
}
