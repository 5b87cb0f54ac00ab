// Package ctl is the control socket between `seg cli` and a running
// appliance (DIR/seg.sock).
//
// The socket is created mode 0600 in the data dir, so only its owner (and
// root) can connect: a peer is trusted to act as any appliance user it
// names, without a password, as a local administrator could open
// config.db directly anyway. Remote access goes through SSH, which
// authenticates.
//
// The protocol is a stream of frames, each a type byte, a 4-byte
// big-endian payload length, and the payload. The client opens with a
// Hello frame (JSON), then sends Stdin frames, Resize frames and one EOF
// frame; the server answers with Stdout and Stderr frames and ends with
// one Exit frame carrying the exit status (SPEC 1: 0 ok, 1 a command
// failed, 2 usage).
package ctl

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Frame types.
const (
	FrameHello  byte = 'H' // client: JSON Hello, first frame
	FrameStdin  byte = 'I' // client: input bytes
	FrameEOF    byte = 'D' // client: end of input (Ctrl-D on a pipe)
	FrameResize byte = 'W' // client: JSON Size
	FrameStdout byte = 'O' // server: output bytes
	FrameStderr byte = 'E' // server: error output bytes
	FrameExit   byte = 'X' // server: 4-byte exit status, last frame
)

// MaxPayload bounds one frame, so a confused peer cannot make the other
// side allocate without limit.
const MaxPayload = 1 << 20

// Modes of a Hello.
const (
	ModeTerminal = "terminal" // interactive shell on a raw terminal
	ModeOneShot  = "oneshot"  // Command holds the line (" ; "-separated)
	ModeBatch    = "batch"    // stdin is a batch file named File
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// Hello opens a session.
type Hello struct {
	User    string `json:"user"`
	Mode    string `json:"mode"`
	Command string `json:"command,omitempty"`
	File    string `json:"file,omitempty"` // batch: name used in FILE:LINE errors
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
}

// Size is a terminal window size.
type Size struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

// WriteFrame writes one frame.
func WriteFrame(w io.Writer, typ byte, payload []byte) error {
	if len(payload) > MaxPayload {
		return fmt.Errorf("ctl: frame of %d bytes exceeds %d", len(payload), MaxPayload)
	}
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	// One write per frame: frames from several goroutines must not
	// interleave, and callers serialise on their writer.
	buf := make([]byte, 0, 5+len(payload))
	buf = append(append(buf, hdr[:]...), payload...)
	_, err := w.Write(buf)
	return err
}

// WriteJSON writes a frame with v as its JSON payload.
func WriteJSON(w io.Writer, typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return WriteFrame(w, typ, b)
}

// ErrFrameTooLarge is returned for a frame longer than MaxPayload.
var ErrFrameTooLarge = errors.New("ctl: frame too large")

// ReadFrame reads one frame. io.EOF means the peer closed between frames.
func ReadFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("ctl: truncated frame header: %w", err)
		}
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxPayload {
		return 0, nil, ErrFrameTooLarge
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("ctl: truncated frame: %w", err)
	}
	return hdr[0], payload, nil
}

// exitPayload encodes an exit status.
func exitPayload(code int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(int32(code)))
	return b[:]
}

// parseExit decodes an exit status.
func parseExit(p []byte) (int, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("ctl: exit frame of %d bytes, want 4", len(p))
	}
	return int(int32(binary.BigEndian.Uint32(p))), nil
}
