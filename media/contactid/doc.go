// Package contactid speaks Ademco Contact ID (SIA DC-05), the DTMF alarm
// reporting protocol, over 8 kHz 16-bit linear audio in 20 ms frames.
//
// # Message
//
// A message is 16 DTMF digits: ACCT(4) MT(2) Q(1) EEE(3) GG(2) CCC(3) S(1),
// for example "1234 18 1 131 01 015 8": account 1234, message type 18,
// qualifier 1 (new event), event 131 (perimeter burglary), partition 01,
// zone 015, checksum 8. Each digit has a value 1..15: digits 1-9 are
// themselves, 0 is worth 10, and the hex digits B-F (accounts only) are
// sent as the DTMF keys *, #, A, B, C (the MT8870 code order). The
// checksum digit makes the sum of all 16 values a multiple of 15; a
// checksum value of 10 is sent as "0" and a sum already divisible by 15
// gets checksum 15 ("C"). Encode and Decode convert between Message and the
// digit string; Decode validates.
//
// # Exchange
//
// The receiver (central station) answers, waits about half a second and
// sends the handshake: 1400 Hz for 100 ms, 100 ms of silence, 2300 Hz for
// 100 ms. The sender (the alarm panel) waits for that handshake, waits
// 250 ms more, then sends the message at about 55 ms on / 55 ms off per
// digit. A receiver that got a valid message answers with the kissoff,
// 1400 Hz for 800 ms; a sender that hears no kissoff starting within
// 1.25 s of its last digit sends the message again, at most four times in
// all, then gives up (the caller hangs up and may redial). After a kissoff
// the sender sends its next message, if any, 250 ms after the kissoff ends;
// the receiver ends the exchange when no further message starts.
//
// Sender and Receiver are state machines fed one frame at a time: each
// Process call takes the frame heard from the line and fills the frame to
// send. Time is counted in samples of that audio, so both run in exact,
// virtual time with no clock or sleeping, and stay in step with the audio
// however fast it is delivered. DTMF is generated and detected by
// media/dtmf, the handshake and kissoff tones rendered by media/tone and
// recognised here by a Goertzel filter per frame.
package contactid
