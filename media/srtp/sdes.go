package srtp

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

const (
	// maxTag is the largest crypto tag (1*9DIGIT).
	maxTag = 999_999_999
	// maxLifetimeLog2: SRTP allows at most 2^48 packets per master key (RFC 3711
	// section 9.2): 2^48.
	maxLifetimeLog2 = 48
	// maxMKILen is the longest MKI RFC 4568 allows, in bytes.
	maxMKILen = 128
	// MaxOverhead is the most an Encrypter adds to a packet: the longest
	// tag plus the longest MKI. Size encryption buffers with it.
	MaxOverhead = 10 + maxMKILen
)

var (
	// ErrMalformedCrypto is returned for an a=crypto value that does not
	// follow RFC 4568's grammar or has key material of the wrong size.
	ErrMalformedCrypto = errors.New("srtp: malformed a=crypto")
	// ErrUnsupportedParam is returned for an a=crypto value that is
	// well-formed but asks for something this package does not do (more
	// than one master key, key derivation rate, unencrypted or
	// unauthenticated SRTP, an unknown session parameter).
	ErrUnsupportedParam = errors.New("srtp: unsupported a=crypto parameter")
	// ErrNoUsableCrypto is returned by Answer when no offered a=crypto
	// line can be used.
	ErrNoUsableCrypto = errors.New("srtp: no usable a=crypto in the offer")
	// ErrAnswerMismatch is returned by MatchAnswer when the answer does
	// not match any a=crypto line we offered.
	ErrAnswerMismatch = errors.New("srtp: a=crypto answer does not match the offer")
)

// Key is the master key material of one direction of an SRTP stream.
//
// Its String and GoString methods do not print the key, so a Key can be
// logged safely.
type Key struct {
	Suite  Suite
	Master []byte // master key, Suite.KeyLen() bytes
	Salt   []byte // master salt, Suite.SaltLen() bytes
	// Lifetime is the number of packets the key may protect, as
	// signalled (0 = not signalled, meaning 2^48). It is recorded, not
	// enforced: re-keying is the signalling layer's job.
	Lifetime uint64
	// MKI is the master key identifier carried in every packet between
	// the payload and the tag; nil when the key has none. Our own keys
	// have none.
	MKI []byte
}

// NewKey returns a fresh random key for suite s from crypto/rand.
func NewKey(s Suite) (Key, error) {
	if !s.Valid() {
		return Key{}, fmt.Errorf("srtp: new key: %w %v", ErrUnsupportedSuite, s)
	}
	material := make([]byte, s.KeyLen()+s.SaltLen())
	if _, err := rand.Read(material); err != nil {
		return Key{}, fmt.Errorf("srtp: new %v key: %w", s, err)
	}
	return Key{Suite: s, Master: material[:s.KeyLen():s.KeyLen()], Salt: material[s.KeyLen():]}, nil
}

// Validate checks the suite and the sizes of the key material.
func (k Key) Validate() error {
	switch {
	case !k.Suite.Valid():
		return fmt.Errorf("%w %v", ErrUnsupportedSuite, k.Suite)
	case len(k.Master) != k.Suite.KeyLen():
		return fmt.Errorf("%w: %v master key of %d bytes, want %d", ErrMalformedCrypto, k.Suite, len(k.Master), k.Suite.KeyLen())
	case len(k.Salt) != k.Suite.SaltLen():
		return fmt.Errorf("%w: %v master salt of %d bytes, want %d", ErrMalformedCrypto, k.Suite, len(k.Salt), k.Suite.SaltLen())
	case len(k.MKI) > maxMKILen:
		return fmt.Errorf("%w: MKI of %d bytes, at most %d", ErrMalformedCrypto, len(k.MKI), maxMKILen)
	case k.Lifetime > 1<<maxLifetimeLog2:
		return fmt.Errorf("%w: lifetime %d above 2^%d", ErrMalformedCrypto, k.Lifetime, maxLifetimeLog2)
	}
	return nil
}

// Overhead is what SRTP adds to each packet with this key: tag and MKI.
func (k Key) Overhead() int { return k.Suite.AuthTagLen() + len(k.MKI) }

// String describes the key without its material.
func (k Key) String() string {
	s := k.Suite.String() + " key"
	if len(k.MKI) > 0 {
		s += fmt.Sprintf(" (MKI of %d bytes)", len(k.MKI))
	}
	return s
}

// GoString is String, so that %#v does not print the key either.
func (k Key) GoString() string { return "srtp.Key{" + k.String() + "}" }

// keyInfo formats RFC 4568's key-info: base64(key||salt)[|lifetime][|mki:len].
func (k Key) keyInfo() string {
	material := make([]byte, 0, len(k.Master)+len(k.Salt))
	material = append(append(material, k.Master...), k.Salt...)
	s := base64.StdEncoding.EncodeToString(material)
	if k.Lifetime != 0 {
		if bits.OnesCount64(k.Lifetime) == 1 {
			s += "|2^" + strconv.Itoa(bits.TrailingZeros64(k.Lifetime))
		} else {
			s += "|" + strconv.FormatUint(k.Lifetime, 10)
		}
	}
	if len(k.MKI) > 0 {
		var v uint64
		for _, b := range k.MKI {
			v = v<<8 | uint64(b) // MKIs longer than 8 bytes keep their low 64 bits
		}
		s += "|" + strconv.FormatUint(v, 10) + ":" + strconv.Itoa(len(k.MKI))
	}
	return s
}

// Crypto is one a=crypto attribute (RFC 4568 section 9.1).
type Crypto struct {
	// Tag identifies the attribute within an offer; the answer echoes
	// it.
	Tag uint32
	Key Key
	// Params are the session parameters that were accepted, verbatim
	// (only ones that need no action: WSH, KDR=0, FEC_ORDER and
	// "-"-prefixed extensions).
	Params []string
}

// Value formats the attribute value, what follows "a=crypto:". It
// contains the key.
func (c Crypto) Value() string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(uint64(c.Tag), 10))
	b.WriteByte(' ')
	b.WriteString(c.Key.Suite.String())
	b.WriteString(" inline:")
	b.WriteString(c.Key.keyInfo())
	for _, p := range c.Params {
		b.WriteByte(' ')
		b.WriteString(p)
	}
	return b.String()
}

// String describes the attribute without the key.
func (c Crypto) String() string {
	return fmt.Sprintf("crypto %d %v", c.Tag, c.Key)
}

// ParseCrypto parses one a=crypto attribute. attr is the value after
// "a=crypto:"; a leading "a=crypto:" or "crypto:" is also accepted, and
// surrounding white space is ignored.
//
// Strict about what matters for security and interoperability: the tag is
// 1-9 digits; the suite must be supported; exactly one inline key, whose
// base64 (standard alphabet) must decode to exactly key+salt bytes; an
// optional lifetime (N or 2^N, at most 2^48) and MKI (value:length,
// length 1-128, value fitting the length). Session parameters that change
// the protection (KDR other than 0, UNENCRYPTED_SRTP,
// UNAUTHENTICATED_SRTP, UNENCRYPTED_SRTCP, FEC_KEY) or that are unknown are
// rejected with ErrUnsupportedParam; WSH, KDR=0, FEC_ORDER and
// "-"-prefixed extensions are accepted and kept in Params.
//
// Errors never quote the key.
func ParseCrypto(attr string) (Crypto, error) {
	v := strings.TrimSpace(attr)
	v = trimPrefixFold(v, "a=")
	v = trimPrefixFold(v, "crypto:")
	fields := strings.Fields(v)
	if len(fields) < 3 {
		return Crypto{}, fmt.Errorf("%w: %d fields, want <tag> <crypto-suite> <key-params> [<session-params>]", ErrMalformedCrypto, len(fields))
	}
	tag, ok := parseDigits(fields[0], 9)
	if !ok {
		return Crypto{}, fmt.Errorf("%w: tag %.16q is not 1-9 digits", ErrMalformedCrypto, fields[0])
	}
	suite, err := ParseSuite(fields[1])
	if err != nil {
		return Crypto{}, err
	}
	key, err := parseKeyParams(fields[2], suite)
	if err != nil {
		return Crypto{}, err
	}
	c := Crypto{Tag: uint32(tag), Key: key}
	for _, p := range fields[3:] {
		if err := checkSessionParam(p); err != nil {
			return Crypto{}, err
		}
		c.Params = append(c.Params, p)
	}
	return c, nil
}

// parseKeyParams parses "inline:<key-salt>[|lifetime][|mki:length]".
func parseKeyParams(s string, suite Suite) (Key, error) {
	if strings.Contains(s, ";") {
		return Key{}, fmt.Errorf("%w: more than one master key", ErrUnsupportedParam)
	}
	method, info, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(method, "inline") {
		return Key{}, fmt.Errorf("%w: key method %.16q, want inline", ErrMalformedCrypto, method)
	}
	parts := strings.Split(info, "|")
	if len(parts) > 3 {
		return Key{}, fmt.Errorf("%w: %d '|'-separated key-info fields, at most 3", ErrMalformedCrypto, len(parts))
	}
	key := Key{Suite: suite}
	n := suite.KeyLen() + suite.SaltLen()
	want := base64.StdEncoding.EncodedLen(n)
	if len(parts[0]) != want {
		return Key{}, fmt.Errorf("%w: inline key of %d base64 characters, want %d for %v", ErrMalformedCrypto, len(parts[0]), want, suite)
	}
	material, err := base64.StdEncoding.Strict().DecodeString(parts[0])
	if err != nil || len(material) != n {
		return Key{}, fmt.Errorf("%w: inline key is not valid base64 of %d bytes", ErrMalformedCrypto, n)
	}
	key.Master, key.Salt = material[:suite.KeyLen():suite.KeyLen()], material[suite.KeyLen():]
	rest := parts[1:]
	if len(rest) > 0 && !strings.Contains(rest[0], ":") {
		if key.Lifetime, err = parseLifetime(rest[0]); err != nil {
			return Key{}, err
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		if key.MKI, err = parseMKI(rest[0]); err != nil {
			return Key{}, err
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		return Key{}, fmt.Errorf("%w: key-info field after the MKI", ErrMalformedCrypto)
	}
	return key, nil
}

// parseLifetime parses ["2^"]1*DIGIT.
func parseLifetime(s string) (uint64, error) {
	if exp, ok := strings.CutPrefix(s, "2^"); ok {
		n, ok := parseDigits(exp, 2)
		if !ok || n > maxLifetimeLog2 {
			return 0, fmt.Errorf("%w: lifetime %.16q, want 2^0 to 2^%d", ErrMalformedCrypto, s, maxLifetimeLog2)
		}
		return 1 << n, nil
	}
	n, ok := parseDigits(s, 15)
	if !ok || n == 0 || n > 1<<maxLifetimeLog2 {
		return 0, fmt.Errorf("%w: lifetime %.16q, want 1 to 2^%d packets", ErrMalformedCrypto, s, maxLifetimeLog2)
	}
	return n, nil
}

// parseMKI parses mki-value ":" mki-length into length bytes, big-endian.
func parseMKI(s string) ([]byte, error) {
	val, length, _ := strings.Cut(s, ":")
	v, okV := parseDigits(val, 20)
	n, okN := parseDigits(length, 3)
	if !okV || !okN || n < 1 || n > maxMKILen {
		return nil, fmt.Errorf("%w: MKI %.32q, want <value>:<length 1-%d>", ErrMalformedCrypto, s, maxMKILen)
	}
	if n < 8 && v >= 1<<(8*n) {
		return nil, fmt.Errorf("%w: MKI value %d does not fit in %d bytes", ErrMalformedCrypto, v, n)
	}
	mki := make([]byte, n)
	for i := len(mki) - 1; i >= 0 && v != 0; i-- {
		mki[i] = byte(v)
		v >>= 8
	}
	return mki, nil
}

// checkSessionParam accepts the session parameters that need no action
// from us and rejects the rest.
func checkSessionParam(p string) error {
	name, value, hasValue := strings.Cut(p, "=")
	switch {
	case strings.HasPrefix(p, "-"):
		return nil // RFC 4568 section 6.3.7: extensions may be ignored
	case name == "WSH" && hasValue:
		if _, ok := parseDigits(value, 9); ok {
			return nil // a replay window hint; ours is 64 packets
		}
	case name == "KDR" && hasValue:
		if n, ok := parseDigits(value, 2); ok && n == 0 {
			return nil
		}
		return fmt.Errorf("%w: key derivation rate %.8q (only KDR=0)", ErrUnsupportedParam, value)
	case name == "FEC_ORDER" && hasValue && (value == "FEC_SRTP" || value == "SRTP_FEC"):
		return nil // we do no FEC
	case !hasValue && (p == "UNENCRYPTED_SRTP" || p == "UNAUTHENTICATED_SRTP" || p == "UNENCRYPTED_SRTCP"):
		return fmt.Errorf("%w: %s", ErrUnsupportedParam, p)
	}
	return fmt.Errorf("%w: session parameter %.32q", ErrUnsupportedParam, p)
}

// parseDigits parses 1 to max ASCII digits (no sign, no spaces).
func parseDigits(s string, max int) (uint64, bool) {
	if len(s) == 0 || len(s) > max {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}

// Negotiated is the outcome of an SDES exchange for one media stream.
type Negotiated struct {
	// Local is ours: Local.Key encrypts what we send. After Answer,
	// Local.Value() is the a=crypto value to put in our answer.
	Local Crypto
	// Remote is the far side's: Remote.Key decrypts what we receive.
	Remote Crypto
}

// Contexts builds the two per-direction contexts: a Decrypter for the
// remote key and an Encrypter for the local one.
func (n Negotiated) Contexts() (*Decrypter, *Encrypter, error) {
	dec, err := NewDecrypter(n.Remote.Key)
	if err != nil {
		return nil, nil, err
	}
	enc, err := NewEncrypter(n.Local.Key)
	if err != nil {
		return nil, nil, err
	}
	return dec, enc, nil
}

// Offer makes our a=crypto attributes, one per suite in the given order
// (SupportedSuites when none are given), tagged 1, 2, ..., each with its
// own fresh key. Put each Value() in the offer as "a=crypto:" + value and
// keep the slice for MatchAnswer.
func Offer(suites ...Suite) ([]Crypto, error) {
	if len(suites) == 0 {
		suites = SupportedSuites()
	}
	offer := make([]Crypto, 0, len(suites))
	for i, s := range suites {
		key, err := NewKey(s)
		if err != nil {
			return nil, fmt.Errorf("srtp: offer: %w", err)
		}
		offer = append(offer, Crypto{Tag: uint32(i + 1), Key: key})
	}
	return offer, nil
}

// Answer answers a remote offer given as its a=crypto values, in offer
// order: the first one that parses and is supported wins; our answer
// echoes its tag and suite with a fresh key of our own. When none is
// usable the error wraps ErrNoUsableCrypto and each line's reason.
func Answer(offer []string) (Negotiated, error) {
	var reasons []error
	for i, attr := range offer {
		remote, err := ParseCrypto(attr)
		if err != nil {
			reasons = append(reasons, fmt.Errorf("a=crypto #%d: %w", i+1, err))
			continue
		}
		key, err := NewKey(remote.Key.Suite)
		if err != nil {
			return Negotiated{}, fmt.Errorf("srtp: answer: %w", err)
		}
		return Negotiated{Local: Crypto{Tag: remote.Tag, Key: key}, Remote: remote}, nil
	}
	if len(offer) == 0 {
		return Negotiated{}, fmt.Errorf("%w: the offer has no a=crypto", ErrNoUsableCrypto)
	}
	return Negotiated{}, fmt.Errorf("%w: %w", ErrNoUsableCrypto, errors.Join(reasons...))
}

// MatchAnswer completes an exchange we offered: it parses the remote
// answer's a=crypto value and pairs it with the offered attribute of the
// same tag, which must have the same suite.
func MatchAnswer(offered []Crypto, answer string) (Negotiated, error) {
	remote, err := ParseCrypto(answer)
	if err != nil {
		return Negotiated{}, fmt.Errorf("srtp: answer: %w", err)
	}
	for _, local := range offered {
		if local.Tag != remote.Tag {
			continue
		}
		if local.Key.Suite != remote.Key.Suite {
			return Negotiated{}, fmt.Errorf("%w: tag %d answered with %v, offered %v", ErrAnswerMismatch, remote.Tag, remote.Key.Suite, local.Key.Suite)
		}
		return Negotiated{Local: local, Remote: remote}, nil
	}
	return Negotiated{}, fmt.Errorf("%w: tag %d was not offered", ErrAnswerMismatch, remote.Tag)
}
