package trunk

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

var quiet = slog.New(slog.DiscardHandler)

func TestConfigValidate(t *testing.T) {
	good := testConfig("sip.provider.test:5070")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Name = "" }, "name:"},
		{func(c *Config) { c.Name = "a:b" }, "name:"},
		{func(c *Config) { c.Registrar = "" }, "registrar: missing"},
		{func(c *Config) { c.Registrar = "host:99999" }, "registrar:"},
		{func(c *Config) { c.Registrar = "sip:host" }, "registrar:"},
		{func(c *Config) { c.Registrar = ":5060" }, "registrar:"},
		{func(c *Config) { c.Transport = "sctp" }, "transport:"},
		{func(c *Config) { c.Domain = "a@b" }, "domain:"},
		{func(c *Config) { c.Username = "" }, "username:"},
		{func(c *Config) { c.AuthUsername = `a"b` }, "auth_username:"},
		{func(c *Config) { c.Password = "" }, "password: missing"},
		{func(c *Config) { c.Expires = 10 }, "expires:"},
		{func(c *Config) { c.RetryMin = -1 }, "retry_min:"},
		{func(c *Config) { c.RetryMax = time.Millisecond }, "retry_max:"},
	}
	for _, tt := range tests {
		c := good
		tt.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v, want %q", err, tt.want)
		}
	}
	ip := good
	ip.Register, ip.Password = false, ""
	for _, r := range []string{"[::1]:5060", "::1", "10.0.0.1", "provider.test"} {
		ip.Registrar = r
		if err := ip.Validate(); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	err := ValidateAll([]Config{good, good, {Name: "x"}})
	for _, want := range []string{`trunks[1].name: "provider" is also trunks[0]`, "trunks[2] (x): registrar: missing"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateAll: %v lacks %q", err, want)
		}
	}
}

func TestBackoffSchedule(t *testing.T) {
	c := Config{RetryMin: time.Second, RetryMax: 10 * time.Second}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, c.Backoff(n))
	}
	want := []time.Duration{1, 2, 4, 8, 10, 10}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("backoff %v, want %v s", got, want)
		}
	}
	if d := (Config{}).Backoff(100); d != DefaultRetryMax {
		t.Errorf("default cap %v", d)
	}
	if d := (Config{}).Backoff(1); d != DefaultRetryMin {
		t.Errorf("default first %v", d)
	}
}

func TestRefreshAfter(t *testing.T) {
	for granted, want := range map[time.Duration]time.Duration{
		2 * time.Second: time.Second, 60 * time.Second: 30 * time.Second, time.Hour: time.Hour - 30*time.Second,
	} {
		if got := refreshAfter(granted); got != want {
			t.Errorf("refreshAfter(%v) = %v, want %v", granted, got, want)
		}
	}
}

func TestSet(t *testing.T) {
	ipAuth := Config{Name: "ipauth", Registrar: "10.0.0.1", Username: "gw"}
	s, err := NewSet([]Config{ipAuth}, Options{Client: &fakeProvider{}, Contact: contactURI(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if st := s.Statuses(); len(st) != 1 || st[0].State != StateDisabled || st[0].Trunk != "ipauth" {
		t.Errorf("statuses %+v", st)
	}
	if c, err := s.Config("ipauth"); err != nil || c.Username != "gw" {
		t.Errorf("Config: %+v %v", c, err)
	}
	if _, err := s.Config("other"); err == nil {
		t.Error("unknown trunk found")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st := s.Statuses(); st[0].State != StateClosed {
		t.Errorf("after Close %+v", st)
	}
	if _, err := NewSet([]Config{ipAuth, ipAuth}, Options{Client: &fakeProvider{}, Contact: contactURI()}); err == nil {
		t.Error("duplicate names accepted")
	}
	if opts := ipAuth.AnswerOptions(nil); opts.Username != "gw" {
		t.Errorf("AnswerOptions %+v", opts)
	}
}
