// Package mailq sends e-mail through an SMTP relay from a durable queue on
// the data dir (the SendEmail command).
//
// Enqueue validates an Email, builds the whole MIME message (text body as
// quoted-printable UTF-8, attachments base64 in multipart/mixed), and
// writes it with its small JSON state file into queue/, each file written to
// a temporary name, fsync'ed, renamed and the directory fsync'ed, before
// returning the EmailId. Run delivers queued mail: a relay that is down or
// answers 4xx is retried with exponential backoff (MinBackoff doubling up
// to MaxBackoff) until MaxAge; a 5xx answer to MAIL, RCPT or DATA is
// permanent, and the message moves to failed/ with the reason, kept for
// inspection (the newest MaxFailed). Sent mail is removed from the queue.
// Open reloads the queue, so nothing accepted is lost across a restart; a
// crash inside Enqueue leaves at most an orphan message file, deleted on
// the next Open, for a mail whose Enqueue never returned.
//
// Attachments are read at Enqueue time, only from inside AttachmentRoot
// (through os.Root, so neither ".." nor symbolic links lead out of it), and
// the built message is bounded by MaxMessageBytes.
//
// The relay is reached with net/smtp: plain, STARTTLS (required, never
// downgraded) or implicit TLS, AUTH PLAIN or LOGIN. Credentials are never
// sent unencrypted except to a loopback relay.
package mailq
