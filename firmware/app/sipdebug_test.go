package app

import (
	"os"

	"github.com/emiago/sipgo/sip"
)

func init() {
	if os.Getenv("GATEPBX_SIP_DEBUG") != "" {
		sip.SIPDebug = true
	}
}
