//! The listener driven by a hand-written client and by lettre.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use super::protocol::MAX_LINE;
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
    assert_eq!(mail.first_link_containing("portico").as_deref(), Some("https://portico.test/a"));
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
