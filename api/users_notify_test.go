package api

import "testing"

// TestUserNotifySecretKept: the per-user notification secret reaches the
// authenticated user that commands see.
func TestUserNotifySecretKept(t *testing.T) {
	t.Parallel()
	h := New(Options{Users: []User{{Name: "app", PasswordHash: "h", NotifySecret: "0123456789abcdef"}}})
	if u := h.users.Load().byName["app"]; u == nil || u.NotifySecret != "0123456789abcdef" {
		t.Fatalf("user %+v", u)
	}
}
