package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateOzML(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*OzML)
		want   string // "" valid
	}{
		{"defaults", func(*OzML) {}, ""},
		{"486", func(o *OzML) { o.RejectCode = 486 }, ""},
		{"tight limits", func(o *OzML) { o.MaxGoToHops, o.MaxLoopIterations, o.MaxRunTime = 1, 1, time.Second }, ""},
		{"reject 404", func(o *OzML) { o.RejectCode = 404 }, "api.ozml.reject_code: must be 603 (Decline) or 486 (Busy Here), got 404"},
		{"no hops", func(o *OzML) { o.MaxGoToHops = 0 }, "api.ozml.max_goto_hops: must be 1 to 100000, got 0"},
		{"huge documents", func(o *OzML) { o.MaxDocumentBytes = 1 << 30 }, "api.ozml.max_document_bytes: must be 1024 to 16777216"},
		{"depth 1", func(o *OzML) { o.MaxDepth = 1 }, "api.ozml.max_depth"},
		{"run time 0", func(o *OzML) { o.MaxRunTime = 0 }, "api.ozml.max_run_time: must be 1s to 168h0m0s, got 0s"},
		{"record 2h", func(o *OzML) { o.MaxRecordDuration = 2 * time.Hour }, "api.ozml.max_record_duration"},
		{"answer 0", func(o *OzML) { o.AnswerTimeout = 0 }, "api.ozml.answer_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Defaults()
			tc.change(&c.API.OzML)
			err := Validate(&c)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
}
