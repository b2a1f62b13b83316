package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strings"
)

// algorithm is one digest hash algorithm by its canonical token.
type algorithm struct {
	name    string
	newHash func() hash.Hash
}

// supportedAlgorithms lists every algorithm the server can be configured to
// offer (RFC 7616 section 6.1; "-sess" variants are not supported).
var supportedAlgorithms = [...]algorithm{
	{name: "MD5", newHash: md5.New},
	{name: "SHA-256", newHash: sha256.New},
	{name: "SHA-512-256", newHash: sha512.New512_256},
}

// defaultAlgorithms is the challenge order used when Options.Algorithms is
// empty. MD5 comes first because many SIP phones only look at the first
// challenge and only speak MD5.
var defaultAlgorithms = [...]string{"MD5", "SHA-256"}

// lookupAlgorithm finds a supported algorithm by name, case-insensitively.
func lookupAlgorithm(name string) (algorithm, bool) {
	for _, a := range supportedAlgorithms {
		if strings.EqualFold(a.name, name) {
			return a, true
		}
	}
	return algorithm{}, false
}

// digestInput is everything that goes into a digest response.
type digestInput struct {
	username, realm, password string
	method, uri               string
	nonce                     string
	// qop, nc and cnonce are used only when qop is non-empty; an empty qop
	// selects the RFC 2069 form H(HA1:nonce:HA2).
	qop, nc, cnonce string
}

// response computes the lowercase hex digest response for in.
func (a algorithm) response(in digestInput) string {
	h := a.newHash()
	ha1 := hashJoin(h, in.username, in.realm, in.password)
	ha2 := hashJoin(h, in.method, in.uri)
	if in.qop == "" {
		return hashJoin(h, ha1, in.nonce, ha2)
	}
	return hashJoin(h, ha1, in.nonce, in.nc, in.cnonce, in.qop, ha2)
}

// hashJoin returns the hex hash of parts joined by ':'.
func hashJoin(h hash.Hash, parts ...string) string {
	h.Reset()
	for i, part := range parts {
		if i > 0 {
			h.Write([]byte{':'})
		}
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}
