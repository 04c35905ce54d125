//! One SMTP session: greeting, commands and replies, DATA with dot-unstuffing.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{ReceivedMail, Shared};

/// The name the server gives itself in its greeting and EHLO reply.
const SERVER_NAME: &str = "portico-testkit.localhost";

/// Longest command or text line accepted, CRLF included (RFC 5321 §4.5.3.1 says 512 for
/// commands and 1000 for text; a little slack costs nothing here).
pub(super) const MAX_LINE: u64 = 4096;

/// Largest message accepted; bigger ones are read to the end and refused with 552.
const MAX_MESSAGE: usize = 25 * 1024 * 1024;

/// The envelope of the message being sent on a connection.
struct Transaction {
    mail_from: String,
    rcpt_to: Vec<String>,
}

pub(super) async fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
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
pub(super) fn bare_address(address: &str) -> &str {
    let address = address.trim();
    match (address.rfind('<'), address.rfind('>')) {
        (Some(open), Some(close)) if open < close => &address[open + 1..close],
        _ => address,
    }
}
