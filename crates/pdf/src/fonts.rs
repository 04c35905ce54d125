//! The two standard PDF fonts the documents use (Helvetica and Helvetica-Bold): every viewer
//! has them, so nothing is embedded. Text is encoded in WinAnsiEncoding; the glyph widths
//! (from Adobe's AFM files, in 1/1000 of the font size) let the layout measure, wrap and
//! right-align text.

/// One of the standard fonts, by its resource name in the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The name under which the page resources list the font.
    pub(crate) fn resource(self) -> &'static str {
        match self {
            Self::Regular => "F1",
            Self::Bold => "F2",
        }
    }

    pub(crate) fn base_font(self) -> &'static str {
        match self {
            Self::Regular => "Helvetica",
            Self::Bold => "Helvetica-Bold",
        }
    }

    /// The width of `text` at `size` points.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let table = match self {
            Self::Regular => &HELVETICA,
            Self::Bold => &HELVETICA_BOLD,
        };
        let units: u32 = encode(text)
            .into_iter()
            .map(|byte| match byte {
                32..=126 => u32::from(table[usize::from(byte - 32)]),
                // Accented Latin letters and symbols: about the width of a digit.
                _ => 556,
            })
            .sum();
        units as f32 * size / 1000.0
    }
}

/// Helvetica's widths of the characters 32 (space) to 126 (`~`).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// Helvetica-Bold's widths of the characters 32 to 126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
    278, // space../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0..?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P.._
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // `..o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p..~
];

/// The WinAnsiEncoding bytes of `text`; a character the encoding lacks becomes `?`, and
/// control characters (which no printed field should hold) a space.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

fn win_ansi(c: char) -> u8 {
    let code = u32::from(c);
    match code {
        0x20..=0x7e => code as u8,
        // Latin-1's printable upper half is the same in WinAnsi.
        0xa0..=0xff => code as u8,
        _ if c.is_control() => b' ',
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => 0x85,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8a,
            '‹' => 0x8b,
            'Œ' => 0x8c,
            'Ž' => 0x8e,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9a,
            '›' => 0x9b,
            'œ' => 0x9c,
            'ž' => 0x9e,
            'Ÿ' => 0x9f,
            _ => b'?',
        },
    }
}

/// `text` as a PDF literal string: `(` … `)` with `(`, `)` and `\` escaped and every byte
/// outside printable ASCII written in octal, so the file stays 7-bit.
pub(crate) fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('(');
    for byte in encode(text) {
        match byte {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(char::from(byte));
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    out.push(')');
    out
}

/// Splits `text` into lines no wider than `width` points, breaking at spaces (a word longer
/// than a line is cut). Existing line breaks are kept; an empty text is no lines.
pub fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate =
                if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if font.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // A word wider than the line is cut into pieces that fit.
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if font.width(&piece, size) > width && piece.chars().count() > 1 {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_come_from_the_afm_tables() {
        // "Total": T 611 + o 556 + t 278 + a 556 + l 222 = 2223 at 10 pt.
        assert!((Font::Regular.width("Total", 10.0) - 22.23).abs() < 0.001);
        // Bold is wider: T 611 + o 611 + t 333 + a 556 + l 278 = 2389.
        assert!((Font::Bold.width("Total", 10.0) - 23.89).abs() < 0.001);
    }

    #[test]
    fn text_is_encoded_in_win_ansi_and_escaped() {
        assert_eq!(encode("Café €5 – ok"), b"Caf\xe9 \x805 \x96 ok");
        assert_eq!(encode("日本\u{7}"), b"?? ");
        assert_eq!(literal("a(b)\\c é"), "(a\\(b\\)\\\\c \\351)");
    }

    #[test]
    fn long_text_wraps_at_spaces_and_cuts_long_words() {
        let lines = wrap("one two three four", Font::Regular, 10.0, 40.0);
        assert_eq!(lines, ["one two", "three", "four"]);
        for line in wrap(&"x".repeat(50), Font::Regular, 10.0, 40.0) {
            assert!(Font::Regular.width(&line, 10.0) <= 40.0, "{line}");
        }
        assert_eq!(wrap("a\n\nb\n", Font::Regular, 10.0, 100.0), ["a", "", "b"]);
        assert!(wrap("", Font::Regular, 10.0, 100.0).is_empty());
    }
}
