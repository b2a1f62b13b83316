// Package analog makes the board's analog ports legs of the call core,
// like SIP phones: an analog phone on an FXS port calls (dial tone, digit
// collection, ringback) and is called (ring cadence with caller ID, ring
// trip answers); a PSTN line on an FXO port rings in with caller ID and is
// routed to an extension.
//
// Each leg owns a relay endpoint, so the core bridges, plays to, records
// and times out an analog leg exactly as a SIP leg. The far end of that
// endpoint is a loopback UDP socket of this package: a tiny RTP phone per
// leg that decodes what the endpoint sends (jitter buffer, 20 ms linear
// frames) into the port's audio, and encodes the port's audio as PCMU or
// PCMA RTP towards the endpoint, one packet per port frame. The port's
// PCM clock paces both directions, so no timer runs per packet. When a
// phone's call connects, its first 80 ms go out as silence: the line's
// audio queue may still hold the end of its dialling.
//
// Leg events speak the SIP layer's vocabulary (ringing, answered, failed,
// hangup, cancelled, DTMF, hold, unhold, refer), so the core's call
// control serves analog phones unchanged. Digits dialled during a call are
// reported as DTMF events and also reach the far end in band; RFC 4733
// keys the far end sends are played to the line as DTMF tones. A phone on
// a port no extension names calls with the port name as its number.
//
// A hook flash during a call holds the far party (EventHold: it hears
// music on hold) and gives a second dial tone; flashing again, or dialling
// nothing before the first-digit timeout, goes back to the call
// (EventUnhold). A number dialled after the flash is a consultation call
// (a new caller leg); hanging up then joins the held party to it, asked
// for as a SIP phone's REFER with Replaces is (the core's attended
// transfer), at once or when the consultation is answered. A call to a
// phone in a call is call waiting (tone over the call, flash to answer
// and swap, recall ring on hang-up). fxswait.go has the details.
//
// FXS timings (Options): InterDigit ends a number (or '#' does),
// FirstDigit gives up on a silent phone with congestion tone. Calls to a
// port that is off hook and cannot take a waiting call fail with 486 at
// once. A PSTN call ringing in on an FXO port is offered when its caller
// ID arrives (or CallerIDWait after the ringing started without one) to
// the number Operator names; the line is seized when the core answers,
// released when the call ends, and its disconnect supervision ends the
// call. OriginateFXO makes calls out through FXO lines for the dial
// plan's fxo routes (fxoout.go): seize, dial tone (DialToneWait), DTMF or
// pulse dialling (PulseDial), answered once dialled.
package analog
