package digest

import (
	"testing"

	icholy "github.com/icholy/digest"
)

// TestCompatibleWithIcholyClient checks that a client built on
// github.com/icholy/digest (the library sipgo uses to answer challenges)
// can log in using each of our challenges.
func TestCompatibleWithIcholyClient(t *testing.T) {
	clock := newFakeClock()
	s := newTestServer(t, clock, "MD5", "SHA-256", "SHA-512-256")
	for _, challenge := range s.Challenges(phoneAddr, false) {
		t.Run(challenge, func(t *testing.T) {
			chal, err := icholy.ParseChallenge(challenge)
			if err != nil {
				t.Fatalf("icholy cannot parse our challenge: %v", err)
			}
			for count := 1; count <= 2; count++ {
				header, err := icholy.Digest(chal, icholy.Options{
					Method: testMethod, URI: testURI, Username: testUser, Password: testPassword, Count: count,
				})
				if err != nil {
					t.Fatalf("icholy.Digest: %v", err)
				}
				cred, err := ParseCredentials(header.String())
				if err != nil {
					t.Fatalf("ParseCredentials(%q): %v", header.String(), err)
				}
				if got := s.Verify(testMethod, cred, phoneAddr, testPassword, true); got != OK {
					t.Errorf("count %d: Verify(%q) = %v, want OK", count, header.String(), got)
				}
				if got := s.Verify(testMethod, cred, phoneAddr, "wrong", true); got != Invalid {
					t.Errorf("count %d: wrong password gave %v, want Invalid", count, got)
				}
			}
		})
	}
}
