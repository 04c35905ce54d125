//! Templates and static files, embedded at build time (see `build.rs`), and the template
//! engine with Portico's filters. Shared by the web server (pages) and the workers (emails).

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

mod filters;

pub use embedded::{STATIC_FILES, TEMPLATES};

/// A tera instance with every template loaded and our filters registered (tera 2 wants
/// filters registered before templates are added). HTML templates autoescape; `.txt` do not.
pub fn tera() -> anyhow::Result<tera::Tera> {
    let mut tera = tera::Tera::new();
    filters::register(&mut tera);
    tera.autoescape_on([".html"]);
    tera.add_raw_templates(TEMPLATES.iter().copied())
        .map_err(|e| anyhow::anyhow!("loading templates: {e:?}"))?;
    Ok(tera)
}

/// The embedded static file at `path` (relative to `static/`).
pub fn static_file(path: &str) -> Option<&'static [u8]> {
    STATIC_FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| *bytes)
}
