package listen

import (
	"testing"
	"time"
)

func TestMergePairsCopies(t *testing.T) {
	t.Parallel()
	type in struct {
		ms  int
		src source
		key byte
	}
	E, I := outOfBand, inBand
	for _, c := range []struct {
		name string
		ins  []in
		want string
	}{
		{"events only", []in{{0, E, '1'}, {200, E, '2'}, {400, E, '2'}}, "122"},
		{"tones only", []in{{0, I, '1'}, {200, I, '1'}}, "11"},
		{"both, event first", []in{{0, E, '1'}, {60, I, '1'}, {200, E, '2'}, {260, I, '2'}}, "12"},
		{"both, tone first", []in{{0, I, '5'}, {30, E, '5'}}, "5"},
		{"quick repeat of one key with both", []in{{0, E, '1'}, {60, I, '1'}, {200, E, '1'}, {260, I, '1'}}, "11"},
		{"copies too far apart are two presses", []in{{0, E, '3'}, {900, I, '3'}}, "33"},
		{"different keys are not paired", []in{{0, E, '1'}, {50, I, '2'}}, "12"},
		{"an unpaired tone still pairs later copies one to one", []in{{0, E, '4'}, {10, E, '4'}, {40, I, '4'}, {60, I, '4'}, {80, I, '4'}}, "444"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var now time.Time
			l, err := New(Config{Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range c.ins {
				now = base.Add(time.Duration(x.ms) * time.Millisecond)
				l.heard(x.key, x.src)
			}
			var got []byte
			for len(l.digits) > 0 {
				got = append(got, <-l.digits)
			}
			if string(got) != c.want {
				t.Fatalf("delivered %q, want %q", got, c.want)
			}
		})
	}
}

func TestMergeOverflowCounted(t *testing.T) {
	t.Parallel()
	l, _ := New(Config{Buffer: 2})
	for _, k := range []byte("1234") {
		l.heard(k, inBand)
	}
	if s := l.Stats(); s.Delivered != 2 || s.Overflow != 2 {
		t.Fatalf("stats %+v", s)
	}
}
