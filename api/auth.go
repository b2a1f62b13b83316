package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
)

// User is one account of the HTTP API, as the application's config holds it.
type User struct {
	Name string
	// PasswordHash is checked with Options.CheckPassword; the API never
	// sees a stored password.
	PasswordHash string
	// AllowedCommands are the command names the user may run, in any case
	// and any accepted spelling; empty means all.
	AllowedCommands []string
	// AllowedNetworks are the client networks the user may call from;
	// empty means any.
	AllowedNetworks []netip.Prefix
	// NotifySecret, when set, signs the notifications sent for this
	// user's commands (notify.Notification.Secret); see api/API.md.
	NotifySecret string
}

// userKey is the context key of the API user a command runs for.
type userKey struct{}

// UserFrom returns the name of the API user whose command ctx belongs to
// ("" when none). Notifications the command causes (FinishedUrl,
// ErrorUrl, ...) are signed with that user's notify_secret; see api/API.md.
func UserFrom(ctx context.Context) string {
	name, _ := ctx.Value(userKey{}).(string)
	return name
}

// maxVerified bounds the cache of successful logins per user table.
const maxVerified = 256

// userTable is an immutable snapshot of the API users plus the cache of
// logins verified against it. SetUsers swaps in a new table, so a config
// reload drops every cached login at once.
type userTable struct {
	byName map[string]*apiUser
	// timingHash is some user's hash, checked for unknown usernames so that
	// an unknown name costs as much time as a wrong password.
	timingHash string

	mu       sync.Mutex
	verified map[[sha256.Size]byte]*apiUser
}

// apiUser is a User with its ACL prepared for lookups.
type apiUser struct {
	User
	commands map[string]bool // canonical command names, lower-cased; nil = all
}

func newUserTable(users []User) *userTable {
	t := &userTable{byName: make(map[string]*apiUser, len(users)), verified: map[[sha256.Size]byte]*apiUser{}}
	for _, u := range users {
		au := &apiUser{User: u}
		au.AllowedCommands = append([]string(nil), u.AllowedCommands...)
		au.AllowedNetworks = append([]netip.Prefix(nil), u.AllowedNetworks...)
		if len(u.AllowedCommands) > 0 {
			au.commands = make(map[string]bool, len(u.AllowedCommands))
			for _, c := range u.AllowedCommands {
				au.commands[asciiLower(canonicalCommand(c))] = true
			}
		}
		if _, dup := t.byName[u.Name]; !dup {
			t.byName[u.Name] = au
		}
		if t.timingHash == "" {
			t.timingHash = u.PasswordHash
		}
	}
	return t
}

// mayRun reports whether the user's ACL allows the canonical command.
func (u *apiUser) mayRun(command string) bool {
	return u.commands == nil || u.commands[asciiLower(command)]
}

// mayConnectFrom reports whether addr is inside the user's networks.
func (u *apiUser) mayConnectFrom(addr netip.Addr) bool {
	if len(u.AllowedNetworks) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range u.AllowedNetworks {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// loginKey is the cache key of a (user, password) pair: an HMAC under a
// per-process random key, so the cache holds nothing a memory dump could
// turn back into a password, and a lookup's timing tells an attacker
// nothing about stored entries.
func loginKey(key []byte, user, password string) [sha256.Size]byte {
	m := hmac.New(sha256.New, key)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(user)))
	m.Write(n[:])
	m.Write([]byte(user))
	m.Write([]byte(password))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

func (t *userTable) cached(k [sha256.Size]byte) *apiUser {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.verified[k]
}

func (t *userTable) remember(k [sha256.Size]byte, u *apiUser) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.verified) >= maxVerified {
		clear(t.verified)
	}
	t.verified[k] = u
}
