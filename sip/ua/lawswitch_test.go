package ua

import (
	"slices"
	"testing"

	"github.com/gatepbx/gatepbx/sip/sdp"
)

func TestLawSwitch(t *testing.T) {
	g722 := sdp.Format{PT: 9, Name: "G722", Rate: 8000, Channels: 1}
	te96 := sdp.Format{PT: 96, Name: "telephone-event", Rate: 8000}
	cases := []struct {
		name             string
		current, offered []sdp.Format
		want             []sdp.Format // nil: refuse (488)
	}{
		{"PCMA to PCMU", []sdp.Format{sdp.PCMA, sdp.TelephoneEvent}, []sdp.Format{sdp.PCMU, sdp.TelephoneEvent}, []sdp.Format{sdp.PCMU, sdp.TelephoneEvent}},
		{"PCMU to PCMA, event type renumbered", []sdp.Format{sdp.PCMU, sdp.TelephoneEvent}, []sdp.Format{sdp.PCMA, te96}, []sdp.Format{sdp.PCMA, te96}},
		{"no events before, none after", []sdp.Format{sdp.PCMU}, []sdp.Format{sdp.PCMA, sdp.TelephoneEvent}, []sdp.Format{sdp.PCMA}},
		{"first G.711 of the offer", []sdp.Format{sdp.PCMU}, []sdp.Format{g722, sdp.PCMA}, []sdp.Format{sdp.PCMA}},
		{"offer without G.711", []sdp.Format{sdp.PCMA}, []sdp.Format{g722, sdp.TelephoneEvent}, nil},
		{"leg not on G.711", []sdp.Format{g722}, []sdp.Format{sdp.PCMU}, nil},
	}
	srv := &Server{opts: Options{Codecs: []sdp.Format{sdp.PCMU, sdp.PCMA, g722, sdp.TelephoneEvent}}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &legBase{srv: srv, formats: c.current}
			got, ok := l.lawSwitch(c.offered)
			if ok != (c.want != nil) || !slices.EqualFunc(got, c.want, func(a, b sdp.Format) bool { return a.PT == b.PT && a.SameCodec(b) }) {
				t.Fatalf("lawSwitch = %v, %v; want %v", got, ok, c.want)
			}
		})
	}
}
