package config

import (
	"strings"
	"testing"
	"time"
)

// TestRoutingInterceptionConfig: api.routing_interception_url and its
// timeout parse, default and are checked.
func TestRoutingInterceptionConfig(t *testing.T) {
	tests := []struct {
		name, yaml, want string
		url              string
		timeout          time.Duration
	}{
		{name: "default", yaml: "api:\n  port: 9509\n", timeout: 3 * time.Second},
		{name: "set", yaml: "api:\n  routing_interception_url: http://10.0.0.5/route?k=1\n  routing_interception_timeout: 1500ms\n",
			url: "http://10.0.0.5/route?k=1", timeout: 1500 * time.Millisecond},
		{name: "bad url", yaml: "api:\n  routing_interception_url: ftp://x/\n",
			want: `t.yaml:2: api.routing_interception_url: "ftp://x/" must start with http:// or https://`},
		{name: "timeout too long", yaml: "api:\n  routing_interception_timeout: 1m\n",
			want: `t.yaml:2: api.routing_interception_timeout: must be 100ms to 30s, got 1m0s`},
		{name: "timeout zero", yaml: "api:\n  routing_interception_timeout: 0s\n", want: `api.routing_interception_timeout: must be 100ms to 30s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("t.yaml", []byte(tt.yaml))
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Parse error = %v\nwant it to contain %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.API.RoutingInterceptionURL != tt.url || c.API.RoutingInterceptionTimeout != tt.timeout {
				t.Fatalf("api %+v", c.API)
			}
		})
	}
}
