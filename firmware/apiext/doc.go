// Package apiext runs API extensions: the call core routes a call for an
// extension of kind "api" to Originator, which makes a Leg, asks the
// extension's application (an IncomingCall notification to its URL) or
// its on-device script for OzML, and runs the document on the call with
// the api/ozml interpreter.
//
// A Leg is the callee side of the core's call, like a phone's leg: it
// speaks the core's event vocabulary (ringing, answered, failed, hangup)
// and owns a relay endpoint the core bridges to the caller. Behind that
// endpoint sits the leg's media agent, a second relay endpoint on the
// same host that plays the part of the phone: a Pacer sends the script's
// audio (prompts, text to speech, tones, silence between them, so the
// media timer never fires) into the bridge, and the caller's audio that
// the bridge delivers feeds a DTMF listener (RFC 4733 events and in-band
// tones merged) and, during Record, a recorder. Because the core sees an
// ordinary leg, transfers, holds, SendDTMF and the media timer work on API
// extension calls without a line of their own: the script's BlindTransfer
// is the core's BlindTransfer with the API extension as transferor.
//
// An extension also places calls (Originator.Call and Request: the HTTP
// API's Call and Request, the OzML verbs): its Leg is then the calling
// party of an ordinary core call (Core.Incoming), and the script runs on
// the answered call with the callee as its far party.
//
// Leg.Exchange hands the agent's 20 ms pacing to a function that reads
// the far party's frame (taps, queue, jitter buffer) and writes the frame
// to send, without allocating per frame. Contact ID alarms run on it: a
// contactid.Sender on a call the extension places (SendAlarm, the HTTP
// API's and OzML's SendAlarmNotification) and a contactid.Receiver on a
// script's call (ReceiveAlarm, OzML's ReceiveAlarmNotification), so the
// DTMF and the signalling tones travel the call's real G.711 path.
//
// Each leg runs its script on its own goroutine with its own context; a
// failing or panicking script ends only its own call.
package apiext
