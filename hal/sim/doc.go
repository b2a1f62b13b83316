// Package sim is the simulated board: FXS ports with a virtual phone on
// each and FXO ports with a virtual CO line, built on the real line engine
// (hal/line) and the real media DSP, so simulator runs exercise the same
// code as hardware. Only the chips are virtual: a phone's hook switch
// drives the engine's raw hook input and its ear hears the port's outgoing
// audio; a CO's ringing drives the raw ring-detect input and its mouth
// feeds the port's incoming audio.
//
// A virtual phone goes off hook, hears tones (detected by cadence, not
// assumed: Heard), dials DTMF as audio or by pulses, flashes, counts ring
// bursts and decodes caller ID from the FSK (or DTMF) audio sent to it. A
// virtual CO rings in with caller ID, notices when it is answered, hears
// digits dialled towards it (DTMF audio and pulses), plays tones (busy
// signals disconnect) and drops battery or reverses polarity. A seizure
// of an idle CO line is a call out: the CO gives dial tone (SetDialTone
// false: a silent line), stops it at the first digit, keeps the number
// (Dialled), and its far party answers and talks a test tone (Answer) or
// hangs up, leaving busy tone (FarHangup).
//
// Time comes from an injected hal.Clock (ManualClock in tests): the board
// moves audio every 20 ms of that clock, so a ring cycle with caller ID
// runs in virtual time.
package sim
