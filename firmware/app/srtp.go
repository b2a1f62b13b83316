package app

import (
	"github.com/gatepbx/gatepbx/firmware/config"
	"github.com/gatepbx/gatepbx/sip/ua"
)

// srtpPolicies is the SRTP policy of each SIP extension's phone: its own
// srtp, else rtp.srtp. The config has validated the words.
func srtpPolicies(cfg config.Config) func(number string) ua.SRTPPolicy {
	def, _ := ua.ParseSRTPPolicy(cfg.RTP.SRTP)
	byNumber := map[string]ua.SRTPPolicy{}
	for _, e := range cfg.Extensions {
		if e.Kind == config.KindSIP && e.SRTP != "" {
			byNumber[e.Number], _ = ua.ParseSRTPPolicy(e.SRTP)
		}
	}
	return func(number string) ua.SRTPPolicy {
		if p, ok := byNumber[number]; ok {
			return p
		}
		return def
	}
}
