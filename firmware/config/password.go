package config

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Password hashes have the form "pbkdf2-sha256$<iterations>$<salt>$<hash>"
// with salt and hash in unpadded standard base64.
const (
	passwordHashScheme = "pbkdf2-sha256"
	// PasswordHashIterations is the PBKDF2 iteration count HashPassword
	// uses. It is modest because a Raspberry Pi Zero checks API passwords.
	PasswordHashIterations = 100_000
	minHashIterations      = 1_000
	maxHashIterations      = 10_000_000
	passwordSaltBytes      = 16
	passwordKeyBytes       = 32
)

var passwordB64 = base64.RawStdEncoding

// passwordHash is a parsed password hash.
type passwordHash struct {
	iterations int
	salt, key  []byte
}

// HashPassword hashes an API user's password with PBKDF2-SHA256 and a random
// salt, in the form stored in api.users[].password_hash.
func HashPassword(pw string) (string, error) {
	return hashPassword(pw, PasswordHashIterations, rand.Reader)
}

func hashPassword(pw string, iterations int, random io.Reader) (string, error) {
	if pw == "" {
		return "", errors.New("hash password: empty password")
	}
	salt := make([]byte, passwordSaltBytes)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, iterations, passwordKeyBytes)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return strings.Join([]string{passwordHashScheme, strconv.Itoa(iterations), passwordB64.EncodeToString(salt), passwordB64.EncodeToString(key)}, "$"), nil
}

// CheckPassword reports whether pw matches a hash made by HashPassword. The
// final comparison takes constant time; a malformed hash matches nothing.
func CheckPassword(hash, pw string) bool {
	h, err := parsePasswordHash(hash)
	if err != nil {
		return false
	}
	key, err := pbkdf2.Key(sha256.New, pw, h.salt, h.iterations, len(h.key))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// parsePasswordHash splits and checks a stored hash.
func parsePasswordHash(s string) (passwordHash, error) {
	const format = `want "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>"`
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != passwordHashScheme {
		return passwordHash{}, fmt.Errorf("not a password hash (%s)", format)
	}
	iterations, err := strconv.Atoi(parts[1])
	if err != nil || iterations < minHashIterations || iterations > maxHashIterations {
		return passwordHash{}, fmt.Errorf("iterations %q must be a number from %d to %d", parts[1], minHashIterations, maxHashIterations)
	}
	salt, err := passwordB64.DecodeString(parts[2])
	if err != nil || len(salt) < 8 {
		return passwordHash{}, fmt.Errorf("salt must be at least 8 bytes in unpadded base64 (%s)", format)
	}
	key, err := passwordB64.DecodeString(parts[3])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return passwordHash{}, fmt.Errorf("hash must be 16 to 64 bytes in unpadded base64 (%s)", format)
	}
	return passwordHash{iterations: iterations, salt: salt, key: key}, nil
}
