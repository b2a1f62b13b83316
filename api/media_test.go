package api

import (
	"context"
	"fmt"
	"net/url"
	"testing"
)

// The fake core's media: answered calls only; AudioFile missing.wav and
// RecordPath ../x are unusable.

func (f *fakeCalls) Play(_ context.Context, p PlayRequest) error {
	if p.AudioFile == "missing.wav" {
		return fmt.Errorf("%w: no such file", ErrBadAudio)
	}
	return f.holdCmd(fmt.Sprintf("Play %s %v %v", p.AudioFile, p.Repeat, p.Timeout), p.CallID, p.Party)
}

func (f *fakeCalls) Speak(_ context.Context, s SpeakRequest) error {
	return f.holdCmd(fmt.Sprintf("Speak %q %s %s", s.Text, s.Language, s.Voice), s.CallID, s.Party)
}

func (f *fakeCalls) Record(_ context.Context, r RecordRequest) error {
	if r.RecordPath == "../x" {
		return fmt.Errorf("%w: outside the data dir", ErrBadAudio)
	}
	return f.holdCmd(fmt.Sprintf("Record %s %v %v %s %s %s", r.Format, r.Duration, r.Inactivity, r.FinishDigits, r.FinishedURL, r.RecordPath), r.CallID, "")
}

func TestMediaCommands(t *testing.T) {
	tests := []commandCase{
		{name: "play", query: "command=Play&CallId=Nt3uh&AudioFile=prompts/hello.wav", wantCode: 200, golden: "play_ok",
			wantLog: "Play prompts/hello.wav false 0s Nt3uh caller"},
		{name: "play repeated to the callee", query: query("command", "play", "callid", "Nt3uh", "AUDIOFILE", "http://app/moh.mp3", "Party", "Callee", "Repeat", "true", "Timeout", "2.5"),
			wantCode: 200, wantLog: "Play http://app/moh.mp3 true 2.5s Nt3uh callee"},
		{name: "play without AudioFile", query: "command=Play&CallId=Nt3uh", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'AudioFile' for command 'Play'", golden: "play_missing_audiofile"},
		{name: "play a missing file", query: "command=Play&CallId=Nt3uh&AudioFile=missing.wav", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'AudioFile' for command 'Play'"},
		{name: "play bad Repeat", query: "command=Play&CallId=Nt3uh&AudioFile=a.wav&Repeat=maybe", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Repeat' for command 'Play'"},
		{name: "play negative Timeout", query: "command=Play&CallId=Nt3uh&AudioFile=a.wav&Timeout=-1", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Timeout' for command 'Play'"},
		{name: "play to all", query: "command=Play&CallId=Nt3uh&AudioFile=a.wav&Party=all", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Party' for command 'Play'"},
		{name: "play unknown call", query: "command=Play&CallId=g67th7&AudioFile=a.wav", wantCode: 601,
			wantMsg: "Call not found with ID 'g67th7'", golden: "play_not_found"},
		{name: "play ringing call", query: "command=Play&CallId=aB9xy&AudioFile=a.wav", wantCode: 303,
			wantMsg: "Command 'Play' cannot be used here"},
		{name: "play without CallId", query: "command=Play&AudioFile=a.wav", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'CallId' for command 'Play'"},
		{name: "speak", query: query("command", "Speak", "CallId", "Nt3uh", "Text", "Hello there", "Language", "en", "Voice", "f1"), wantCode: 200,
			golden: "speak_ok", wantLog: `Speak "Hello there" en f1 Nt3uh caller`},
		{name: "speak without Text", query: "command=Speak&CallId=Nt3uh&Text=%20", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Text' for command 'Speak'", golden: "speak_missing_text"},
		{name: "speak unknown call", query: "command=Speak&CallId=g67th7&Text=hi", wantCode: 601},
		{name: "record", query: query("command", "Record", "CallId", "Nt3uh", "Format", "WAV", "Duration", "30", "Inactivity", "5", "FinishDigits", "#", "FinishedURL", "http://app/rec?x=1"),
			wantCode: 200, golden: "record_ok", wantLog: "Record wav 30s 5s # http://app/rec?x=1  Nt3uh "},
		{name: "record defaults", query: "command=Record&CallId=Nt3uh", wantCode: 200, wantLog: "Record mp3 0s 0s    Nt3uh "},
		{name: "record bad Format", query: "command=Record&CallId=Nt3uh&Format=ogg", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Format' for command 'Record'", golden: "record_bad_format"},
		{name: "record too long", query: "command=Record&CallId=Nt3uh&Duration=7200", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'Duration' for command 'Record'"},
		{name: "record bad FinishDigits", query: "command=Record&CallId=Nt3uh&FinishDigits=x", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'FinishDigits' for command 'Record'"},
		{name: "record bad FinishedUrl", query: "command=Record&CallId=Nt3uh&FinishedUrl=ftp://x/y", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'FinishedUrl' for command 'Record'"},
		{name: "record outside the data dir", query: "command=Record&CallId=Nt3uh&RecordPath=../x", wantCode: 302,
			wantMsg: "Missing or invalid parameter 'RecordPath' for command 'Record'"},
		{name: "record unknown call", query: "command=Record&CallId=g67th7", wantCode: 601, golden: "record_not_found"},
	}
	runCommandCases(t, tests)
}

func TestMediaWithoutCore(t *testing.T) {
	r := newRig(t, func(o *Options) { o.Calls = nil })
	if resp := decode(t, r.get(t, "/api?command=Play&CallId=Nt3uh&AudioFile=a.wav"+appAuth)); resp.Code != 601 {
		t.Fatalf("Play without a core: %d", resp.Code)
	}
}

// FuzzMediaParams: whatever the values of Play and Record, the answer is
// one of the command's codes and the core only gets checked values.
func FuzzMediaParams(f *testing.F) {
	f.Add("Play", "a.wav", "true", "2.5", "wav", "http://app/x")
	f.Add("Record", "", "", "NaN", "MP3", "ftp://x")
	f.Add("Record", "", "1", "1e9", "ogg", "http://")
	f.Add("Speak", "hi", "maybe", "-0", "", "http://app/%zz")
	f.Fuzz(func(t *testing.T, cmd, audio, repeat, secs, format, finished string) {
		r := newRig(t, nil)
		q := url.Values{"command": {cmd}, "CallId": {"Nt3uh"}, "AudioFile": {audio}, "Text": {audio}, "Repeat": {repeat},
			"Timeout": {secs}, "Duration": {secs}, "Inactivity": {secs}, "Format": {format}, "FinishedUrl": {finished}}
		resp := decode(t, r.get(t, "/api?"+q.Encode()+appAuth))
		switch resp.Code {
		case 200, 301, 302, 303, 601:
		default:
			t.Fatalf("%s: code %d %q", cmd, resp.Code, resp.Message)
		}
	})
}
