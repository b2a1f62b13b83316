package mailq

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Email is one SendEmail request.
type Email struct {
	// Recipient holds one or more addresses separated by ',' or ';'.
	Recipient string
	// Sender is the From header; Options.From when empty. The envelope
	// sender is always Options.From, the address the relay accepts.
	Sender  string
	Subject string
	Message string // the plain-text body
	// Attachments are files inside Options.AttachmentRoot, absolute or
	// relative to it.
	Attachments []string
}

// Errors Enqueue wraps, for the API to map onto result codes.
var (
	ErrInvalid    = errors.New("mailq: invalid e-mail")
	ErrAttachment = errors.New("mailq: attachment refused")
	ErrTooLarge   = errors.New("mailq: message too large")
	ErrNoRelay    = errors.New("mailq: no SMTP relay configured")
	ErrNotFound   = errors.New("mailq: no such e-mail")
)

// maxRecipients bounds one Email's recipient list.
const maxRecipients = 100

// parseRecipients splits and validates a recipient list into bare
// addresses.
func parseRecipients(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	var out []string
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		a, err := mail.ParseAddress(f)
		if err != nil {
			return nil, fmt.Errorf("%w: recipient %q: %w", ErrInvalid, f, err)
		}
		out = append(out, a.Address)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no recipient", ErrInvalid)
	}
	if len(out) > maxRecipients {
		return nil, fmt.Errorf("%w: %d recipients, at most %d", ErrInvalid, len(out), maxRecipients)
	}
	return out, nil
}

// headerText makes s safe for a header: line breaks and other controls
// become spaces, non-ASCII text is Q-encoded.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return mime.QEncoding.Encode("utf-8", s)
}

// attachment is a file read for a message.
type attachment struct {
	name string
	data []byte
}

// readAttachments opens each path inside root, reading at most limit bytes
// in all.
func readAttachments(root string, paths []string, limit int64) ([]attachment, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	if root == "" {
		return nil, fmt.Errorf("%w: attachments are disabled", ErrAttachment)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("%w: attachment root: %w", ErrAttachment, err)
	}
	defer r.Close()
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("%w: attachment root: %w", ErrAttachment, err)
	}
	var out []attachment
	var total int64
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		rel := p
		if filepath.IsAbs(p) {
			if rel, err = filepath.Rel(absRoot, filepath.Clean(p)); err != nil {
				return nil, fmt.Errorf("%w: %q is outside the attachment directory", ErrAttachment, p)
			}
		}
		if !filepath.IsLocal(rel) {
			return nil, fmt.Errorf("%w: %q is outside the attachment directory", ErrAttachment, p)
		}
		data, err := readBounded(r, rel, limit-total)
		if err != nil {
			return nil, fmt.Errorf("attachment %q: %w", p, err)
		}
		total += int64(len(data))
		out = append(out, attachment{name: filepath.Base(rel), data: data})
	}
	return out, nil
}

func readBounded(r *os.Root, rel string, limit int64) ([]byte, error) {
	f, err := r.Open(rel)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %w", ErrAttachment, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrAttachment, err) // escapes, permissions
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrAttachment)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAttachment, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: attachments exceed the size limit", ErrTooLarge)
	}
	return data, nil
}

// header is the fixed part of a built message.
type header struct {
	id, from, subject string
	to                []string
	date              time.Time
}

// build renders the RFC 5322 message with CRLF line ends.
func build(h header, body string, atts []attachment) ([]byte, error) {
	var b bytes.Buffer
	domain := "localhost"
	if a, err := mail.ParseAddress(h.from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			domain = a.Address[i+1:]
		}
	}
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", h.from)
	hdr("To", strings.Join(h.to, ", "))
	if h.subject != "" {
		hdr("Subject", headerText(h.subject))
	}
	hdr("Date", h.date.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+h.id+"@"+domain+">")
	hdr("MIME-Version", "1.0")
	text := func(w io.Writer) error {
		q := quotedprintable.NewWriter(w)
		if _, err := io.WriteString(q, body); err != nil {
			return err
		}
		return q.Close()
	}
	if len(atts) == 0 {
		hdr("Content-Type", "text/plain; charset=utf-8")
		hdr("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := text(&b); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	hdr("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, err
	}
	if err := text(pw); err != nil {
		return nil, err
	}
	for _, a := range atts {
		ct := mime.TypeByExtension(filepath.Ext(a.name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ct},
			"Content-Transfer-Encoding": {"base64"},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.name})},
		})
		if err != nil {
			return nil, err
		}
		if err := writeBase64Lines(pw, a.data); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeBase64Lines writes data base64-encoded in 76-character lines.
func writeBase64Lines(w io.Writer, data []byte) error {
	const perLine = 57 // bytes per 76 characters
	line := make([]byte, 78)
	for len(data) > 0 {
		n := min(len(data), perLine)
		m := base64.StdEncoding.EncodedLen(n)
		base64.StdEncoding.Encode(line, data[:n])
		line[m], line[m+1] = '\r', '\n'
		if _, err := w.Write(line[:m+2]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}
