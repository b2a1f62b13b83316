// Package listen hears the DTMF keys pressed on one call leg, whichever way
// the phone sends them, and delivers each key once on a channel (for
// OzML UserInput, Record's finish keys, the HTTP API's DtmfEntered).
//
// Two inputs feed a Listener: out-of-band keys, that is RFC 4733 telephone
// events sniffed by the relay endpoint (install Event with
// SetDTMFListener) or keys from SIP INFO (Signal), and the leg's audio
// (install Tap with SetAudioTap, or through a stream.TapMux when a
// recorder shares the leg), decoded from PCMU/PCMA and run through the
// Goertzel detector of package dtmf. Both callbacks run on the endpoint's
// reader goroutine and only hand their data over (a bounded ring for
// audio, a buffered channel for events; overflow is counted, never
// waited for); Run does the decoding, detecting and merging on its own
// goroutine.
//
// Phones that send RFC 4733 often leave the tone in the audio as well, so
// every key may arrive twice. The merge pairs them: a key from one input is
// delivered unless the other input delivered the same key within
// MatchWindow and that delivery has not been paired yet, in which case it
// is the same press and is dropped. Pairing one-to-one (rather than
// muting a key for a while) keeps a quickly repeated key ("11") from being
// swallowed. Keys arrive in the order they were first heard.
package listen
