//! A real, minimal SMTP server on `127.0.0.1:0` that keeps every message it receives, for tests
//! that send mail through the app's SMTP mailer and then read it like a person would.
//!
//! It speaks enough of RFC 5321 for ordinary clients (lettre included): EHLO/HELO, MAIL, RCPT,
//! DATA with dot-unstuffing, RSET, NOOP, VRFY and QUIT, with the usual sequencing errors. It
//! advertises 8BITMIME, SMTPUTF8 and PIPELINING, and neither STARTTLS nor AUTH, so clients
//! must be configured for plain `smtp://` without credentials.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mail_parser::{HeaderValue, MessageParser};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// The name the server gives itself in its greeting and EHLO reply.
const SERVER_NAME: &str = "portico-testkit.localhost";

/// Longest command or text line accepted, CRLF included (RFC 5321 §4.5.3.1 says 512 for
/// commands and 1000 for text; a little slack costs nothing here).
const MAX_LINE: u64 = 4096;

/// Largest message accepted; bigger ones are read to the end and refused with 552.
const MAX_MESSAGE: usize = 25 * 1024 * 1024;

/// A message as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets; empty for a bounce (`<>`).
    pub mail_from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets, in order.
    pub rcpt_to: Vec<String>,
    /// The message after DATA: headers and body, dot-unstuffed, with CRLF line endings, as it
    /// would be handed to a mailbox (bytes that are not UTF-8 are replaced).
    pub raw: String,
}

/// The SMTP server. Stops accepting and drops its open connections when dropped.
#[derive(Debug)]
pub struct SmtpListener {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_loop: JoinHandle<()>,
}

#[derive(Debug, Default)]
struct Shared {
    inbox: Mutex<Inbox>,
    /// Woken whenever a message is stored.
    arrived: Notify,
    /// A reply code for the next `RCPT TO`, set by [`SmtpListener::set_reject_next`].
    reject_next: Mutex<Option<u16>>,
    /// Verdicts for the coming `RCPT TO`s in order (`None` = accept), set by
    /// [`SmtpListener::set_reject_after`].
    plan: Mutex<std::collections::VecDeque<Option<u16>>>,
}

#[derive(Debug, Default)]
struct Inbox {
    messages: Vec<ReceivedMail>,
    /// (index in `messages`, lowercase recipient) pairs `wait_for_message_to` has returned.
    handed_out: HashSet<(usize, String)>,
}

impl Shared {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // A panicking test thread cannot leave the inbox half-updated: recover it.
        self.inbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn store(&self, mail: ReceivedMail) -> usize {
        let number = {
            let mut inbox = self.inbox();
            inbox.messages.push(mail);
            inbox.messages.len()
        };
        self.arrived.notify_waiters();
        number
    }

    fn take_reject(&self) -> Option<u16> {
        let next = self.reject_next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        next.or_else(|| {
            self.plan.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop_front().flatten()
        })
    }
}

impl SmtpListener {
    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start() -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").await.expect("cannot bind the SMTP test listener");
        let addr = listener.local_addr().expect("the SMTP test listener has no address");
        let shared = Arc::new(Shared::default());
        let accept_loop = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Self { addr, shared, accept_loop }
    }

    /// The URL to configure the app's mailer with: `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.inbox().messages.clone()
    }

    /// Waits for the next message with `to` (an address, compared ignoring case) among its
    /// envelope recipients, and returns it. A message is returned once per recipient: two calls
    /// for the same address return two different messages, in the order they arrived. Panics,
    /// listing what did arrive, if none comes within `timeout`.
    pub async fn wait_for_message_to(&self, to: &str, timeout: Duration) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + timeout;
        let to = bare_address(to);
        loop {
            // Register interest before looking, so a message stored in between still wakes us.
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();

            if let Some(mail) = self.take_next_to(to) {
                return mail;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let received: Vec<String> = self
                    .messages()
                    .iter()
                    .map(|mail| format!("to {:?}: {:?}", mail.rcpt_to, mail.subject_or_empty()))
                    .collect();
                panic!(
                    "no new mail to {to} within {timeout:?}; received so far: {received:#?} \
                     (messages already returned by wait_for_message_to are not returned again)"
                );
            }
        }
    }

    /// Makes the next `RCPT TO` (on any connection) fail with `code`, e.g. 550 for a permanent
    /// or 451 for a temporary refusal. Later ones are accepted again.
    pub fn set_reject_next(&self, code: u16) {
        assert!((400..600).contains(&code), "a refusal code is 4xx or 5xx, not {code}");
        *self.shared.reject_next.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some(code);
    }

    /// Accepts the next `accepted` recipients, then refuses one with `code` — a sender that
    /// dies part-way through a batch. Later ones are accepted again.
    pub fn set_reject_after(&self, accepted: usize, code: u16) {
        assert!((400..600).contains(&code), "a refusal code is 4xx or 5xx, not {code}");
        let mut plan = self.shared.plan.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        plan.clear();
        plan.extend(std::iter::repeat_n(None, accepted));
        plan.push_back(Some(code));
    }

    fn take_next_to(&self, to: &str) -> Option<ReceivedMail> {
        let mut inbox = self.shared.inbox();
        let to = to.to_lowercase();
        let index = (0..inbox.messages.len()).find(|&index| {
            inbox.messages[index].rcpt_to.iter().any(|rcpt| rcpt.to_lowercase() == to)
                && !inbox.handed_out.contains(&(index, to.clone()))
        })?;
        inbox.handed_out.insert((index, to));
        Some(inbox.messages[index].clone())
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        // Dropping the loop drops its JoinSet, which aborts every open session.
        self.accept_loop.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    sessions.spawn(session(stream, Arc::clone(&shared)));
                }
                Err(e) => tracing::warn!(error = %e, "SMTP test listener: accept failed"),
            },
            // Reap finished sessions so the set does not grow for the life of the test.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    if let Err(e) = serve(stream, &shared).await {
        tracing::debug!(error = %e, "SMTP test listener: session ended with an error");
    }
}

/// The envelope of the message being sent on a connection.
struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
}

async fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer.write_all(format!("220 {SERVER_NAME} ESMTP ready\r\n").as_bytes()).await?;

    let mut greeted = false;
    let mut transaction: Option<Transaction> = None;
    let mut line = Vec::new();
    loop {
        match read_line(&mut reader, &mut line).await? {
            Line::Complete => {}
            Line::TooLong => {
                writer.write_all(b"500 5.5.2 Line too long\r\n").await?;
                continue;
            }
            Line::End => return Ok(()), // The client hung up.
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end_matches(['\r', '\n']);
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let argument = argument.trim();

        let reply = match verb.to_ascii_uppercase().as_str() {
            "EHLO" | "HELO" if argument.is_empty() => format!("501 5.5.4 Syntax: {verb} domain"),
            "EHLO" => {
                greeted = true;
                transaction = None;
                format!(
                    "250-{SERVER_NAME} greets {argument}\r\n250-PIPELINING\r\n250-8BITMIME\r\n\
                     250 SMTPUTF8"
                )
            }
            "HELO" => {
                greeted = true;
                transaction = None;
                format!("250 {SERVER_NAME}")
            }
            "MAIL" if !greeted => "503 5.5.1 Send EHLO or HELO first".to_owned(),
            "MAIL" if transaction.is_some() => "503 5.5.1 Nested MAIL command".to_owned(),
            "MAIL" => match parse_path(argument, "FROM:") {
                Some(mail_from) => {
                    transaction = Some(Transaction { mail_from, rcpt_to: Vec::new() });
                    "250 2.1.0 Ok".to_owned()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".to_owned(),
            },
            "RCPT" => match (&mut transaction, parse_path(argument, "TO:")) {
                (None, _) => "503 5.5.1 Need MAIL before RCPT".to_owned(),
                (Some(_), None) => "501 5.5.4 Syntax: RCPT TO:<address>".to_owned(),
                (Some(_), Some(rcpt)) if rcpt.is_empty() => {
                    "501 5.1.3 Recipient address required".to_owned()
                }
                (Some(transaction), Some(rcpt)) => match shared.take_reject() {
                    Some(code) if code >= 500 => {
                        format!("{code} 5.1.1 <{rcpt}>: Mailbox unavailable (refused by test)")
                    }
                    Some(code) => {
                        format!("{code} 4.2.1 <{rcpt}>: Try again later (refused by test)")
                    }
                    None => {
                        transaction.rcpt_to.push(rcpt);
                        "250 2.1.5 Ok".to_owned()
                    }
                },
            },
            "DATA" if !argument.is_empty() => "501 5.5.4 Syntax: DATA".to_owned(),
            "DATA" => match transaction.take() {
                None => "503 5.5.1 Need MAIL before DATA".to_owned(),
                Some(open) if open.rcpt_to.is_empty() => {
                    transaction = Some(open);
                    "554 5.5.1 No valid recipients".to_owned()
                }
                Some(Transaction { mail_from, rcpt_to }) => {
                    writer.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    match read_data(&mut reader, &mut line).await? {
                        Data::Message(data) => {
                            let raw = String::from_utf8_lossy(&data).into_owned();
                            let number = shared.store(ReceivedMail { mail_from, rcpt_to, raw });
                            format!("250 2.0.0 Ok: queued as {number}")
                        }
                        Data::TooBig => "552 5.3.4 Message too big".to_owned(),
                        // Nothing is delivered without the final dot.
                        Data::HungUp => return Ok(()),
                    }
                }
            },
            "RSET" => {
                transaction = None;
                "250 2.0.0 Ok".to_owned()
            }
            "NOOP" => "250 2.0.0 Ok".to_owned(),
            "VRFY" => "252 2.0.0 Cannot VRFY user, but will accept message".to_owned(),
            "QUIT" => {
                writer.write_all(format!("221 2.0.0 {SERVER_NAME} closing\r\n").as_bytes()).await?;
                return writer.shutdown().await;
            }
            "STARTTLS" | "AUTH" => "502 5.5.1 Not implemented".to_owned(),
            _ => "500 5.5.2 Command not recognized".to_owned(),
        };
        writer.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// What [`read_line`] found.
enum Line {
    /// A whole line, terminator included, is in the buffer.
    Complete,
    /// The line was longer than [`MAX_LINE`]; its start is in the buffer, the rest was skipped.
    TooLong,
    /// The input ended (possibly in the middle of a line).
    End,
}

/// Reads one line into `line`, replacing what was there.
async fn read_line<R>(reader: &mut R, line: &mut Vec<u8>) -> std::io::Result<Line>
where
    R: AsyncBufRead + Unpin,
{
    line.clear();
    (&mut *reader).take(MAX_LINE).read_until(b'\n', line).await?;
    if line.ends_with(b"\n") {
        return Ok(Line::Complete);
    }
    if (line.len() as u64) < MAX_LINE {
        return Ok(Line::End);
    }
    let mut rest = Vec::new();
    while !rest.ends_with(b"\n") {
        rest.clear();
        if (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut rest).await? == 0 {
            return Ok(Line::End);
        }
    }
    Ok(Line::TooLong)
}

/// What [`read_data`] found.
enum Data {
    /// The message, dot-unstuffed, without the final dot line.
    Message(Vec<u8>),
    /// The message was bigger than [`MAX_MESSAGE`]; it was read to the end and dropped.
    TooBig,
    /// The client hung up before the final dot.
    HungUp,
}

/// Reads the message after DATA up to the line holding a single dot, undoing dot-stuffing
/// (RFC 5321 §4.5.2). `line` is scratch space.
async fn read_data<R>(reader: &mut R, line: &mut Vec<u8>) -> std::io::Result<Data>
where
    R: AsyncBufRead + Unpin,
{
    let mut data = Vec::new();
    let mut too_big = false;
    loop {
        match read_line(reader, line).await? {
            Line::End => return Ok(Data::HungUp),
            Line::Complete if line == b".\r\n" || line == b".\n" => {
                return Ok(if too_big { Data::TooBig } else { Data::Message(data) });
            }
            // An over-long line is kept truncated; clients that wrap lines never send one.
            Line::Complete | Line::TooLong => {}
        }
        let text = line.strip_prefix(b".").unwrap_or(line);
        too_big = too_big || data.len() + text.len() > MAX_MESSAGE;
        if too_big {
            data = Vec::new();
        } else {
            data.extend_from_slice(text);
        }
    }
}

/// The address in `FROM:<address> [parameters]` (or `TO:`), without the angle brackets.
fn parse_path(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let path = argument[keyword.len()..].trim_start().strip_prefix('<')?;
    let (address, _parameters) = path.split_once('>')?;
    Some(address.to_owned())
}

/// `someone@example.com` out of `Some One <someone@example.com>`; anything else as it is.
fn bare_address(address: &str) -> &str {
    let address = address.trim();
    match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address,
    }
}

impl ReceivedMail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        MessageParser::default()
            .parse(self.raw.as_bytes())
            .unwrap_or_else(|| panic!("the received mail is not a message:\n{}", self.raw))
    }

    fn subject_or_empty(&self) -> String {
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
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    /// A hand-driven SMTP client: one command, one reply, as a client would see them.
    struct Client {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        /// Connects and checks the 220 greeting.
        async fn connect(listener: &SmtpListener) -> Self {
            let stream = TcpStream::connect(listener.addr).await.unwrap();
            let (reader, writer) = stream.into_split();
            let mut client = Self { reader: BufReader::new(reader), writer };
            let (code, _) = client.reply().await;
            assert_eq!(code, 220);
            client
        }

        async fn send(&mut self, text: &str) {
            self.writer.write_all(text.as_bytes()).await.unwrap();
        }

        /// Reads one (possibly multi-line) reply: its code and the text of each line.
        async fn reply(&mut self) -> (u16, Vec<String>) {
            let mut lines = Vec::new();
            loop {
                let mut line = String::new();
                let read = tokio::time::timeout(WAIT, self.reader.read_line(&mut line));
                assert!(read.await.expect("no reply from the server").unwrap() > 0, "closed");
                assert!(line.ends_with("\r\n"), "{line:?}");
                let code = line[..3].parse().unwrap();
                let last = &line[3..4] == " ";
                lines.push(line[4..].trim_end().to_owned());
                if last {
                    return (code, lines);
                }
            }
        }

        async fn command(&mut self, command: &str) -> u16 {
            self.send(&format!("{command}\r\n")).await;
            self.reply().await.0
        }
    }

    /// Delivers `message` (lines joined with CRLF) in a whole session of its own.
    async fn deliver(listener: &SmtpListener, to: &[&str], message: &[&str]) {
        let mut client = Client::connect(listener).await;
        assert_eq!(client.command("EHLO client.test").await, 250);
        assert_eq!(client.command("MAIL FROM:<app@portico.test>").await, 250);
        for rcpt in to {
            assert_eq!(client.command(&format!("RCPT TO:<{rcpt}>")).await, 250);
        }
        assert_eq!(client.command("DATA").await, 354);
        assert_eq!(client.command(&format!("{}\r\n.", message.join("\r\n"))).await, 250);
        assert_eq!(client.command("QUIT").await, 221);
    }

    fn simple_message(subject: &str) -> Vec<String> {
        vec![format!("Subject: {subject}"), String::new(), "Hello.".to_owned()]
    }

    #[tokio::test]
    async fn a_raw_session_delivers_a_decodable_message() {
        let listener = SmtpListener::start().await;
        assert!(listener.url().starts_with("smtp://127.0.0.1:"));
        let mut client = Client::connect(&listener).await;

        client.send("EHLO client.test\r\n").await;
        let (code, lines) = client.reply().await;
        assert_eq!(code, 250);
        assert!(lines.iter().any(|l| l == "8BITMIME") && lines.iter().any(|l| l == "SMTPUTF8"));
        assert!(!lines.iter().any(|l| l.starts_with("STARTTLS") || l.starts_with("AUTH")));
        assert_eq!(client.command("MAIL FROM:<app@portico.test> BODY=8BITMIME").await, 250);
        assert_eq!(client.command("RCPT TO:<ada@example.com>").await, 250);
        assert_eq!(client.command("rcpt to: <Bob@Example.com>").await, 250);
        assert_eq!(client.command("DATA").await, 354);
        let message = [
            "From: Portico <app@portico.test>",
            "To: Ada <ada@example.com>",
            "Subject: =?utf-8?q?R=C3=A9servation_confirm=C3=A9e?=",
            "Message-ID: <abc123@portico.test>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Bonjour Ada, votre r=C3=A9servation est confirm=C3=A9e.",
            "Confirm: https://portico.test/bookings/42/confirm?token=3Dabcdef=",
            "0123456789.",
            "..a line that starts with a dot",
            ".",
        ];
        client.send(&format!("{}\r\n", message.join("\r\n"))).await;
        let (code, _) = client.reply().await;
        assert_eq!(code, 250);
        assert_eq!(client.command("QUIT").await, 221);

        let mail = listener.wait_for_message_to("ada@example.com", WAIT).await;
        assert_eq!(mail.mail_from, "app@portico.test");
        assert_eq!(mail.rcpt_to, ["ada@example.com", "Bob@Example.com"]);
        assert!(mail.raw.ends_with("0123456789.\r\n.a line that starts with a dot\r\n"));
        assert_eq!(mail.subject(), "Réservation confirmée");
        assert!(mail.text_body().starts_with("Bonjour Ada, votre réservation est confirmée.\r\n"));
        assert_eq!(mail.html_body(), None);
        assert_eq!(mail.header("from").as_deref(), Some("Portico <app@portico.test>"));
        assert_eq!(mail.header("Message-ID").as_deref(), Some("abc123@portico.test"));
        assert_eq!(mail.header("X-Missing"), None);
        assert_eq!(
            mail.first_link_containing("/confirm").as_deref(),
            Some("https://portico.test/bookings/42/confirm?token=abcdef0123456789")
        );
        assert_eq!(mail.first_link_containing("/cancel"), None);
        // The second recipient gets the same message.
        let copy = listener.wait_for_message_to("bob@example.com", WAIT).await;
        assert_eq!(copy, mail);
    }

    #[tokio::test]
    async fn multipart_bodies_are_decoded() {
        let listener = SmtpListener::start().await;
        // "<p>Hello <b>Ada</b></p>" in base64.
        let message = [
            "Subject: Both",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"b1\"",
            "",
            "--b1",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Hello Ada, see <https://portico.test/a>.",
            "--b1",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "",
            "PHA+SGVsbG8gPGI+QWRhPC9iPjwvcD4=",
            "--b1--",
        ];
        deliver(&listener, &["ada@example.com"], &message).await;

        let mail = listener.wait_for_message_to("Ada <ada@example.com>", WAIT).await;
        assert_eq!(mail.text_body().trim_end(), "Hello Ada, see <https://portico.test/a>.");
        assert_eq!(mail.html_body().as_deref(), Some("<p>Hello <b>Ada</b></p>"));
        assert_eq!(
            mail.first_link_containing("portico").as_deref(),
            Some("https://portico.test/a")
        );
    }

    #[tokio::test]
    async fn commands_out_of_order_are_refused() {
        let listener = SmtpListener::start().await;
        let mut client = Client::connect(&listener).await;

        assert_eq!(client.command("MAIL FROM:<app@portico.test>").await, 503);
        assert_eq!(client.command("HELO").await, 501);
        assert_eq!(client.command("HELO client.test").await, 250);
        assert_eq!(client.command("RCPT TO:<ada@example.com>").await, 503);
        assert_eq!(client.command("DATA").await, 503);
        assert_eq!(client.command("MAIL FROM:app@portico.test").await, 501);
        assert_eq!(client.command("MAIL FROM:<>").await, 250);
        assert_eq!(client.command("MAIL FROM:<app@portico.test>").await, 503);
        assert_eq!(client.command("RCPT TO:<>").await, 501);
        assert_eq!(client.command("DATA").await, 554);
        assert_eq!(client.command("RSET").await, 250);
        assert_eq!(client.command("RCPT TO:<ada@example.com>").await, 503);
        assert_eq!(client.command("NOOP").await, 250);
        assert_eq!(client.command("STARTTLS").await, 502);
        assert_eq!(client.command("AUTH PLAIN AGFkYQBzZWNyZXQ=").await, 502);
        assert_eq!(client.command("FROBNICATE").await, 500);
        assert_eq!(client.command(&"X".repeat(MAX_LINE as usize + 10)).await, 500);
        assert_eq!(client.command("NOOP").await, 250);
        assert_eq!(client.command("QUIT").await, 221);
        assert!(listener.messages().is_empty());
    }

    #[tokio::test]
    async fn one_connection_can_send_several_messages() {
        let listener = SmtpListener::start().await;
        let mut client = Client::connect(&listener).await;
        assert_eq!(client.command("EHLO client.test").await, 250);
        for n in 1..=2 {
            assert_eq!(client.command("MAIL FROM:<app@portico.test>").await, 250);
            assert_eq!(client.command("RCPT TO:<ada@example.com>").await, 250);
            assert_eq!(client.command("DATA").await, 354);
            assert_eq!(client.command(&format!("Subject: Number {n}\r\n\r\nHi\r\n.")).await, 250);
        }
        assert_eq!(client.command("QUIT").await, 221);

        // Each call hands out the next message to that address.
        let first = listener.wait_for_message_to("ada@example.com", WAIT).await;
        let second = listener.wait_for_message_to("ada@example.com", WAIT).await;
        assert_eq!((first.subject().as_str(), second.subject().as_str()), ("Number 1", "Number 2"));
        assert_eq!(listener.messages().len(), 2);
    }

    #[tokio::test]
    async fn set_reject_next_refuses_one_recipient() {
        let listener = SmtpListener::start().await;
        let mut client = Client::connect(&listener).await;
        assert_eq!(client.command("EHLO client.test").await, 250);
        assert_eq!(client.command("MAIL FROM:<app@portico.test>").await, 250);

        listener.set_reject_next(550);
        assert_eq!(client.command("RCPT TO:<gone@example.com>").await, 550);
        assert_eq!(client.command("RCPT TO:<ada@example.com>").await, 250);
        listener.set_reject_next(451);
        assert_eq!(client.command("RCPT TO:<busy@example.com>").await, 451);
        assert_eq!(client.command("DATA").await, 354);
        assert_eq!(client.command("Subject: Hi\r\n\r\nHi\r\n.").await, 250);

        assert_eq!(listener.messages()[0].rcpt_to, ["ada@example.com"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_connections_are_served_at_once() {
        let listener = Arc::new(SmtpListener::start().await);
        // Open every connection before any of them sends a message.
        let mut clients = Vec::new();
        for _ in 0..10 {
            clients.push(Client::connect(&listener).await);
        }
        let mut senders = JoinSet::new();
        for (n, mut client) in clients.into_iter().enumerate() {
            senders.spawn(async move {
                assert_eq!(client.command("EHLO client.test").await, 250);
                assert_eq!(client.command("MAIL FROM:<app@portico.test>").await, 250);
                assert_eq!(client.command(&format!("RCPT TO:<user{n}@example.com>")).await, 250);
                assert_eq!(client.command("DATA").await, 354);
                let message = simple_message(&format!("For {n}")).join("\r\n");
                assert_eq!(client.command(&format!("{message}\r\n.")).await, 250);
            });
        }

        for n in 0..10 {
            let mail = listener.wait_for_message_to(&format!("user{n}@example.com"), WAIT).await;
            assert_eq!(mail.subject(), format!("For {n}"));
        }
        while let Some(sent) = senders.join_next().await {
            sent.unwrap();
        }
        assert_eq!(listener.messages().len(), 10);
    }

    #[tokio::test]
    #[should_panic(expected = "no new mail to ada@example.com")]
    async fn waiting_gives_up_after_the_timeout() {
        let listener = SmtpListener::start().await;
        let message = simple_message("For Bob");
        deliver(
            &listener,
            &["bob@example.com"],
            &message.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await;
        listener.wait_for_message_to("ada@example.com", Duration::from_millis(50)).await;
    }

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
