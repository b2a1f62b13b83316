package srtp

import (
	"testing"
)

// One op is one 172-byte G.711 packet (12-byte header, 160 bytes of
// PCMU), so ns/op and allocs/op are per packet.

func BenchmarkEncrypt(b *testing.B) {
	for _, s := range SupportedSuites() {
		b.Run(s.String(), func(b *testing.B) {
			enc, _ := pair(b, mustNewKey(b, s))
			pkt := g711Packet(1, 0xa)
			dst := make([]byte, 0, 256)
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			seq := uint16(1)
			for b.Loop() {
				seq++
				pkt[2], pkt[3] = byte(seq>>8), byte(seq)
				if _, err := enc.Encrypt(dst, pkt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt decrypts a stream of distinct packets (replay
// protection rejects repeats), encrypted in batches outside the timer.
func BenchmarkDecrypt(b *testing.B) {
	const batch = 4096
	for _, s := range SupportedSuites() {
		b.Run(s.String(), func(b *testing.B) {
			key := mustNewKey(b, s)
			enc, dec := pair(b, key)
			sealed := make([][]byte, batch)
			for i := range sealed {
				sealed[i] = make([]byte, 0, 256)
			}
			seq := uint16(0)
			refill := func() {
				for i := range sealed {
					seq++
					out, err := enc.Encrypt(sealed[i][:0], g711Packet(seq, 0xa))
					if err != nil {
						b.Fatal(err)
					}
					sealed[i] = out
				}
			}
			refill()
			if _, err := dec.Decrypt(make([]byte, 0, 256), sealed[0]); err != nil { // first packet of the SSRC, outside the timer
				b.Fatal(err)
			}
			dst := make([]byte, 0, 256)
			b.SetBytes(int64(len(sealed[0]) - dec.Overhead()))
			b.ReportAllocs()
			b.ResetTimer()
			next := 1
			for i := 0; i < b.N; i++ {
				if next == batch {
					b.StopTimer()
					refill()
					next = 0
					b.StartTimer()
				}
				if _, err := dec.Decrypt(dst, sealed[next]); err != nil {
					b.Fatal(err)
				}
				next++
			}
		})
	}
}
