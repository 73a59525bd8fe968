package lskel

import (
	"sync"
	"sync/atomic"
	"syscall"
)

// poller waits for the fds of a reader (a ring buffer map, perf buffers)
// and for an eventfd that Close and a done context write to wake it.
type poller struct {
	mu     sync.Mutex // held by a read
	closed atomic.Bool
	epfd   int
	// wakeMu keeps a late context callback from writing to wakefd once
	// it is closed (its number may then be another file's).
	wakeMu sync.Mutex
	wakefd int
}

// open makes the epoll fd and the eventfd; what names the reader in
// errors. On failure the caller still calls close.
func (p *poller) open(what string) error {
	p.epfd, p.wakefd = -1, -1
	var err error
	if p.epfd, err = epollCreate(); err != nil {
		return sysErr(what+": epoll_create1", err)
	}
	if p.wakefd, err = eventfd(); err != nil {
		return sysErr(what+": eventfd", err)
	}
	return p.add(what+": epoll add eventfd", p.wakefd)
}

// add makes the poller wait for fd to be readable too.
func (p *poller) add(what string, fd int) error { return sysErr(what, epollAdd(p.epfd, fd)) }

// wake makes a blocked wait return.
func (p *poller) wake() {
	p.wakeMu.Lock()
	defer p.wakeMu.Unlock()
	if p.wakefd < 0 {
		return
	}
	var one [8]byte
	one[0] = 1 // eventfd takes a native-endian u64; 1 is non-zero either way
	_, _ = writeFD(p.wakefd, one[:])
}

// wait waits up to ms milliseconds (-1: no limit) for one of the fds, and
// resets the eventfd: a wake-up is a reason to look again (Close sets its
// flag before it wakes), never one to stay readable, which would make
// later waits spin.
func (p *poller) wait(ms int) error {
	err := epollWait(p.epfd, ms)
	// A signal (the Go runtime's preemption) is no wake-up: without a
	// timeout wait again, or a perf reader would return a sample below
	// its watermark. With one, the caller recomputes what is left.
	for ms < 0 && err == syscall.EINTR {
		err = epollWait(p.epfd, ms)
	}
	var buf [8]byte
	_, _ = readFD(p.wakefd, buf[:])
	if err == syscall.EINTR {
		return nil
	}
	return err
}

// close closes both fds.
func (p *poller) close() {
	closeFD(p.epfd)
	p.epfd = -1
	p.wakeMu.Lock()
	closeFD(p.wakefd)
	p.wakefd = -1
	p.wakeMu.Unlock()
}

// shutdown marks the reader closed, wakes a blocked read and, once no
// read runs, calls release. Later calls do nothing.
func (p *poller) shutdown(release func()) {
	if p.closed.Swap(true) {
		return
	}
	p.wake()
	p.mu.Lock()
	defer p.mu.Unlock()
	release()
}

// Context is what the readers use of a context.Context, which satisfies
// it: pass one. (The runtime does not import package context, whose
// initialisation every binary linking it would pay for.)
type Context interface {
	Done() <-chan struct{}
	Err() error
}

// watch wakes the poller when ctx is done, until the returned stop is
// called; stop waits for the watching goroutine to end, so that none
// outlives the read.
func (p *poller) watch(ctx Context) (stop func()) {
	done := ctx.Done()
	if done == nil {
		return func() {} // never done: nothing to watch
	}
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-done:
			p.wake()
		case <-quit:
		}
	}()
	return func() {
		close(quit)
		<-exited
	}
}
