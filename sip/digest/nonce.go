package digest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// Nonce layout: issue time (Unix nanoseconds, big endian) followed by a
// truncated HMAC-SHA256 over the issue time, the client address and the
// realm, all base64url-encoded without padding.
const (
	nonceTimeLen = 8
	nonceMACLen  = 16
	nonceRawLen  = nonceTimeLen + nonceMACLen
)

var nonceEncoding = base64.RawURLEncoding

// makeNonce issues a nonce at issueNanos for client.
func (s *Server) makeNonce(issueNanos int64, client netip.Addr) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:nonceTimeLen], uint64(issueNanos))
	copy(raw[nonceTimeLen:], s.nonceMAC(raw[:nonceTimeLen], client))
	return nonceEncoding.EncodeToString(raw[:])
}

// openNonce checks that nonce was issued by this server to client and
// returns its issue time.
func (s *Server) openNonce(nonce string, client netip.Addr) (issueNanos int64, ok bool) {
	if nonceEncoding.EncodedLen(nonceRawLen) != len(nonce) {
		return 0, false
	}
	var raw [nonceRawLen]byte
	n, err := nonceEncoding.Decode(raw[:], []byte(nonce))
	if err != nil || n != nonceRawLen {
		return 0, false
	}
	if !hmac.Equal(raw[nonceTimeLen:], s.nonceMAC(raw[:nonceTimeLen], client)) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[:nonceTimeLen])), true
}

// nonceMAC is HMAC-SHA256(secret, issue || len(addr) || addr || realm),
// truncated. The address is unmapped and zone-free so that IPv4 and
// IPv4-mapped IPv6 forms of one client are the same client.
func (s *Server) nonceMAC(issue []byte, client netip.Addr) []byte {
	addr := client.Unmap().WithZone("").AsSlice()
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(issue)
	mac.Write([]byte{byte(len(addr))})
	mac.Write(addr)
	mac.Write([]byte(s.realm))
	return mac.Sum(nil)[:nonceMACLen]
}
