//! A minimal PDF 1.4 writer: pages of drawing operations (text in the standard fonts, filled
//! rectangles, lines) serialized with a correct cross-reference table. Content streams are
//! left uncompressed: invoices are small, and the file stays inspectable.

use std::fmt::Write as _;

use crate::fonts::{Font, literal};

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// A picture to place on pages (the business's logo): a baseline JPEG in RGB, embedded as is
/// (`DCTDecode`), so no image code is needed here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The drawing operations of one page. Coordinates are in points from the bottom left.
#[derive(Debug, Default, Clone)]
pub struct Page {
    ops: String,
}

/// A number as PDF writes it: at most two decimals, no exponent.
fn n(value: f32) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

impl Page {
    /// `text` with its baseline starting at (`x`, `y`), in gray level `gray` (0 black, 1 white).
    pub fn text(&mut self, x: f32, y: f32, font: Font, size: f32, gray: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        let _ = writeln!(
            self.ops,
            "BT /{} {} Tf {} g {} {} Td {} Tj ET",
            font.resource(),
            n(size),
            n(gray),
            n(x),
            n(y),
            literal(text)
        );
    }

    /// `text` ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, font: Font, size: f32, gray: f32, text: &str) {
        self.text(right - font.width(text, size), y, font, size, gray, text);
    }

    /// `text` in large light letters across the page, at 45 degrees, under what follows.
    pub fn watermark(&mut self, text: &str) {
        let (size, gray) = (130.0, 0.9);
        let (sin, cos) = 45_f32.to_radians().sin_cos();
        let _ = writeln!(
            self.ops,
            "BT /{} {} Tf {} g {} {} {} {} 150 250 Tm {} Tj ET",
            Font::Bold.resource(),
            n(size),
            n(gray),
            n(cos),
            n(sin),
            n(-sin),
            n(cos),
            literal(text)
        );
    }

    /// The document's image, scaled to `width` × `height` points, bottom left at (`x`, `y`).
    pub fn image(&mut self, x: f32, y: f32, width: f32, height: f32) {
        let _ =
            writeln!(self.ops, "q {} 0 0 {} {} {} cm /Im1 Do Q", n(width), n(height), n(x), n(y));
    }

    /// A filled rectangle with its bottom left corner at (`x`, `y`).
    pub fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, gray: f32) {
        let _ =
            writeln!(self.ops, "{} g {} {} {} {} re f", n(gray), n(x), n(y), n(width), n(height));
    }

    /// A straight line.
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, gray: f32) {
        let _ = writeln!(
            self.ops,
            "{} G {} w {} {} m {} {} l S",
            n(gray),
            n(width),
            n(from.0),
            n(from.1),
            n(to.0),
            n(to.1)
        );
    }
}

/// A document-information string: UTF-16BE with its byte-order mark, in hex. (Page text is
/// WinAnsi, but the information dictionary is read as PDFDocEncoding or UTF-16.)
fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// The whole file: a catalog, the page tree, the two fonts, the document information, the
/// image if any, and each page with its content stream.
pub fn write(pages: &[Page], title: &str, image: Option<&Image>) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = Vec::new();
    // 1 catalog, 2 page tree, 3 and 4 fonts, 5 information, [6 image]; then page and content
    // pairs.
    let first_page = if image.is_some() { 7 } else { 6 };
    let kids: Vec<String> =
        (0..pages.len()).map(|i| format!("{} 0 R", first_page + 2 * i)).collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let tree = format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len());
    objects.push(tree.into_bytes());
    for font in [Font::Regular, Font::Bold] {
        let font = format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
            font.base_font()
        );
        objects.push(font.into_bytes());
    }
    objects.push(format!("<< /Title {} /Producer (Portico) >>", text_string(title)).into_bytes());
    let mut xobjects = String::new();
    if let Some(image) = image {
        let mut object = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB \
             /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
            image.width,
            image.height,
            image.jpeg.len()
        )
        .into_bytes();
        object.extend_from_slice(&image.jpeg);
        object.extend_from_slice(b"\nendstream");
        objects.push(object);
        xobjects = " /XObject << /Im1 6 0 R >>".to_owned();
    }
    for (i, page) in pages.iter().enumerate() {
        let content = first_page + 2 * i + 1;
        let page_object = format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
             /Resources << /Font << /F1 3 0 R /F2 4 0 R >>{xobjects} >> /Contents {content} 0 R >>",
            n(PAGE_WIDTH),
            n(PAGE_HEIGHT)
        );
        objects.push(page_object.into_bytes());
        let stream = format!("<< /Length {} >>\nstream\n{}endstream", page.ops.len(), page.ops);
        objects.push(stream.into_bytes());
    }

    // The binary comment marks the file as binary for transfer tools, as the spec advises.
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(object);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        // Every entry is exactly 20 bytes: the space before the newline is part of it.
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn information_strings_are_utf16() {
        assert_eq!(text_string("A—é"), "<FEFF0041201400E9>");
    }

    #[test]
    fn numbers_are_short_and_plain() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.5), "12.5");
        assert_eq!(n(0.333), "0.33");
        assert_eq!(n(-0.001), "0");
    }

    #[test]
    fn the_cross_reference_table_points_at_every_object() {
        let mut page = Page::default();
        page.text(10.0, 10.0, Font::Bold, 12.0, 0.0, "Hello (world)");
        let bytes = write(&[page.clone(), page], "Test", None);
        let find = |needle: &[u8]| bytes.windows(needle.len()).rposition(|w| w == needle).unwrap();
        let after = find(b"startxref\n") + b"startxref\n".len();
        let digits: Vec<u8> =
            bytes[after..].iter().copied().take_while(u8::is_ascii_digit).collect();
        let start: usize = String::from_utf8(digits).unwrap().parse().unwrap();
        assert!(bytes[start..].starts_with(b"xref\n0 10\n"));
        let table = String::from_utf8(bytes[start..].to_vec()).unwrap();
        for (i, entry) in table.lines().skip(3).take(9).enumerate() {
            let offset: usize = entry[..10].parse().unwrap();
            let label = format!("{} 0 obj", i + 1);
            assert!(bytes[offset..].starts_with(label.as_bytes()), "object {}", i + 1);
        }
        let doc = lopdf::Document::load_mem(&bytes).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
        assert!(doc.extract_text(&[1]).unwrap().contains("Hello (world)"));
    }
}
