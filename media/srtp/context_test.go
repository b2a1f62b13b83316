package srtp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/pion/transport/v2/replaydetector"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func testMaster() []byte { return mustHex("e1f97a0d3e018be0d64fa32c06de4139") }
func testSalt() []byte   { return mustHex("0ec675ad498afeebb6960b3aabe6") }

func testKey(s Suite) Key { return Key{Suite: s, Master: testMaster(), Salt: testSalt()} }

// g711Packet is a 172-byte RTP packet: 12-byte header, 160 bytes of PCMU.
func g711Packet(seq uint16, ssrc uint32) []byte {
	b := make([]byte, 172)
	b[0] = 0x80
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], uint32(seq)*160)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	for i := 12; i < len(b); i++ {
		b[i] = byte(i) ^ 0xff
	}
	return b
}

// libsrtp's srtp_validate vector (test/srtp_driver.c): SSRC 0xcafebabe,
// sequence number 0x1234, ROC 0, sixteen 0xab payload bytes.
func TestKnownVectors(t *testing.T) {
	plain := mustHex("800f1234decafbadcafebabeabababababababababababababababab")
	cases := []struct {
		suite  Suite
		sealed []byte
	}{
		{AESCM128HMACSHA1_80, mustHex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb")},
		{AESCM128HMACSHA1_32, mustHex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc")},
	}
	for _, c := range cases {
		t.Run(c.suite.String(), func(t *testing.T) {
			enc, err := NewEncrypter(testKey(c.suite))
			if err != nil {
				t.Fatal(err)
			}
			got, err := enc.Encrypt(make([]byte, 0, 64), plain)
			if err != nil || !bytes.Equal(got, c.sealed) {
				t.Fatalf("Encrypt = %x, %v; want %x", got, err, c.sealed)
			}
			dec, err := NewDecrypter(testKey(c.suite))
			if err != nil {
				t.Fatal(err)
			}
			got, err = dec.Decrypt(make([]byte, 0, 64), c.sealed)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("Decrypt = %x, %v; want %x", got, err, plain)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	withMKI := testKey(AESCM128HMACSHA1_80)
	withMKI.MKI = []byte{0, 0, 0, 7}
	cases := []struct {
		name     string
		key      Key
		overhead int
	}{
		{"80", testKey(AESCM128HMACSHA1_80), 10},
		{"32", testKey(AESCM128HMACSHA1_32), 4},
		{"80 with MKI", withMKI, 14},
		{"fresh key", mustNewKey(t, AESCM128HMACSHA1_80), 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, dec := pair(t, c.key)
			if enc.Overhead() != c.overhead || dec.Overhead() != c.overhead {
				t.Fatalf("overhead %d/%d, want %d", enc.Overhead(), dec.Overhead(), c.overhead)
			}
			sealed := make([]byte, 0, 200)
			plain := make([]byte, 0, 200)
			// Start near the top of the sequence space so the
			// rollover counter has to advance on both sides.
			for seq := uint16(65530); seq != 10; seq++ {
				pkt := g711Packet(seq, 0xdecafbad)
				out, err := enc.Encrypt(sealed, pkt)
				if err != nil {
					t.Fatalf("seq %d: Encrypt: %v", seq, err)
				}
				if len(out) != len(pkt)+c.overhead || bytes.Equal(out[12:172], pkt[12:]) || !bytes.Equal(out[:12], pkt[:12]) {
					t.Fatalf("seq %d: sealed packet % x", seq, out)
				}
				got, err := dec.Decrypt(plain, out)
				if err != nil || !bytes.Equal(got, pkt) {
					t.Fatalf("seq %d: Decrypt = %v", seq, err)
				}
			}
		})
	}
}

func TestRejects(t *testing.T) {
	type step struct {
		seq     uint16
		mutate  func(b []byte) []byte // applied to the sealed packet
		wantErr error
	}
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte {
			if i < 0 {
				i += len(b)
			}
			b[i] ^= 0x01
			return b
		}
	}
	cases := []struct {
		name  string
		suite Suite
		steps []step
	}{
		{"replay", AESCM128HMACSHA1_80, []step{{100, nil, nil}, {100, nil, ErrReplayed}, {101, nil, nil}, {100, nil, ErrReplayed}}},
		{"reordered within window accepted once", AESCM128HMACSHA1_80, []step{
			{100, nil, nil}, {110, nil, nil}, {105, nil, nil}, {105, nil, ErrReplayed}, {47, nil, nil}, {46, nil, ErrReplayed}}},
		{"too old", AESCM128HMACSHA1_32, []step{{1000, nil, nil}, {1064, nil, nil}, {1000, nil, ErrReplayed}, {1001, nil, nil}}},
		{"tag bit flipped 80", AESCM128HMACSHA1_80, []step{{5, flip(-1), ErrAuthFailed}, {5, nil, nil}}},
		{"tag bit flipped 32", AESCM128HMACSHA1_32, []step{{5, flip(-4), ErrAuthFailed}, {5, nil, nil}}},
		{"payload bit flipped", AESCM128HMACSHA1_80, []step{{5, flip(40), ErrAuthFailed}}},
		{"header bit flipped", AESCM128HMACSHA1_80, []step{{5, nil, nil}, {6, flip(1), ErrAuthFailed}, {6, nil, nil}}},
		{"tag cut", AESCM128HMACSHA1_80, []step{{5, func(b []byte) []byte { return b[:len(b)-1] }, ErrAuthFailed}}},
		{"shorter than header and tag", AESCM128HMACSHA1_80, []step{{5, func(b []byte) []byte { return b[:21] }, ErrMalformedPacket}}},
		{"version 0", AESCM128HMACSHA1_80, []step{{5, func(b []byte) []byte { b[0] &^= 0xc0; return b }, ErrMalformedPacket}}},
		{"CSRC overrun", AESCM128HMACSHA1_80, []step{{5, func(b []byte) []byte { b[0] |= 0x0f; return b[:60] }, ErrMalformedPacket}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, dec := pair(t, testKey(c.suite))
			for i, s := range c.steps {
				pkt := g711Packet(s.seq, 0xa)
				sealed, err := enc.Encrypt(nil, pkt)
				if err != io.ErrShortBuffer {
					t.Fatalf("Encrypt(nil dst) err = %v, want io.ErrShortBuffer", err)
				}
				sealed, err = enc.Encrypt(make([]byte, 0, 200), pkt)
				if err != nil {
					t.Fatal(err)
				}
				if s.mutate != nil {
					sealed = s.mutate(sealed)
				}
				got, err := dec.Decrypt(make([]byte, 0, 200), sealed)
				if err != s.wantErr { // bare sentinels, compared directly
					t.Fatalf("step %d (seq %d): err = %v, want %v", i, s.seq, err, s.wantErr)
				}
				if err == nil && !bytes.Equal(got, pkt) {
					t.Fatalf("step %d: wrong plaintext", i)
				}
			}
		})
	}
}

func TestWrongKeyAndShortBuffer(t *testing.T) {
	enc, _ := pair(t, testKey(AESCM128HMACSHA1_80))
	_, other := pair(t, mustNewKey(t, AESCM128HMACSHA1_80))
	sealed, err := enc.Encrypt(make([]byte, 0, 200), g711Packet(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Decrypt(make([]byte, 0, 200), sealed); err != ErrAuthFailed {
		t.Fatalf("wrong key: err = %v, want ErrAuthFailed", err)
	}
	if _, err := other.Decrypt(make([]byte, 0, 171), sealed); err != io.ErrShortBuffer {
		t.Fatalf("short dst: err = %v, want io.ErrShortBuffer", err)
	}
	if _, err := enc.Encrypt(make([]byte, 0, 200), []byte{1, 2, 3}); err != ErrMalformedPacket {
		t.Fatalf("Encrypt(junk) err = %v", err)
	}
}

func TestBadKeys(t *testing.T) {
	short := testKey(AESCM128HMACSHA1_80)
	short.Salt = short.Salt[:13]
	for _, k := range []Key{{}, {Suite: 9, Master: testMaster(), Salt: testSalt()}, short, {Suite: AESCM128HMACSHA1_80, Master: testMaster()[:15], Salt: testSalt()}} {
		if _, err := NewEncrypter(k); err == nil {
			t.Errorf("NewEncrypter(%v) succeeded", k)
		}
		if _, err := NewDecrypter(k); err == nil {
			t.Errorf("NewDecrypter(%v) succeeded", k)
		}
	}
}

// TestForgedSSRCsDoNotGrowState floods a Decrypter with packets of random
// SSRCs that do not authenticate: none becomes known, and a real stream
// that starts afterwards decrypts with replay protection.
func TestForgedSSRCsDoNotGrowState(t *testing.T) {
	enc, dec := pair(t, testKey(AESCM128HMACSHA1_80))
	rng := rand.New(rand.NewPCG(1, 2))
	dst := make([]byte, 0, 200)
	forged := g711Packet(1, 0)
	for i := range 1000 {
		binary.BigEndian.PutUint32(forged[8:], rng.Uint32())
		binary.BigEndian.PutUint16(forged[2:], uint16(i))
		if _, err := dec.Decrypt(dst, append(forged, make([]byte, 10)...)); err != ErrAuthFailed {
			t.Fatalf("forged packet %d: err = %v", i, err)
		}
	}
	if len(dec.known) != 0 || dec.probeUses > probeRebuildAfter {
		t.Fatalf("after the flood: %d known SSRCs, probe used %d times", len(dec.known), dec.probeUses)
	}
	for _, ssrc := range []uint32{0xcafe, 0xbabe} {
		sealed, err := enc.Encrypt(make([]byte, 0, 200), g711Packet(9, ssrc))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dec.Decrypt(dst, sealed); err != nil {
			t.Fatalf("first real packet of %#x: %v", ssrc, err)
		}
		if _, err := dec.Decrypt(dst, sealed); err != ErrReplayed {
			t.Fatalf("replay of the first packet of %#x: err = %v, want ErrReplayed", ssrc, err)
		}
	}
	if len(dec.known) != 2 {
		t.Fatalf("known = %x", dec.known)
	}
}

func TestTooManySSRCs(t *testing.T) {
	enc, dec := pair(t, testKey(AESCM128HMACSHA1_32))
	dst := make([]byte, 0, 200)
	for ssrc := uint32(0); ssrc <= maxSSRCs; ssrc++ {
		sealed, err := enc.Encrypt(make([]byte, 0, 200), g711Packet(1, ssrc))
		if err != nil {
			t.Fatal(err)
		}
		_, err = dec.Decrypt(dst, sealed)
		if want := error(nil); ssrc == maxSSRCs && err != ErrTooManySSRCs || ssrc < maxSSRCs && err != want {
			t.Fatalf("SSRC %d: err = %v", ssrc, err)
		}
	}
}

// TestReplayWindowMatchesPion drives our window and pion's
// replaydetector.New(64, 2^48-1) with the same random index sequences.
func TestReplayWindowMatchesPion(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for run := range 200 {
		var rejected bool
		ours := newReplayWindow(&rejected)
		theirs := replaydetector.New(ReplayWindow, maxIndex)
		base := uint64(rng.IntN(1 << 20))
		if run%10 == 0 {
			base = maxIndex - 100
		}
		for i := range 300 {
			idx := base + uint64(rng.IntN(200))
			if rng.IntN(50) == 0 {
				idx = uint64(rng.Int64N(maxIndex + 10))
			}
			authentic := rng.IntN(4) != 0 // accept only "authenticated" packets
			rejected = false
			okAccept, ok := ours.Check(idx)
			theirAccept, theirOK := theirs.Check(idx)
			if ok != theirOK || rejected == ok {
				t.Fatalf("run %d step %d index %d: ours %v (flag %v), pion %v", run, i, idx, ok, rejected, theirOK)
			}
			if ok && authentic {
				okAccept()
				theirAccept()
			}
			base += uint64(rng.IntN(3))
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	enc, err := NewEncrypter(testKey(AESCM128HMACSHA1_80))
	if err != nil {
		f.Fatal(err)
	}
	for seq := uint16(1); seq < 4; seq++ {
		sealed, err := enc.Encrypt(make([]byte, 0, 200), g711Packet(seq, 0xa))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sealed)
	}
	f.Add(mustHex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb"))
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 9})
	f.Add([]byte{0x9f, 0, 0, 1})
	dst := make([]byte, 0, 2048)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if len(pkt) > 2048 {
			return
		}
		// A fresh Decrypter per input keeps the target deterministic
		// (replay state would otherwise depend on earlier inputs).
		dec, err := NewDecrypter(testKey(AESCM128HMACSHA1_80))
		if err != nil {
			t.Fatal(err)
		}
		out, err := dec.Decrypt(dst, pkt)
		if err != nil {
			return
		}
		if len(out) != len(pkt)-dec.Overhead() || !bytes.Equal(out[:12], pkt[:12]) {
			t.Fatalf("decrypted %d bytes from %d", len(out), len(pkt))
		}
	})
}

func pair(t testing.TB, k Key) (*Encrypter, *Decrypter) {
	t.Helper()
	enc, err := NewEncrypter(k)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecrypter(k)
	if err != nil {
		t.Fatal(err)
	}
	return enc, dec
}

func mustNewKey(t testing.TB, s Suite) Key {
	t.Helper()
	k, err := NewKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
