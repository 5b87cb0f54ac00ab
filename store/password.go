package store

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost of stored password hashes (SPEC 7).
const PasswordCost = 10

// MinPasswordLength is the shortest password userconfig accepts.
const MinPasswordLength = 8

// HashPassword returns the bcrypt hash stored in User.PasswordHash.
// bcrypt reads at most 72 bytes; longer passwords are refused rather than
// silently truncated.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("The password must be at least %d characters long.", MinPasswordLength)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if errors.Is(err, bcrypt.ErrPasswordTooLong) {
		return "", errors.New("The password must be at most 72 bytes long.")
	}
	if err != nil {
		return "", fmt.Errorf("hashing the password: %v", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash. An empty hash (an
// account without a password) never matches.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}
