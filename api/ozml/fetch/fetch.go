package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gatepbx/gatepbx/api/notify"
)

// Defaults of Client.
const (
	DefaultTimeout = 10 * time.Second
	DefaultMaxBody = 256 << 10 // ozml.DefaultLimits.MaxDocumentBytes
)

// ErrTooLarge reports a reply or script over the size bound.
var ErrTooLarge = errors.New("fetch: body too large")

// StatusError is a reply with a status other than 2xx.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("fetch: %s answered HTTP %d", e.URL, e.Code) }

// Client posts notifications to applications, as Ozeki does: HTTP POST,
// application/x-www-form-urlencoded body, no-cache headers, the URL's
// own query string kept (reference 2.1).
type Client struct {
	HTTP    *http.Client  // nil: http.DefaultClient
	Timeout time.Duration // per request, body included; 0: DefaultTimeout
	MaxBody int64         // 0: DefaultMaxBody
	// Secret, when set, returns the key that signs a request to target
	// with form (notify.SignatureHeader, as api/notify signs its
	// notifications); nil or empty: the request is not signed.
	Secret func(target string, form url.Values) []byte
	Now    func() time.Time // the signature's time; nil: time.Now
}

// Post sends form to target (http or https) and returns the reply body.
func (c *Client) Post(ctx context.Context, target string, form url.Values) ([]byte, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch: %q is not an http(s) URL", target)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cache-Control", "no-store,no-cache")
	req.Header.Set("Pragma", "no-cache")
	if c.Secret != nil {
		if key := c.Secret(target, form); len(key) > 0 {
			now := time.Now
			if c.Now != nil {
				now = c.Now
			}
			req.Header.Set(notify.SignatureHeader, notify.Sign(key, now(), []byte(body)))
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // lets the connection be reused
		return nil, &StatusError{URL: target, Code: resp.StatusCode}
	}
	reply, err := readBounded(resp.Body, c.maxBody())
	if err != nil {
		return nil, fmt.Errorf("fetch: %s: %w", target, err)
	}
	return reply, nil
}

func (c *Client) maxBody() int64 {
	if c.MaxBody <= 0 {
		return DefaultMaxBody
	}
	return c.MaxBody
}

// readBounded reads r whole, refusing more than max bytes.
func readBounded(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return b, nil
}

// Poster posts a notification and returns the reply body; Client is one,
// and a small adapter makes api/notify's Client (retries, signatures)
// another.
type Poster interface {
	Post(ctx context.Context, target string, form url.Values) ([]byte, error)
}

// Loader fetches OzML from an application URL or an on-device script; it
// implements ozml.Env's Fetch. A target with the http or https scheme is
// posted to by Poster; a target without a scheme is a script path
// relative to ScriptDir (which it cannot leave, symbolic links included),
// read whole up to MaxScript bytes; the form is then unused. Other
// schemes are refused.
type Loader struct {
	Poster    Poster // nil: a zero Client
	ScriptDir string // empty: no on-device scripts
	MaxScript int64  // 0: DefaultMaxBody
}

// Fetch returns the OzML at target.
func (l *Loader) Fetch(ctx context.Context, target string, form url.Values) ([]byte, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("fetch: %q: %w", target, err)
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		p := l.Poster
		if p == nil {
			p = &Client{}
		}
		return p.Post(ctx, target, form)
	}
	if u.Scheme != "" {
		return nil, fmt.Errorf("fetch: %q: scheme %q is not http or https", target, u.Scheme)
	}
	if l.ScriptDir == "" {
		return nil, fmt.Errorf("fetch: %q: no script directory", target)
	}
	name := filepath.FromSlash(target)
	if !filepath.IsLocal(name) {
		return nil, fmt.Errorf("fetch: script %q is outside the script directory", target)
	}
	root, err := os.OpenRoot(l.ScriptDir)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("fetch: script: %w", err)
	}
	defer f.Close()
	limit := l.MaxScript
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	b, err := readBounded(f, limit)
	if err != nil {
		return nil, fmt.Errorf("fetch: script %q: %w", target, err)
	}
	return b, nil
}
