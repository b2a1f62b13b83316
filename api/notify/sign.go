package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries the request's signature when the notification
// has a secret: "t=<unix seconds>,v1=<hex>", where the hex is
// HMAC-SHA256(secret, "<unix seconds>." + body). Each attempt is signed
// afresh, so the timestamp is when that attempt was sent.
const SignatureHeader = "X-Gatepbx-Signature"

// maxSignatureHeader bounds what Verify reads of a header.
const maxSignatureHeader = 1024

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("notify: no signature")
	ErrBadSignature = errors.New("notify: signature does not match")
	ErrStale        = errors.New("notify: signature timestamp outside the tolerance")
)

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a SignatureHeader value against the raw request body, as
// an application receiving notifications would: one of its v1 signatures
// must match (compared in constant time), and its timestamp must be
// within tolerance of now (a tolerance of 0 skips that check). Unknown
// keys in the header are ignored, so later schemes can be added beside v1.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if header == "" {
		return ErrNoSignature
	}
	if len(header) > maxSignatureHeader {
		return fmt.Errorf("%w: header longer than %d bytes", ErrBadSignature, maxSignatureHeader)
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("%w: malformed element %q", ErrBadSignature, part)
		}
		switch k {
		case "t":
			if ts != "" {
				return fmt.Errorf("%w: two timestamps", ErrBadSignature)
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				return fmt.Errorf("%w: v1 is not a hex SHA-256 MAC", ErrBadSignature)
			}
			sigs = append(sigs, sig)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ts != strconv.FormatInt(unix, 10) {
		return fmt.Errorf("%w: missing or malformed timestamp", ErrBadSignature)
	}
	if len(sigs) == 0 {
		return fmt.Errorf("%w: no v1 signature", ErrNoSignature)
	}
	want := mac(secret, ts, body)
	match := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			match = true
		}
	}
	if !match {
		return ErrBadSignature
	}
	if tolerance > 0 {
		if age := now.Sub(time.Unix(unix, 0)); age > tolerance || age < -tolerance {
			return fmt.Errorf("%w: signed %s ago", ErrStale, age.Round(time.Second))
		}
	}
	return nil
}
