package gqltest

import (
	"testing"
	"time"
)

func TestMailbox(t *testing.T) {
	t.Run("messages queued before the reader exited come first", func(t *testing.T) {
		m := newMailbox()
		done := make(chan struct{})
		m.push(Message{Type: "next"})
		m.push(Message{Type: "complete"})
		close(done)
		for _, want := range []string{"next", "complete"} {
			if msg, err := m.pop(time.Second, done); err != nil || msg.Type != want {
				t.Fatalf("pop = %+v, %v; want %s", msg, err, want)
			}
		}
		if _, err := m.pop(time.Second, done); err != errClosed {
			t.Errorf("pop on a drained, closed mailbox: err = %v, want errClosed", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		if _, err := newMailbox().pop(10*time.Millisecond, make(chan struct{})); err != errTimeout {
			t.Errorf("err = %v, want errTimeout", err)
		}
	})
	t.Run("wakes on push", func(t *testing.T) {
		m := newMailbox()
		go func() {
			time.Sleep(10 * time.Millisecond)
			m.push(Message{Type: "pong"})
		}()
		if msg, err := m.pop(time.Second, make(chan struct{})); err != nil || msg.Type != "pong" {
			t.Errorf("pop = %+v, %v; want pong", msg, err)
		}
	})
}
