package api

import (
	"context"
	"net/http"
	"testing"
)

// ctxCalls records the contexts the call-control commands get; its Hold
// waits until that context ends.
type ctxCalls struct {
	fakeCalls
	users    chan string
	holding  chan struct{}
	holdDone chan error
}

func (c *ctxCalls) BlindTransfer(ctx context.Context, _ TransferRequest) error {
	c.users <- UserFrom(ctx)
	return nil
}

func (c *ctxCalls) Hold(ctx context.Context, _ string, _ Party) error {
	c.holding <- struct{}{}
	<-ctx.Done()
	c.holdDone <- ctx.Err()
	return ErrInProgress
}

// TestCommandContext: a command's context names the API user whose
// request it serves (what signs its notifications), and ends when the
// client gives up, so nothing is left waiting on a call for it.
func TestCommandContext(t *testing.T) {
	t.Parallel()
	calls := &ctxCalls{users: make(chan string, 1), holding: make(chan struct{}, 1), holdDone: make(chan error, 1)}
	r := newRig(t, func(o *Options) { o.Calls = calls })

	r.get(t, "/api?command=BlindTransfer&CallId=Nt3uh&TransferorParty=caller&Target=104"+appAuth)
	if u := <-calls.users; u != "app" {
		t.Fatalf("UserFrom = %q, want app", u)
	}
	if u := UserFrom(context.Background()); u != "" {
		t.Fatalf("UserFrom of a bare context = %q", u)
	}

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.srv.URL+"/api?command=Hold&CallId=Nt3uh"+appAuth, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	<-calls.holding
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the request was answered before the client gave up")
	}
	if err := <-calls.holdDone; err == nil {
		t.Fatal("Hold's context did not end")
	}
}
