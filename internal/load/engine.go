package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// target is one request a case sends.
type target struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// targeter fills the next request; errNoTargets ends the case early.
type targeter func(*target) error

var errNoTargets = errors.New("load: no more targets")

// result is what one request got.
type result struct {
	Code    int
	Body    []byte // only when the case looks at bodies
	Error   string
	Latency time.Duration
}

// attack runs tr closed-loop for the configured duration with Connections workers, each
// with its own keep-alive connection, and summarizes the results. each, when not nil, sees
// every result (from several goroutines at once). A targeter that runs out ends the case
// early.
//
// The client is fasthttp's: on a 2-core machine the generator shares the cores with the
// server it measures, so its own cost per request decides how much is left for the server.
// Latencies are kept per worker and sorted once at the end (exact percentiles).
func (r *runner) attack(ctx context.Context, name string, tr targeter, each func(*result)) CaseResult {
	conns := r.cfg.Connections
	client := &fasthttp.Client{
		Name:                     "ultramarket-load",
		MaxConnsPerHost:          conns,
		ReadTimeout:              10 * time.Second,
		WriteTimeout:             10 * time.Second,
		MaxIdleConnDuration:      time.Minute,
		NoDefaultUserAgentHeader: true,
		DisablePathNormalizing:   true,
	}
	defer client.CloseIdleConnections()

	ctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		codes     = map[int]int{}
		samples   []string
		errs      int
		exhausted atomic.Bool
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			var (
				lat     = make([]time.Duration, 0, 1<<14)
				myCodes = map[int]int{}
				myErrs  int
				mySamp  []string
				t       target
			)
			for ctx.Err() == nil {
				t = target{}
				if err := tr(&t); errors.Is(err, errNoTargets) {
					exhausted.Store(true)
					cancel()
					break
				} else if err != nil {
					myErrs++
					continue
				}
				req.Reset()
				req.Header.SetMethod(t.Method)
				req.SetRequestURI(t.URL)
				for k, vs := range t.Header {
					for _, v := range vs {
						req.Header.Add(k, v)
					}
				}
				if t.Body != nil {
					req.SetBodyRaw(t.Body)
				}
				began := time.Now()
				err := client.Do(req, resp)
				res := result{Latency: time.Since(began)}
				if err != nil {
					res.Error = err.Error()
				} else {
					res.Code = resp.StatusCode()
				}
				if ctx.Err() != nil && err != nil {
					break // cut off by the end of the case, not a server error
				}
				lat = append(lat, res.Latency)
				myCodes[res.Code]++
				if res.Code < 200 || res.Code >= 300 {
					myErrs++
					if len(mySamp) < 5 {
						s := res.Error
						if b := resp.Body(); err == nil && len(b) > 0 {
							s = fmt.Sprintf("%d: %s", res.Code, strings.TrimSpace(string(b[:min(len(b), 300)])))
						}
						mySamp = append(mySamp, s)
					}
				}
				if each != nil {
					if err == nil {
						res.Body = append([]byte(nil), resp.Body()...)
					}
					each(&res)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, lat...)
			for c, n := range myCodes {
				codes[c] += n
			}
			errs += myErrs
			for _, s := range mySamp {
				if len(samples) < 5 && !slices.Contains(samples, s) {
					samples = append(samples, s)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := CaseResult{Name: name, Codes: map[string]int{}, Exhausted: exhausted.Load(), ErrorSamples: samples}
	for c, n := range codes {
		res.Codes[fmt.Sprint(c)] = n
	}
	res.Requests = uint64(len(latencies))
	res.Errors = uint64(errs)
	res.OK = res.Requests - min(res.Requests, res.Errors)
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.RPS = float64(res.OK) / res.Seconds
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		at := func(q float64) float64 { return ms(latencies[min(len(latencies)-1, int(q*float64(len(latencies))))]) }
		res.P50MS, res.P90MS, res.P99MS = at(0.50), at(0.90), at(0.99)
		res.MaxMS = ms(latencies[len(latencies)-1])
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
