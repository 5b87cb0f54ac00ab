package store

import (
	"strings"
	"testing"
)

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$2a$10$") {
		t.Errorf("hash %q is not bcrypt cost 10", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Error("right password rejected")
	}
	if CheckPassword(h, "correct horsE") {
		t.Error("wrong password accepted")
	}
	if CheckPassword("", "") {
		t.Error("empty hash matched")
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Error("hashes are not salted")
	}
}

func TestHashPasswordRefuses(t *testing.T) {
	for _, pw := range []string{"", "short", strings.Repeat("x", 73)} {
		if _, err := HashPassword(pw); err == nil {
			t.Errorf("HashPassword(%d bytes) accepted", len(pw))
		}
	}
}
