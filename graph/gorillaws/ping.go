package gorillaws

import (
	"context"
	"sync"
	"time"
)

// One loop pings every graphql-transport-ws socket, instead of gqlgen's
// goroutine and ticker per socket (its PingPongInterval): at 10,000 idle
// subscribers those were 10,000 goroutines doing nothing but wait. The rule
// is gqlgen's: after connection_ack a socket must hear from its peer within
// two intervals; each tick sends {"type":"ping"} and, if the peer has spoken
// since the last tick, moves the read deadline two intervals on. A peer that
// falls silent hits the deadline, and gqlgen's read loop closes the socket
// as it would have.

// pingWorkers bounds how many pings are written at once: a peer whose
// socket has stopped taking data holds one for up to WriteWait.
const pingWorkers = 8

var pingMessage = []byte(`{"type":"ping"}`)

// pinger is the Implementation's ping loop, running while there are sockets.
type pinger struct {
	stop context.CancelFunc // nil when no loop runs
	done chan struct{}      // closed when the loop has returned
}

// startPinging starts the ping loop if it is not running; i.mu is held.
func (i *Implementation) startPinging() {
	if i.pingEvery <= 0 || i.ping.stop != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	i.ping = pinger{stop: stop, done: done}
	go func() {
		defer close(done)
		i.pingLoop(ctx)
	}()
}

// stopPinging stops the loop once the last socket has gone; i.mu is held.
func (i *Implementation) stopPinging() {
	if i.ping.stop != nil && len(i.conns) == 0 {
		i.ping.stop()
		i.ping = pinger{}
	}
}

func (i *Implementation) pingLoop(ctx context.Context) {
	t := time.NewTicker(i.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			i.pingAll()
		}
	}
}

// pingAll pings every acknowledged graphql-transport-ws socket.
func (i *Implementation) pingAll() {
	i.mu.Lock()
	conns := make([]*Conn, 0, len(i.conns))
	for c := range i.conns {
		if c.guard != nil {
			conns = append(conns, c)
		}
	}
	i.mu.Unlock()
	work := make(chan *Conn)
	var wg sync.WaitGroup
	for range min(pingWorkers, len(conns)) {
		wg.Go(func() {
			for c := range work {
				c.pingTick(i.pingEvery)
			}
		})
	}
	for _, c := range conns {
		work <- c
	}
	close(work)
	wg.Wait()
}

// pingTick is one tick for c: nothing before connection_ack (the init
// timeout covers that), else extend the deadline if the peer has spoken
// since the last tick, and send a ping.
func (c *Conn) pingTick(every time.Duration) {
	if !c.guard.isAcked() {
		return
	}
	if c.heard.Swap(false) {
		_ = c.ws.SetReadDeadline(time.Now().Add(2 * every))
	}
	_ = c.writeText(pingMessage)
}

// acked starts c's deadline: the peer must speak within two intervals. Without
// pings, it lifts the deadline Transport set for connection_init.
func (c *Conn) acked() {
	var deadline time.Time
	if c.impl.pingEvery > 0 {
		deadline = time.Now().Add(2 * c.impl.pingEvery)
	}
	_ = c.ws.SetReadDeadline(deadline)
}
