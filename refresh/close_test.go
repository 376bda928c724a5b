package refresh

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// exchangerFunc adapts a function to Exchanger.
type exchangerFunc func(ctx context.Context, rt string) (*Tokens, error)

func (f exchangerFunc) Exchange(ctx context.Context, rt string) (*Tokens, error) { return f(ctx, rt) }

// TestCloseWaitsForRefresh: once Close returns, the refresh in flight has
// stopped, so it can no longer log, save or touch anything the caller owns.
func TestCloseWaitsForRefresh(t *testing.T) {
	started := make(chan struct{})
	var returned atomic.Bool
	x := exchangerFunc(func(ctx context.Context, rt string) (*Tokens, error) {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond) // slow to wind down
		returned.Store(true)
		return nil, ctx.Err()
	})
	expired := &Tokens{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: time.Now().Add(-time.Minute)}
	s := NewSource(x, expired, WithRetries(0))
	errc := make(chan error, 1)
	go func() {
		_, err := s.Token(context.Background())
		errc <- err
	}()
	<-started
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !returned.Load() {
		t.Errorf("Close returned while the exchange was still running")
	}
	if err := <-errc; err == nil {
		t.Errorf("Token after Close = nil error; want one")
	}
	if _, err := s.Token(context.Background()); err == nil {
		t.Errorf("Token on a closed Source = nil error; want ErrClosed")
	}
}
