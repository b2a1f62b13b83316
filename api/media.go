package api

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Media on calls: Play, Speak and Record. The command returns once the
// audio or the recording has started; Record's outcome reaches its
// FinishedUrl as RecordCompleted.

// CallMedia is what Play, Speak and Record need of the core. The Calls
// implementation provides it when the appliance can play into calls;
// without it the commands answer 601 like the other call commands
// without a core.
type CallMedia interface {
	// Play starts audio (a file under the data dir, an http(s) URL, a
	// tone: spec) to party of an answered call. Errors as Hold's, plus
	// ErrBadAudio.
	Play(ctx context.Context, p PlayRequest) error
	// Speak starts text to speech to party. Errors as Play's.
	Speak(ctx context.Context, s SpeakRequest) error
	// Record starts recording the call (both parties mixed, or the
	// caller of an API extension). Errors as Hold's, plus ErrBadAudio
	// for an unusable RecordPath or Format.
	Record(ctx context.Context, r RecordRequest) error
}

// ErrBadAudio: the audio to play (or the file to record) cannot be used;
// 302 naming the parameter.
var ErrBadAudio = errors.New("api: unusable audio")

// PlayRequest is a Play command's parameters.
type PlayRequest struct {
	CallID    string
	Party     Party // PartyCaller or PartyCallee
	AudioFile string
	Repeat    bool          // loop until Timeout
	Timeout   time.Duration // 0: none
}

// SpeakRequest is a Speak command's parameters.
type SpeakRequest struct {
	CallID          string
	Party           Party
	Text            string
	Language, Voice string // "" for the defaults
}

// RecordRequest is a Record command's parameters.
type RecordRequest struct {
	CallID       string
	Format       string        // "mp3" or "wav"
	Duration     time.Duration // 0: the appliance's limit
	Inactivity   time.Duration // 0: no silence detection
	FinishDigits string
	FinishedURL  string // RecordCompleted goes there ("" for none)
	RecordPath   string // under the data dir; "" lets the appliance name it
}

// Parameter bounds.
const (
	maxAudioSpec  = 2048
	maxSpeakText  = 4000
	maxMediaTime  = 3600 // seconds: Timeout, Duration, Inactivity
	maxVoiceParam = 64
)

// mediaTarget reads CallId and Party (default caller) for Play and
// Speak.
func (h *Handler) mediaTarget(req *request) (id string, party Party, media CallMedia, bad *reply) {
	id, ok := req.required("CallId")
	if !ok {
		r := req.invalid("CallId")
		return "", "", nil, &r
	}
	party = PartyCaller
	if v, present := req.params.get("Party"); present && v != "" {
		if party, ok = parseParty(v, false); !ok {
			r := req.invalid("Party")
			return "", "", nil, &r
		}
	}
	media, _ = h.opts.Calls.(CallMedia)
	if media == nil {
		r := reply{code: CodeCallNotFound, args: []string{id}}
		return "", "", nil, &r
	}
	return id, party, media, nil
}

// seconds reads an optional non-negative number of seconds up to
// maxMediaTime; ok is false when present and not one.
func seconds(req *request, name string) (time.Duration, bool) {
	v := strings.TrimSpace(req.params.value(name))
	if v == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxMediaTime {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// boolean reads an optional true/false (also 1/0, yes/no, on/off).
func boolean(req *request, name string) (value, ok bool) {
	switch asciiLower(strings.TrimSpace(req.params.value(name))) {
	case "", "false", "0", "no", "off":
		return false, true
	case "true", "1", "yes", "on":
		return true, true
	}
	return false, false
}

// mediaReply turns a media outcome into a reply; param names the
// parameter an ErrBadAudio is about.
func (h *Handler) mediaReply(req *request, id, param string, err error) reply {
	if errors.Is(err, ErrBadAudio) {
		return req.invalid(param)
	}
	return h.controlReply(req, id, err)
}

// play: CallId, AudioFile, Party (caller or callee; default caller),
// Repeat, Timeout (seconds) → 200 once playing; 302, 303, 601.
func (h *Handler) play(req *request) reply {
	id, party, media, bad := h.mediaTarget(req)
	if bad != nil {
		return *bad
	}
	audio := strings.TrimSpace(req.params.value("AudioFile"))
	if audio == "" || len(audio) > maxAudioSpec {
		return req.invalid("AudioFile")
	}
	repeat, ok := boolean(req, "Repeat")
	if !ok {
		return req.invalid("Repeat")
	}
	timeout, ok := seconds(req, "Timeout")
	if !ok {
		return req.invalid("Timeout")
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	err := media.Play(ctx, PlayRequest{CallID: id, Party: party, AudioFile: audio, Repeat: repeat, Timeout: timeout})
	return h.mediaReply(req, id, "AudioFile", err)
}

// speak: CallId, Text, Party (default caller), Language, Voice → 200
// once speaking; 302, 303, 601.
func (h *Handler) speak(req *request) reply {
	id, party, media, bad := h.mediaTarget(req)
	if bad != nil {
		return *bad
	}
	text := req.params.value("Text")
	if strings.TrimSpace(text) == "" || len(text) > maxSpeakText {
		return req.invalid("Text")
	}
	lang, voice := req.params.value("Language"), req.params.value("Voice")
	if len(lang) > maxVoiceParam {
		return req.invalid("Language")
	}
	if len(voice) > maxVoiceParam {
		return req.invalid("Voice")
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	err := media.Speak(ctx, SpeakRequest{CallID: id, Party: party, Text: text, Language: lang, Voice: voice})
	return h.mediaReply(req, id, "Text", err)
}

// record: CallId, Format (mp3 or wav; default mp3), Duration, Inactivity
// (seconds), FinishDigits, FinishedUrl, RecordPath → 200 once recording;
// 302, 303, 601.
func (h *Handler) record(req *request) reply {
	id, _, media, bad := h.mediaTarget(req)
	if bad != nil {
		return *bad
	}
	format := asciiLower(strings.TrimSpace(req.params.value("Format")))
	switch format {
	case "":
		format = "mp3"
	case "mp3", "wav":
	default:
		return req.invalid("Format")
	}
	duration, ok := seconds(req, "Duration")
	if !ok {
		return req.invalid("Duration")
	}
	inactivity, ok := seconds(req, "Inactivity")
	if !ok {
		return req.invalid("Inactivity")
	}
	digits := req.params.value("FinishDigits")
	if digits != "" && !validKeys(digits) {
		return req.invalid("FinishDigits")
	}
	finished, ok := finishedURL(req)
	if !ok {
		return req.invalid("FinishedUrl")
	}
	ctx, cancel := context.WithTimeout(req.context(), transferWait)
	defer cancel()
	err := media.Record(ctx, RecordRequest{
		CallID: id, Format: format, Duration: duration, Inactivity: inactivity,
		FinishDigits: digits, FinishedURL: finished, RecordPath: req.params.value("RecordPath"),
	})
	return h.mediaReply(req, id, "RecordPath", err)
}

// finishedURL reads an optional FinishedUrl: an http(s) URL.
func finishedURL(req *request) (string, bool) { return httpURL(req, "FinishedUrl") }
