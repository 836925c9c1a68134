//! Outgoing e-mail: invitations for approved access requests, over SMTP when `SMTP_HOST` is
//! configured. Without a mail server the invitation link is shown to the administrator instead.

use doxin_config::{SmtpSettings, SmtpTls};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail address {0:?} is not usable: {1}")]
    Address(String, String),
    #[error("composing the message: {0}")]
    Compose(String),
    #[error("the mail server refused or failed: {0}")]
    Send(String),
}

/// Sends mail through one SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mailer(from {})", self.from)
    }
}

impl Mailer {
    pub fn new(smtp: &SmtpSettings) -> Result<Mailer, MailError> {
        let builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .map_err(|e| MailError::Send(e.to_string()))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .map_err(|e| MailError::Send(e.to_string()))?,
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(std::time::Duration::from_secs(15)));
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose().to_string(),
            ));
        }
        let from = smtp
            .from
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(smtp.from.clone(), e.to_string()))?;
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// Mails `to` an invitation to sign up with `link`.
    pub async fn send_invitation(&self, to: &str, name: &str, link: &str) -> Result<(), MailError> {
        let to_box = to
            .parse::<Mailbox>()
            .map_err(|e| MailError::Address(to.to_string(), e.to_string()))?;
        let body = format!(
            "Hello {name},\n\nyour request for a DoxIn account was approved. Create your account \
             here (the link holds a single-use access code):\n\n{link}\n\nIf you did not ask \
             for an account, ignore this message.\n"
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject("Your DoxIn invitation")
            .body(body)
            .map_err(|e| MailError::Compose(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}
