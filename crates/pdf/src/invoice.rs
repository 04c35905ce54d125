//! The invoice document: a view of one invoice, already in words and formatted amounts, laid
//! out on A4 pages. Long line lists continue on further pages with the table heading repeated;
//! every page has a footer with the invoice number and "Page i of n"; a draft carries a large
//! DRAFT mark behind its content.

use crate::fonts::{Font, wrap};
use crate::writer::{Image, PAGE_HEIGHT, PAGE_WIDTH, Page, write};

/// A business or a person with the lines under their name (email, phone, address…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub details: Vec<String>,
}

/// One invoice line, formatted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    /// The tax rate ("20%"), or empty.
    pub tax: String,
    /// Quantity × unit price, before tax.
    pub amount: String,
}

/// One row of the totals block (`strong` rows are bold, e.g. the total and the balance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    pub label: String,
    pub amount: String,
    pub strong: bool,
}

/// A further table after the totals (a payment history, an installment schedule): its title,
/// its column headings and rows of as many cells. The first column takes the remaining width
/// and is left-aligned; the others are right-aligned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub title: String,
    pub headings: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything the invoice shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// The issued number; a draft has none.
    pub number: Option<String>,
    /// The status in words ("Open", "Overdue", "Paid", "Void", "Draft").
    pub status: String,
    pub seller: Party,
    pub bill_to: Party,
    /// Label and value pairs beside the client ("Issued", "Due", …).
    pub facts: Vec<(String, String)>,
    /// The currency code, shown in the amount headings.
    pub currency: String,
    pub lines: Vec<InvoiceLine>,
    pub totals: Vec<Total>,
    pub tables: Vec<Table>,
    /// Titled paragraphs at the end ("Notes", "Void").
    pub remarks: Vec<(String, String)>,
    /// The business's logo, above its name.
    pub logo: Option<Image>,
}

impl InvoiceDocument {
    fn is_draft(&self) -> bool {
        self.number.is_none()
    }

    fn label(&self) -> String {
        self.number.clone().unwrap_or_else(|| "Draft".to_owned())
    }
}

const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - 50.0;
const TOP: f32 = PAGE_HEIGHT - 50.0;
/// Content stops here; the footer sits below.
const BOTTOM: f32 = 70.0;
const INK: f32 = 0.1;
const MUTED: f32 = 0.42;
const RULE: f32 = 0.82;
const SHADE: f32 = 0.94;
/// Line height of body text.
const LEADING: f32 = 12.5;

/// The lines table's columns: where each ends (right edge) and its heading.
struct Columns {
    description_width: f32,
    quantity: f32,
    unit_price: f32,
    tax: f32,
    amount: f32,
}

const COLUMNS: Columns = Columns {
    description_width: 225.0,
    quantity: LEFT + 275.0,
    unit_price: LEFT + 355.0,
    tax: LEFT + 410.0,
    amount: RIGHT,
};

/// Lays pages out top to bottom, starting a new page when the next piece does not fit.
struct Layout {
    pages: Vec<Page>,
    y: f32,
    draft: bool,
}

impl Layout {
    fn new(draft: bool) -> Self {
        let mut layout = Self { pages: Vec::new(), y: TOP, draft };
        layout.new_page();
        layout
    }

    fn new_page(&mut self) {
        let mut page = Page::default();
        if self.draft {
            // Drawn first, so everything else is printed over it.
            page.watermark("DRAFT");
        }
        self.pages.push(page);
        self.y = TOP;
    }

    fn page(&mut self) -> &mut Page {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Makes room for `height` points, on a new page if needed; true if a page was started.
    fn room(&mut self, height: f32) -> bool {
        if self.y - height < BOTTOM {
            self.new_page();
            return true;
        }
        false
    }
}

/// The invoice as a PDF file.
pub fn render(doc: &InvoiceDocument) -> Vec<u8> {
    let mut layout = Layout::new(doc.is_draft());
    header(&mut layout, doc);
    parties(&mut layout, doc);
    lines(&mut layout, doc);
    totals(&mut layout, doc);
    for table in &doc.tables {
        extra_table(&mut layout, table);
    }
    for (title, text) in &doc.remarks {
        remark(&mut layout, title, text);
    }
    let count = layout.pages.len();
    let footer_left = format!("{} · {}", doc.seller.name, doc.label());
    for (i, page) in layout.pages.iter_mut().enumerate() {
        page.line((LEFT, 50.0), (RIGHT, 50.0), 0.5, RULE);
        page.text(LEFT, 36.0, Font::Regular, 8.0, MUTED, &footer_left);
        let numbering = format!("Page {} of {count}", i + 1);
        page.text_right(RIGHT, 36.0, Font::Regular, 8.0, MUTED, &numbering);
    }
    let title = format!("Invoice {} — {}", doc.label(), doc.seller.name);
    write(&layout.pages, &title, doc.logo.as_ref())
}

/// The business on the left; the word INVOICE, the number and the status on the right.
fn header(layout: &mut Layout, doc: &InvoiceDocument) {
    let top = layout.y;
    let page = layout.page();
    let mut left_y = top - 16.0;
    if let Some(logo) = &doc.logo {
        // At most 160 × 48 points, keeping its proportions.
        let (w, h) = (logo.width.max(1) as f32, logo.height.max(1) as f32);
        let scale = (160.0 / w).min(48.0 / h);
        page.image(LEFT, top - h * scale, w * scale, h * scale);
        left_y -= h * scale + 8.0;
    }
    for (i, line) in wrap(&doc.seller.name, Font::Bold, 16.0, 280.0).iter().enumerate() {
        page.text(LEFT, left_y - i as f32 * 19.0, Font::Bold, 16.0, INK, line);
    }
    left_y -= 19.0 * wrap(&doc.seller.name, Font::Bold, 16.0, 280.0).len().max(1) as f32 - 4.0;
    for detail in &doc.seller.details {
        for line in wrap(detail, Font::Regular, 9.0, 280.0) {
            page.text(LEFT, left_y, Font::Regular, 9.0, MUTED, &line);
            left_y -= 11.5;
        }
    }
    let word = if doc.is_draft() { "DRAFT INVOICE" } else { "INVOICE" };
    page.text_right(RIGHT, top - 18.0, Font::Bold, 20.0, INK, word);
    let number = doc.number.as_deref().unwrap_or("Not issued yet");
    page.text_right(RIGHT, top - 36.0, Font::Bold, 11.0, INK, number);
    let status = doc.status.to_uppercase();
    // The status as a small shaded badge.
    let width = Font::Bold.width(&status, 8.0) + 12.0;
    page.rect(RIGHT - width, top - 56.0, width, 14.0, SHADE);
    page.text_right(RIGHT - 6.0, top - 52.0, Font::Bold, 8.0, INK, &status);
    layout.y = left_y.min(top - 56.0) - 18.0;
    let y = layout.y;
    layout.page().line((LEFT, y), (RIGHT, y), 0.75, RULE);
    layout.y -= 22.0;
}

/// "Bill to" and the client on the left; the facts (dates, status) on the right.
fn parties(layout: &mut Layout, doc: &InvoiceDocument) {
    let top = layout.y;
    let page = layout.page();
    page.text(LEFT, top, Font::Bold, 8.0, MUTED, "BILL TO");
    let mut left_y = top - 16.0;
    for line in wrap(&doc.bill_to.name, Font::Bold, 11.0, 260.0) {
        page.text(LEFT, left_y, Font::Bold, 11.0, INK, &line);
        left_y -= 14.0;
    }
    for detail in &doc.bill_to.details {
        for line in wrap(detail, Font::Regular, 9.5, 260.0) {
            page.text(LEFT, left_y, Font::Regular, 9.5, INK, &line);
            left_y -= LEADING;
        }
    }
    let mut right_y = top;
    for (label, value) in &doc.facts {
        page.text(RIGHT - 190.0, right_y, Font::Regular, 9.5, MUTED, label);
        page.text_right(RIGHT, right_y, Font::Bold, 9.5, INK, value);
        right_y -= 15.0;
    }
    layout.y = left_y.min(right_y) - 18.0;
}

/// The table heading of the lines, shaded.
fn lines_heading(layout: &mut Layout, currency: &str) {
    let y = layout.y;
    let page = layout.page();
    page.rect(LEFT, y - 6.0, RIGHT - LEFT, 20.0, SHADE);
    let base = y + 1.0;
    page.text(LEFT + 6.0, base, Font::Bold, 8.5, INK, "Description");
    page.text_right(COLUMNS.quantity, base, Font::Bold, 8.5, INK, "Qty");
    page.text_right(COLUMNS.unit_price, base, Font::Bold, 8.5, INK, &format!("Price ({currency})"));
    page.text_right(COLUMNS.tax, base, Font::Bold, 8.5, INK, "Tax");
    page.text_right(
        COLUMNS.amount - 6.0,
        base,
        Font::Bold,
        8.5,
        INK,
        &format!("Amount ({currency})"),
    );
    layout.y -= 24.0;
}

fn lines(layout: &mut Layout, doc: &InvoiceDocument) {
    layout.room(60.0);
    lines_heading(layout, &doc.currency);
    if doc.lines.is_empty() {
        let y = layout.y;
        layout.page().text(LEFT + 6.0, y, Font::Regular, 9.5, MUTED, "No lines yet.");
        layout.y -= 20.0;
    }
    for line in &doc.lines {
        let text = wrap(&line.description, Font::Regular, 9.5, COLUMNS.description_width);
        let height = text.len().max(1) as f32 * LEADING + 8.0;
        if layout.room(height) {
            lines_heading(layout, &doc.currency);
        }
        let y = layout.y;
        let page = layout.page();
        for (i, part) in text.iter().enumerate() {
            page.text(LEFT + 6.0, y - i as f32 * LEADING, Font::Regular, 9.5, INK, part);
        }
        page.text_right(COLUMNS.quantity, y, Font::Regular, 9.5, INK, &line.quantity);
        page.text_right(COLUMNS.unit_price, y, Font::Regular, 9.5, INK, &line.unit_price);
        page.text_right(COLUMNS.tax, y, Font::Regular, 9.5, INK, &line.tax);
        page.text_right(COLUMNS.amount - 6.0, y, Font::Regular, 9.5, INK, &line.amount);
        let rule = y - height + LEADING - 2.0;
        page.line((LEFT, rule), (RIGHT, rule), 0.5, RULE);
        layout.y -= height;
    }
    layout.y -= 8.0;
}

/// The totals, right-aligned under the amounts; a rule above each strong row.
fn totals(layout: &mut Layout, doc: &InvoiceDocument) {
    layout.room(doc.totals.len() as f32 * 18.0 + 10.0);
    for total in &doc.totals {
        let (font, size) = if total.strong { (Font::Bold, 10.5) } else { (Font::Regular, 9.5) };
        let y = layout.y;
        let page = layout.page();
        if total.strong {
            page.line((RIGHT - 230.0, y + 13.0), (RIGHT, y + 13.0), 0.75, RULE);
        }
        page.text(RIGHT - 224.0, y, font, size, INK, &total.label);
        page.text_right(RIGHT - 6.0, y, font, size, INK, &total.amount);
        layout.y -= if total.strong { 20.0 } else { 16.0 };
    }
    layout.y -= 14.0;
}

fn extra_table(layout: &mut Layout, table: &Table) {
    let columns = table.headings.len().max(1);
    // The right-aligned columns are 95 points each; the first takes the rest.
    let numeric = 95.0;
    let first = (RIGHT - LEFT) - numeric * (columns - 1) as f32 - 12.0;
    let heading = |layout: &mut Layout| {
        let y = layout.y;
        let page = layout.page();
        page.text(LEFT, y, Font::Bold, 11.0, INK, &table.title);
        page.rect(LEFT, y - 26.0, RIGHT - LEFT, 20.0, SHADE);
        for (i, text) in table.headings.iter().enumerate() {
            if i == 0 {
                page.text(LEFT + 6.0, y - 19.0, Font::Bold, 8.5, INK, text);
            } else {
                let right = RIGHT - 6.0 - numeric * (columns - 1 - i) as f32;
                page.text_right(right, y - 19.0, Font::Bold, 8.5, INK, text);
            }
        }
        layout.y -= 44.0;
    };
    layout.room(80.0);
    heading(layout);
    for row in &table.rows {
        let text = wrap(row.first().map_or("", String::as_str), Font::Regular, 9.5, first);
        let height = text.len().max(1) as f32 * LEADING + 8.0;
        if layout.room(height) {
            heading(layout);
        }
        let y = layout.y;
        let page = layout.page();
        for (i, part) in text.iter().enumerate() {
            page.text(LEFT + 6.0, y - i as f32 * LEADING, Font::Regular, 9.5, INK, part);
        }
        for (i, cell) in row.iter().enumerate().skip(1).take(columns - 1) {
            let right = RIGHT - 6.0 - numeric * (columns - 1 - i) as f32;
            page.text_right(right, y, Font::Regular, 9.5, INK, cell);
        }
        let rule = y - height + LEADING - 2.0;
        page.line((LEFT, rule), (RIGHT, rule), 0.5, RULE);
        layout.y -= height;
    }
    layout.y -= 18.0;
}

fn remark(layout: &mut Layout, title: &str, text: &str) {
    let lines = wrap(text, Font::Regular, 9.5, RIGHT - LEFT);
    if lines.is_empty() {
        return;
    }
    layout.room(30.0);
    let y = layout.y;
    layout.page().text(LEFT, y, Font::Bold, 8.0, MUTED, &title.to_uppercase());
    layout.y -= 15.0;
    for line in lines {
        layout.room(LEADING);
        let y = layout.y;
        layout.page().text(LEFT, y, Font::Regular, 9.5, INK, &line);
        layout.y -= LEADING;
    }
    layout.y -= 12.0;
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(lines: usize, number: Option<&str>) -> InvoiceDocument {
        InvoiceDocument {
            number: number.map(str::to_owned),
            status: if number.is_some() { "Open" } else { "Draft" }.to_owned(),
            seller: Party {
                name: "Happy Paws Dog Walking".into(),
                details: vec!["owner@paws.example".into()],
            },
            bill_to: Party {
                name: "Zoë O'Brien".into(),
                details: vec!["zoe@example.com".into(), "1 Park Lane, London".into()],
            },
            facts: vec![
                ("Issued".into(), "2026-12-01".into()),
                ("Due".into(), "2026-12-15".into()),
            ],
            currency: "EUR".into(),
            lines: (1..=lines)
                .map(|i| InvoiceLine {
                    description: format!(
                        "Walk number {i} around the park, with treats and a towel afterwards"
                    ),
                    quantity: "1".into(),
                    unit_price: "25.00".into(),
                    tax: "20%".into(),
                    amount: "25.00".into(),
                })
                .collect(),
            totals: vec![
                Total { label: "Subtotal".into(), amount: "EUR 25.00".into(), strong: false },
                Total { label: "Total".into(), amount: "EUR 30.00".into(), strong: true },
            ],
            tables: vec![Table {
                title: "Payments".into(),
                headings: vec!["Date".into(), "Amount".into()],
                rows: vec![vec!["2026-12-02 bank transfer".into(), "EUR 10.00".into()]],
            }],
            remarks: vec![("Notes".into(), "Thank you — see you soon.".into())],
            logo: None,
        }
    }

    fn text_of(bytes: &[u8]) -> (usize, String) {
        let doc = lopdf::Document::load_mem(bytes).unwrap();
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        (pages.len(), doc.extract_text(&pages).unwrap())
    }

    #[test]
    fn an_invoice_reads_back_as_text() {
        let (pages, text) = text_of(&render(&sample(2, Some("INV-0007"))));
        assert_eq!(pages, 1);
        for expected in [
            "Happy Paws Dog Walking",
            "INV-0007",
            "Zoë O'Brien",
            "1 Park Lane, London",
            "Walk number 2",
            "EUR 30.00",
            "Payments",
            "2026-12-02 bank transfer",
            "Thank you — see you soon.",
            "Page 1 of 1",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {text}");
        }
        assert!(!text.contains("DRAFT"));
    }

    #[test]
    fn the_logo_is_embedded_once_and_drawn_on_the_first_page() {
        let mut doc = sample(60, Some("INV-0008"));
        // The bytes are passed through untouched (DCTDecode); they need not decode here.
        let jpeg = b"\xff\xd8\xff\xe0 not really a picture \xff\xd9".to_vec();
        doc.logo = Some(Image { jpeg: jpeg.clone(), width: 200, height: 100 });
        let bytes = render(&doc);
        let pdf = lopdf::Document::load_mem(&bytes).unwrap();
        let images: Vec<_> = pdf
            .objects
            .values()
            .filter_map(|o| o.as_stream().ok())
            .filter(|s| s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(b"Image"))
            .collect();
        assert_eq!(images.len(), 1, "one image object however many pages");
        assert_eq!(images[0].content, jpeg);
        assert_eq!(images[0].dict.get(b"Width").unwrap().as_i64().unwrap(), 200);
        let first = *pdf.get_pages().values().next().unwrap();
        let content = String::from_utf8_lossy(&pdf.get_page_content(first)).into_owned();
        // 96 × 48 points (the height is the limit) at the left margin.
        assert!(content.contains("q 96 0 0 48 "), "{content}");
        assert!(content.contains("/Im1 Do"));
        let (_, text) = text_of(&bytes);
        assert!(text.contains("Happy Paws Dog Walking") && text.contains("INV-0008"));
    }

    #[test]
    fn many_lines_continue_on_more_pages_and_drafts_are_marked() {
        let (pages, text) = text_of(&render(&sample(60, None)));
        assert!(pages >= 3, "{pages} pages");
        assert!(text.contains(&format!("Page {pages} of {pages}")));
        assert!(text.contains("Walk number 60"));
        assert!(text.contains("DRAFT"));
        // The table heading is repeated on every page of lines.
        assert!(text.matches("Description").count() >= 2);
    }
}
