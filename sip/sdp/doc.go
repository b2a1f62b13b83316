// Package sdp parses and builds the audio SDP bodies (RFC 4566) that the
// gatepbx B2BUA exchanges in RFC 3264 offer/answer when it anchors media.
//
// Its one job: turn an untrusted SDP body into a small typed [Session]
// (bounded, never panicking, with errors that name the offending line), write
// a [Session] back out in one canonical CRLF form, and build offers and answers
// for the B2BUA's legs ([NewOffer], [Answer], [Intersect]).
//
// Decisions worth knowing:
//
//   - Parsing is tolerant of LF or CRLF line endings, trailing blanks, blank
//     lines, line order after v=, and unknown line types (ignored). It is strict
//     about the lines it needs: v=0 first, exactly one o=, well-formed c= and m=
//     lines, and a=rtpmap/a=fmtp/a=ptime for the section's own payload types.
//     An active audio section (port != 0) needs a c= line, media- or
//     session-level.
//   - Limits: body <= [MaxBodySize], <= [MaxMedia] m= sections, <= [MaxFormats]
//     formats per m= line, <= [MaxAttributes] a= lines per section (a=rtpmap
//     and a=fmtp lines for the section's own payload types are bounded by the
//     format limit and not counted).
//   - Only IP addresses are accepted in c= (no host names, no IPv6 zones);
//     a multicast /ttl suffix is dropped. In o= the address is informational:
//     a host name, a zoned or an unspecified address is stored as the zero
//     [netip.Addr], which [Session.Marshal] writes back as "IN IP4 0.0.0.0".
//   - Old-style hold, c=0.0.0.0 (or ::), means "do not send to me": we cannot
//     send there, but the party may still send (music on hold), so
//     [Media.EffectiveDirection] removes only the receive half: sendrecv
//     becomes sendonly, recvonly becomes inactive. A section with port 0 is
//     inactive.
//   - Non-RTP m= lines (e.g. "m=image 0 udptl t38") keep their format tokens
//     in [Media.RawFormats] so they can be rejected faithfully.
//   - [Session.Marshal] output always parses back to an equal Session (the
//     fuzz target checks this), though it can be larger than the input
//     because it spells out rtpmap lines for static payload types and uses CRLF.
package sdp
