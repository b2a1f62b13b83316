package digest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/netip"
)

// Nonce layout: issue time (Unix nanoseconds, big endian), a per-server
// sequence number (so two challenges issued in the same nanosecond still
// differ, which the nonce-count replay check relies on), then a truncated
// HMAC-SHA256 over both, the client address and the realm; all
// base64url-encoded without padding.
const (
	nonceTimeLen = 8
	nonceSeqLen  = 8
	nonceMACLen  = 16
	nonceHeadLen = nonceTimeLen + nonceSeqLen
	nonceRawLen  = nonceHeadLen + nonceMACLen
)

var nonceEncoding = base64.RawURLEncoding

// makeNonce issues a nonce at issueNanos for client.
func (s *Server) makeNonce(issueNanos int64, client netip.Addr) string {
	var raw [nonceRawLen]byte
	binary.BigEndian.PutUint64(raw[:nonceTimeLen], uint64(issueNanos))
	binary.BigEndian.PutUint64(raw[nonceTimeLen:nonceHeadLen], s.nonceSeq.Add(1))
	copy(raw[nonceHeadLen:], s.nonceMAC(raw[:nonceHeadLen], client))
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
	if !hmac.Equal(raw[nonceHeadLen:], s.nonceMAC(raw[:nonceHeadLen], client)) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(raw[:nonceTimeLen])), true
}

// nonceMAC is HMAC-SHA256(secret, issue || seq || len(addr) || addr || realm),
// truncated. The address is unmapped and zone-free so that IPv4 and
// IPv4-mapped IPv6 forms of one client are the same client.
func (s *Server) nonceMAC(head []byte, client netip.Addr) []byte {
	addr := client.Unmap().WithZone("").AsSlice()
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(head)
	mac.Write([]byte{byte(len(addr))})
	mac.Write(addr)
	mac.Write([]byte(s.realm))
	return mac.Sum(nil)[:nonceMACLen]
}
