package registrar

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestRegistrarApply(t *testing.T) {
	src := netip.MustParseAddrPort("127.0.0.1:5070")
	type step struct {
		req     Request
		advance time.Duration
		wantErr error
		want    []string // contacts from Lookup after the step
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"register and expire", []step{
			{req: Request{AOR: "101", CallID: "a", CSeq: 1, Contacts: []Update{{"sip:101@h1", time.Minute}}}, want: []string{"sip:101@h1"}},
			{advance: 61 * time.Second, want: nil},
		}},
		{"two contacts then unregister one", []step{
			{req: Request{AOR: "101", CallID: "a", CSeq: 1, Contacts: []Update{{"sip:101@h1", time.Minute}}}, want: []string{"sip:101@h1"}},
			{req: Request{AOR: "101", CallID: "b", CSeq: 1, Contacts: []Update{{"sip:101@h2", 2 * time.Minute}}}, want: []string{"sip:101@h2", "sip:101@h1"}},
			{req: Request{AOR: "101", CallID: "a", CSeq: 2, Contacts: []Update{{"sip:101@h1", 0}}}, want: []string{"sip:101@h2"}},
		}},
		{"out of order cseq refused", []step{
			{req: Request{AOR: "101", CallID: "a", CSeq: 5, Contacts: []Update{{"sip:101@h1", time.Minute}}}, want: []string{"sip:101@h1"}},
			{req: Request{AOR: "101", CallID: "a", CSeq: 5, Contacts: []Update{{"sip:101@h1", 0}}}, wantErr: ErrOutOfOrder, want: []string{"sip:101@h1"}},
		}},
		{"wildcard removes all", []step{
			{req: Request{AOR: "101", CallID: "a", CSeq: 1, Contacts: []Update{{"sip:101@h1", time.Minute}, {"sip:101@h2", time.Minute}}}, want: []string{"sip:101@h1", "sip:101@h2"}},
			{req: Request{AOR: "101", CallID: "z", CSeq: 1, Wildcard: true, Contacts: []Update{{"*", 0}}}, want: nil},
		}},
		{"wildcard with expires refused", []step{
			{req: Request{AOR: "101", CallID: "z", CSeq: 1, Wildcard: true, Contacts: []Update{{"*", time.Minute}}}, wantErr: ErrBadWildcard},
		}},
		{"too many contacts", []step{
			{req: Request{AOR: "101", CallID: "a", CSeq: 1, Contacts: []Update{{"sip:1@a", time.Minute}, {"sip:1@b", time.Minute}, {"sip:1@c", time.Minute}}}, wantErr: ErrTooManyContacts},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1000, 0)}
			r := New(Options{MaxContactsPerAOR: 2, Now: clk.now})
			for i, s := range tc.steps {
				clk.t = clk.t.Add(s.advance)
				if s.req.AOR != "" {
					s.req.Source = src
					_, err := r.Apply(s.req)
					if !errors.Is(err, s.wantErr) {
						t.Fatalf("step %d: err %v, want %v", i, err, s.wantErr)
					}
				}
				got := r.Lookup("101")
				if len(got) != len(s.want) {
					t.Fatalf("step %d: got %d bindings %+v, want %v", i, len(got), got, s.want)
				}
				for j := range got {
					if got[j].Contact != s.want[j] || got[j].Source != src {
						t.Fatalf("step %d: binding %d = %+v, want %s", i, j, got[j], s.want[j])
					}
				}
			}
		})
	}
}

func TestRegistrarCount(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	r := New(Options{Now: clk.now})
	for _, aor := range []string{"101", "102"} {
		if _, err := r.Apply(Request{AOR: aor, CallID: aor, CSeq: 1, Contacts: []Update{{"sip:" + aor + "@h", time.Minute}}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Count(); n != 2 {
		t.Fatalf("count %d", n)
	}
	r.Remove("101")
	clk.t = clk.t.Add(2 * time.Minute)
	if n := r.Count(); n != 0 {
		t.Fatalf("count after expiry %d", n)
	}
}
