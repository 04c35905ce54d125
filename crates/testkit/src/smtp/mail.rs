//! Reading a received message like a person would: subject, bodies, headers, links.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders as _};

use super::ReceivedMail;

impl ReceivedMail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default()
            .parse(self.raw.as_bytes())
            .unwrap_or_else(|| panic!("the received mail is not a message:\n{}", self.raw))
    }

    pub(super) fn subject_or_empty(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The decoded Subject. Panics if there is none.
    pub fn subject(&self) -> String {
        let parsed = self.parsed();
        let subject = parsed.subject();
        subject.unwrap_or_else(|| panic!("no Subject in:\n{}", self.raw)).to_owned()
    }

    /// The first `text/plain` body, decoded (quoted-printable, base64, charset). Panics if the
    /// message has none.
    pub fn text_body(&self) -> String {
        let parsed = self.parsed();
        let text = parsed.text_bodies().find(|part| !part.is_text_html());
        let text = text.and_then(|part| part.text_contents());
        text.unwrap_or_else(|| panic!("no text/plain body in:\n{}", self.raw)).to_owned()
    }

    /// The first `text/html` body, decoded, if the message has one.
    pub fn html_body(&self) -> Option<String> {
        let parsed = self.parsed();
        let html = parsed.html_bodies().find(|part| part.is_text_html());
        html.and_then(|part| part.text_contents()).map(str::to_owned)
    }

    /// The decoded value of the top-level header `name` (any case): encoded words decoded,
    /// addresses as `Name <address>` separated by `, `, message ids without angle brackets,
    /// dates in RFC 822 form; other headers unfolded as written.
    pub fn header(&self, name: &str) -> Option<String> {
        let parsed = self.parsed();
        let value = match parsed.header(name)? {
            HeaderValue::Text(text) => text.to_string(),
            HeaderValue::TextList(list) => list.join(", "),
            HeaderValue::DateTime(date) => date.to_rfc822(),
            HeaderValue::Address(address) => address
                .iter()
                .map(|addr| match (&addr.name, &addr.address) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (None, Some(address)) => address.to_string(),
                    (Some(name), None) => name.to_string(),
                    (None, None) => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            _ => {
                let raw = parsed.header_raw(name)?;
                raw.split(['\r', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        };
        Some(value)
    }

    /// The attachment named `filename`: its `Content-Type` (type/subtype and parameters, as
    /// written) and decoded content. `None` if the message has no such attachment.
    pub fn attachment(&self, filename: &str) -> Option<(String, Vec<u8>)> {
        let parsed = self.parsed();
        let part = parsed.attachments().find(|part| part.attachment_name() == Some(filename))?;
        let content_type = part.content_type().map(|ct| {
            let mut text = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default());
            for attribute in ct.attributes().unwrap_or_default() {
                text.push_str(&format!("; {}={}", attribute.name, attribute.value));
            }
            text
        });
        Some((content_type.unwrap_or_default(), part.contents().to_vec()))
    }

    /// The first `http://` or `https://` URL in the text body that contains `needle`; trailing
    /// punctuation (`.`, `,`, `)` …) and enclosing `<>`, quotes or brackets are not part of it.
    pub fn first_link_containing(&self, needle: &str) -> Option<String> {
        links(&self.text_body()).find(|link| link.contains(needle)).map(str::to_owned)
    }
}

/// The http(s) URLs in `text`, in order.
fn links(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = [rest.find("https://"), rest.find("http://")].into_iter().flatten().min()?;
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(candidate.len());
        rest = &candidate[end..];
        Some(candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_stop_at_delimiters_and_trailing_punctuation() {
        let text = "Go to https://a.test/x?y=1. Or (http://b.test/z), \"https://c.test/q\" \
                    <https://d.test/r>";
        let found: Vec<&str> = links(text).collect();
        assert_eq!(
            found,
            ["https://a.test/x?y=1", "http://b.test/z", "https://c.test/q", "https://d.test/r"]
        );
    }
}
