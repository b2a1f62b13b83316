package srtp

import (
	"errors"
	"fmt"
	"strings"

	pionsrtp "github.com/pion/srtp/v2"
)

// Suite is an SRTP crypto suite as named in SDES (RFC 4568 section 6.2).
type Suite uint8

// The supported suites. The zero Suite is invalid.
const (
	// AESCM128HMACSHA1_80 is AES_CM_128_HMAC_SHA1_80: AES-128 counter
	// mode, HMAC-SHA1 with an 80-bit tag. The suite every SDES phone
	// offers first.
	AESCM128HMACSHA1_80 Suite = iota + 1
	// AESCM128HMACSHA1_32 is AES_CM_128_HMAC_SHA1_32: the same with a
	// 32-bit tag (6 bytes less per packet, weaker authentication).
	AESCM128HMACSHA1_32
)

// ErrUnsupportedSuite is returned for a crypto suite other than the
// supported ones.
var ErrUnsupportedSuite = errors.New("srtp: unsupported crypto suite")

// suiteInfo is one row of the suite table.
type suiteInfo struct {
	name    string // as written in a=crypto
	profile pionsrtp.ProtectionProfile
	keyLen  int // master key bytes
	saltLen int // master salt bytes
	tagLen  int // SRTP authentication tag bytes
}

// suiteTable is indexed by Suite; row 0 is the invalid zero Suite.
var suiteTable = [...]suiteInfo{
	AESCM128HMACSHA1_80: {"AES_CM_128_HMAC_SHA1_80", pionsrtp.ProtectionProfileAes128CmHmacSha1_80, 16, 14, 10},
	AESCM128HMACSHA1_32: {"AES_CM_128_HMAC_SHA1_32", pionsrtp.ProtectionProfileAes128CmHmacSha1_32, 16, 14, 4},
}

// SupportedSuites returns the supported suites in our order of preference,
// the order Offer uses by default.
func SupportedSuites() []Suite { return []Suite{AESCM128HMACSHA1_80, AESCM128HMACSHA1_32} }

// ParseSuite maps an SDES suite name (case-insensitive) to a Suite.
func ParseSuite(name string) (Suite, error) {
	for s := Suite(1); int(s) < len(suiteTable); s++ {
		if strings.EqualFold(name, suiteTable[s].name) {
			return s, nil
		}
	}
	return 0, fmt.Errorf("%w %.64q (supported: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32)", ErrUnsupportedSuite, name)
}

// Valid reports whether s is a supported suite.
func (s Suite) Valid() bool { return s != 0 && int(s) < len(suiteTable) }

// String returns the SDES name, or "Suite(n)" for an invalid value.
func (s Suite) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Suite(%d)", uint8(s))
	}
	return suiteTable[s].name
}

// KeyLen is the master key size in bytes.
func (s Suite) KeyLen() int { return s.info().keyLen }

// SaltLen is the master salt size in bytes.
func (s Suite) SaltLen() int { return s.info().saltLen }

// AuthTagLen is the size of the authentication tag appended to each SRTP
// packet.
func (s Suite) AuthTagLen() int { return s.info().tagLen }

func (s Suite) info() suiteInfo {
	if !s.Valid() {
		return suiteInfo{}
	}
	return suiteTable[s]
}
