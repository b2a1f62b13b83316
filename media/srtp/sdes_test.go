package srtp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testKeyB64 is libsrtp's test master key and salt
// (e1f97a0d3e018be0d64fa32c06de4139 || 0ec675ad498afeebb6960b3aabe6).
const testKeyB64 = "4fl6DT4Bi+DWT6MsBt5BOQ7Gda1Jiv7rtpYLOqvm"

var parseCases = []struct {
	name    string
	attr    string
	wantErr error // nil: must parse
	want    Crypto
}{
	{"80", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64, nil,
		Crypto{Tag: 1, Key: Key{Suite: AESCM128HMACSHA1_80}}},
	{"32 with a=crypto prefix and CRLF", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64 + "\r\n", nil,
		Crypto{Tag: 2, Key: Key{Suite: AESCM128HMACSHA1_32}}},
	{"lower case suite and method", "crypto:7 aes_cm_128_hmac_sha1_80 INLINE:" + testKeyB64, nil,
		Crypto{Tag: 7, Key: Key{Suite: AESCM128HMACSHA1_80}}},
	{"lifetime power of two", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|2^20", nil,
		Crypto{Tag: 1, Key: Key{Suite: AESCM128HMACSHA1_80, Lifetime: 1 << 20}}},
	{"lifetime decimal", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|1000000", nil,
		Crypto{Tag: 1, Key: Key{Suite: AESCM128HMACSHA1_80, Lifetime: 1000000}}},
	{"lifetime and MKI", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|2^20|1:4", nil,
		Crypto{Tag: 1, Key: Key{Suite: AESCM128HMACSHA1_80, Lifetime: 1 << 20, MKI: []byte{0, 0, 0, 1}}}},
	{"MKI only", "9 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64 + "|258:2", nil,
		Crypto{Tag: 9, Key: Key{Suite: AESCM128HMACSHA1_32, MKI: []byte{1, 2}}}},
	{"accepted session params", "123456789 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " WSH=128 KDR=0 FEC_ORDER=FEC_SRTP -X-VENDOR", nil,
		Crypto{Tag: 123456789, Key: Key{Suite: AESCM128HMACSHA1_80}, Params: []string{"WSH=128", "KDR=0", "FEC_ORDER=FEC_SRTP", "-X-VENDOR"}}},
	{"extra spaces", "  3   AES_CM_128_HMAC_SHA1_80\tinline:" + testKeyB64 + "  ", nil,
		Crypto{Tag: 3, Key: Key{Suite: AESCM128HMACSHA1_80}}},

	{"empty", "", ErrMalformedCrypto, Crypto{}},
	{"two fields", "1 AES_CM_128_HMAC_SHA1_80", ErrMalformedCrypto, Crypto{}},
	{"tag not digits", "x AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64, ErrMalformedCrypto, Crypto{}},
	{"tag too long", "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64, ErrMalformedCrypto, Crypto{}},
	{"negative tag", "-1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64, ErrMalformedCrypto, Crypto{}},
	{"AES-256 suite", "1 AES_256_CM_HMAC_SHA1_80 inline:" + testKeyB64 + testKeyB64[:24], ErrUnsupportedSuite, Crypto{}},
	{"GCM suite", "1 AEAD_AES_128_GCM inline:" + testKeyB64, ErrUnsupportedSuite, Crypto{}},
	{"F8 suite", "1 F8_128_HMAC_SHA1_80 inline:" + testKeyB64, ErrUnsupportedSuite, Crypto{}},
	{"not inline", "1 AES_CM_128_HMAC_SHA1_80 uri:" + testKeyB64, ErrMalformedCrypto, Crypto{}},
	{"no key method", "1 AES_CM_128_HMAC_SHA1_80 " + testKeyB64, ErrMalformedCrypto, Crypto{}},
	{"key one char short", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64[1:], ErrMalformedCrypto, Crypto{}},
	{"key one char long", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "A", ErrMalformedCrypto, Crypto{}},
	{"key with padding", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64[:38] + "==", ErrMalformedCrypto, Crypto{}},
	{"key URL alphabet", "1 AES_CM_128_HMAC_SHA1_80 inline:" + strings.NewReplacer("+", "-", "/", "_").Replace(testKeyB64), ErrMalformedCrypto, Crypto{}},
	{"key bad character", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64[:39] + "*", ErrMalformedCrypto, Crypto{}},
	{"empty key", "1 AES_CM_128_HMAC_SHA1_80 inline:", ErrMalformedCrypto, Crypto{}},
	{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|1:1;inline:" + testKeyB64 + "|2:1", ErrUnsupportedParam, Crypto{}},
	{"lifetime zero", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|0", ErrMalformedCrypto, Crypto{}},
	{"lifetime above 2^48", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|2^49", ErrMalformedCrypto, Crypto{}},
	{"lifetime junk", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|2^x", ErrMalformedCrypto, Crypto{}},
	{"MKI length zero", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|1:0", ErrMalformedCrypto, Crypto{}},
	{"MKI length 129", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|1:129", ErrMalformedCrypto, Crypto{}},
	{"MKI value too big", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|256:1", ErrMalformedCrypto, Crypto{}},
	{"MKI before lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|1:4|2^20", ErrMalformedCrypto, Crypto{}},
	{"four key-info fields", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|2^20|1:4|x", ErrMalformedCrypto, Crypto{}},
	{"KDR", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " KDR=10", ErrUnsupportedParam, Crypto{}},
	{"unencrypted SRTP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " UNENCRYPTED_SRTP", ErrUnsupportedParam, Crypto{}},
	{"unauthenticated SRTP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " UNAUTHENTICATED_SRTP", ErrUnsupportedParam, Crypto{}},
	{"unencrypted SRTCP", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " UNENCRYPTED_SRTCP", ErrUnsupportedParam, Crypto{}},
	{"unknown param", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " FEC_KEY=inline:" + testKeyB64, ErrUnsupportedParam, Crypto{}},
	{"bad WSH", "1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " WSH=x", ErrUnsupportedParam, Crypto{}},
}

func TestParseCrypto(t *testing.T) {
	master, salt := testMaster(), testSalt()
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseCrypto(c.attr)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				if strings.Contains(err.Error(), testKeyB64[:20]) {
					t.Fatalf("error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCrypto: %v", err)
			}
			want := c.want
			want.Key.Master, want.Key.Salt = master, salt
			if !cryptoEqual(got, want) {
				t.Fatalf("got %#v %x %x %v, want %#v", got, got.Key.Master, got.Key.Salt, got.Params, want)
			}
			// Value round-trips.
			again, err := ParseCrypto(got.Value())
			if err != nil || !cryptoEqual(again, got) {
				t.Fatalf("reparse of %v: %+v, %v", got, again, err)
			}
		})
	}
}

func cryptoEqual(a, b Crypto) bool {
	return a.Tag == b.Tag && a.Key.Suite == b.Key.Suite && bytes.Equal(a.Key.Master, b.Key.Master) &&
		bytes.Equal(a.Key.Salt, b.Key.Salt) && a.Key.Lifetime == b.Key.Lifetime &&
		bytes.Equal(a.Key.MKI, b.Key.MKI) && strings.Join(a.Params, " ") == strings.Join(b.Params, " ")
}

func TestValueFormat(t *testing.T) {
	c := Crypto{Tag: 4, Key: Key{Suite: AESCM128HMACSHA1_80, Master: testMaster(), Salt: testSalt(), Lifetime: 1 << 31, MKI: []byte{0, 5}}}
	want := "4 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + "|2^31|5:2"
	if got := c.Value(); got != want {
		t.Fatalf("Value() = %q, want %q", got, want)
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	c, err := ParseCrypto("1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		fmt.Sprint(c), fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprint(c.Key), fmt.Sprintf("%#v", c.Key),
		fmt.Sprint(Negotiated{Local: c, Remote: c}), fmt.Sprintf("%#v", Negotiated{Local: c}),
	} {
		if strings.Contains(s, testKeyB64[:8]) || strings.Contains(s, "e1f97a0d") || strings.Contains(s, "225 249") {
			t.Fatalf("key material printed: %s", s)
		}
	}
}

func TestOffer(t *testing.T) {
	offer, err := Offer()
	if err != nil {
		t.Fatal(err)
	}
	if len(offer) != 2 || offer[0].Tag != 1 || offer[0].Key.Suite != AESCM128HMACSHA1_80 ||
		offer[1].Tag != 2 || offer[1].Key.Suite != AESCM128HMACSHA1_32 {
		t.Fatalf("Offer() = %v", offer)
	}
	if bytes.Equal(offer[0].Key.Master, offer[1].Key.Master) {
		t.Fatal("two offered lines share a key")
	}
	for _, c := range offer {
		if err := c.Key.Validate(); err != nil {
			t.Fatal(err)
		}
		again, err := ParseCrypto(c.Value())
		if err != nil || !cryptoEqual(again, c) {
			t.Fatalf("offered %q does not parse back: %v", c.Value(), err)
		}
	}
	only32, err := Offer(AESCM128HMACSHA1_32)
	if err != nil || len(only32) != 1 || only32[0].Key.Suite != AESCM128HMACSHA1_32 {
		t.Fatalf("Offer(32) = %v, %v", only32, err)
	}
	if _, err := Offer(Suite(9)); !errors.Is(err, ErrUnsupportedSuite) {
		t.Fatalf("Offer(invalid) err = %v", err)
	}
}

func TestAnswer(t *testing.T) {
	cases := []struct {
		name    string
		offer   []string
		wantTag uint32
		want    Suite
		wantErr error
	}{
		{"first of two", []string{
			"1 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64,
			"2 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64}, 1, AESCM128HMACSHA1_80, nil},
		{"offer order, not ours", []string{
			"5 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64,
			"6 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64}, 5, AESCM128HMACSHA1_32, nil},
		{"skips unsupported", []string{
			"1 AEAD_AES_256_GCM inline:" + testKeyB64,
			"2 AES_256_CM_HMAC_SHA1_80 inline:" + testKeyB64,
			"3 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64 + " UNENCRYPTED_SRTP",
			"4 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64}, 4, AESCM128HMACSHA1_32, nil},
		{"none usable", []string{"1 AEAD_AES_256_GCM inline:" + testKeyB64, "garbage"}, 0, 0, ErrNoUsableCrypto},
		{"empty offer", nil, 0, 0, ErrNoUsableCrypto},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := Answer(c.offer)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n.Local.Tag != c.wantTag || n.Remote.Tag != c.wantTag || n.Local.Key.Suite != c.want || n.Remote.Key.Suite != c.want {
				t.Fatalf("answer = local %v, remote %v; want tag %d %v", n.Local, n.Remote, c.wantTag, c.want)
			}
			if bytes.Equal(n.Local.Key.Master, n.Remote.Key.Master) {
				t.Fatal("answer reuses the offerer's key")
			}
			if !bytes.Equal(n.Remote.Key.Master, testMaster()) {
				t.Fatal("remote key is not the offered one")
			}
			if !strings.HasPrefix(n.Local.Value(), fmt.Sprintf("%d %v inline:", c.wantTag, c.want)) {
				t.Fatalf("answer value %q", n.Local.Value())
			}
		})
	}
	_, err := Answer([]string{"1 AEAD_AES_256_GCM inline:x", "2 AES_CM_128_HMAC_SHA1_80 inline:short"})
	if !errors.Is(err, ErrUnsupportedSuite) || !errors.Is(err, ErrMalformedCrypto) {
		t.Fatalf("Answer error %v does not carry each line's reason", err)
	}
}

func TestOfferAnswerExchange(t *testing.T) {
	offer, err := Offer()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range offer {
		lines = append(lines, "a=crypto:"+c.Value())
	}
	answerer, err := Answer(lines)
	if err != nil {
		t.Fatal(err)
	}
	offerer, err := MatchAnswer(offer, answerer.Local.Value())
	if err != nil {
		t.Fatal(err)
	}
	// Each side's local key is the other's remote key.
	if !bytes.Equal(offerer.Local.Key.Master, answerer.Remote.Key.Master) || !bytes.Equal(offerer.Remote.Key.Master, answerer.Local.Key.Master) {
		t.Fatal("keys do not cross over")
	}
	// And media flows both ways.
	offDec, offEnc, err := offerer.Contexts()
	if err != nil {
		t.Fatal(err)
	}
	ansDec, ansEnc, err := answerer.Contexts()
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []struct {
		enc *Encrypter
		dec *Decrypter
	}{{offEnc, ansDec}, {ansEnc, offDec}} {
		pkt := g711Packet(1, 0x1234)
		sealed, err := dir.enc.Encrypt(make([]byte, 0, 256), pkt)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := dir.dec.Decrypt(make([]byte, 0, 256), sealed)
		if err != nil || !bytes.Equal(plain, pkt) {
			t.Fatalf("decrypt: %v", err)
		}
	}
}

func TestMatchAnswer(t *testing.T) {
	offer, err := Offer()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		answer  string
		wantErr error
		want    uint32
	}{
		{"second line", "2 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64, nil, 2},
		{"unknown tag", "3 AES_CM_128_HMAC_SHA1_80 inline:" + testKeyB64, ErrAnswerMismatch, 0},
		{"suite differs", "1 AES_CM_128_HMAC_SHA1_32 inline:" + testKeyB64, ErrAnswerMismatch, 0},
		{"malformed", "1 AES_CM_128_HMAC_SHA1_80 inline:abc", ErrMalformedCrypto, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := MatchAnswer(offer, c.answer)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if err == nil && (n.Local.Tag != c.want || !bytes.Equal(n.Local.Key.Master, offer[c.want-1].Key.Master)) {
				t.Fatalf("local = %v", n.Local)
			}
		})
	}
}

func FuzzParseCrypto(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.attr)
	}
	f.Fuzz(func(t *testing.T, attr string) {
		c, err := ParseCrypto(attr)
		if err != nil {
			return
		}
		if err := c.Key.Validate(); err != nil {
			t.Fatalf("parsed key does not validate: %v", err)
		}
		again, err := ParseCrypto(c.Value())
		if err != nil || !cryptoEqual(again, c) {
			t.Fatalf("Value %q does not parse back to the same: %v", c.Value(), err)
		}
	})
}
