package ua

import (
	"strings"

	"github.com/gatepbx/gatepbx/sip/sdp"
)

// lawSwitch is the answer's format list for a re-offer that drops the
// leg's G.711 law for the other one (PCMU↔PCMA): the first G.711 format
// of the offer that we support, with the offer's telephone-event if the
// leg had one. ok is false when the leg does not speak G.711 now or the
// offer has no G.711 law we support, and the re-offer must be refused.
// The relay transcodes between the legs' laws, so the other party's
// phone is not asked to change (see setMedia and relay.Endpoint.SetCodec).
func (l *legBase) lawSwitch(offered []sdp.Format) (formats []sdp.Format, ok bool) {
	current := l.Formats()
	if !hasG711(current) {
		return nil, false
	}
	hadEvents := false
	for _, f := range current {
		hadEvents = hadEvents || strings.EqualFold(f.Name, "telephone-event")
	}
	var audio, events *sdp.Format
	for _, f := range sdp.Intersect(offered, l.srv.opts.Codecs) {
		switch {
		case strings.EqualFold(f.Name, "telephone-event"):
			if events == nil && hadEvents && f.Rate == 8000 {
				events = &f
			}
		case audio == nil && isTranscodable(f):
			audio = &f
		}
	}
	if audio == nil {
		return nil, false
	}
	formats = []sdp.Format{*audio}
	if events != nil {
		formats = append(formats, *events)
	}
	return formats, true
}

// hasG711 reports whether the first audio format of fs is PCMU or PCMA.
func hasG711(fs []sdp.Format) bool {
	for _, f := range fs {
		if hasAudioCodec([]sdp.Format{f}) && !strings.EqualFold(f.Name, "CN") {
			return isTranscodable(f)
		}
	}
	return false
}
