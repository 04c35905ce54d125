//! Templates and static files, embedded at build time (see `build.rs`), and the template
//! engine with Portico's filters. Shared by the web server (pages) and the workers (emails).

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

mod filters;

pub use embedded::{STATIC_FILES, TEMPLATES};

use std::sync::{Arc, OnceLock};

/// The process's tera instance, with every template loaded and our filters registered (tera 2
/// wants filters registered before templates are added). HTML templates autoescape; `.txt` do
/// not. The templates are embedded and never change, so the web server and the workers of one
/// process share one instance: the compiled templates are the largest thing on the heap of an
/// idle server (about 4 MB each, measured with massif).
pub fn tera() -> anyhow::Result<Arc<tera::Tera>> {
    static SHARED: OnceLock<Arc<tera::Tera>> = OnceLock::new();
    if let Some(tera) = SHARED.get() {
        return Ok(Arc::clone(tera));
    }
    let mut tera = tera::Tera::new();
    filters::register(&mut tera);
    tera.autoescape_on([".html"]);
    tera.add_raw_templates(TEMPLATES.iter().copied())
        .map_err(|e| anyhow::anyhow!("loading templates: {e:?}"))?;
    Ok(Arc::clone(SHARED.get_or_init(|| Arc::new(tera))))
}

/// The embedded static file at `path` (relative to `static/`).
pub fn static_file(path: &str) -> Option<&'static [u8]> {
    STATIC_FILES.iter().find(|(name, _)| *name == path).map(|(_, bytes)| *bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    #[test]
    fn the_web_server_and_the_workers_of_a_process_share_one_compiled_copy() {
        let first = super::tera().unwrap();
        let second = super::tera().unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(first.get_template_names().count(), super::TEMPLATES.len());
    }
}
