//! Printable documents as PDF, rendered in Rust with no dependency: a pure function from a view
//! struct to the file's bytes ([`invoice::render`]).
//!
//! Why hand-written: an invoice needs text, lines and shaded boxes in a standard font, which
//! PDF 1.4 expresses in a few hundred bytes of operators. `printpdf` 0.12 would add a large
//! dependency tree to a 2-core build for the same result. The writer uses the standard
//! Helvetica fonts (no embedding; every viewer has them) in WinAnsiEncoding, so Latin-1 text
//! and `€` print; other characters print as `?`.

pub mod fonts;
pub mod invoice;
mod writer;

pub use invoice::{InvoiceDocument, InvoiceLine, Party, Table, Total, render};
pub use writer::Image;
