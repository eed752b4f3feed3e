package bus

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/internal/poll"
)

// BenchmarkRelay measures outbox-to-stream throughput: events are published pipelined in
// batches (the stream syncs on its interval; outbox rows are acknowledged after it).
func BenchmarkRelay(b *testing.B) {
	bus, err := Open(b.Context(), Config{Dir: b.TempDir(), Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	src := newFakeOutbox()
	src.append(b, "bench.event", b.N)
	b.ResetTimer()
	bus.StartRelay(src)
	poll.Until(b, "every event relayed", func() bool { return bus.RelayStats().Relayed >= uint64(b.N) })
}

// BenchmarkConsumer measures how fast one durable consumer handles and acknowledges events in
// strict order.
func BenchmarkConsumer(b *testing.B) {
	bus, err := Open(b.Context(), Config{Dir: b.TempDir(), Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	src := newFakeOutbox()
	src.append(b, "bench.event", b.N)
	bus.StartRelay(src)
	poll.Until(b, "every event relayed", func() bool { return bus.RelayStats().Relayed >= uint64(b.N) })
	var n atomic.Int64
	done := make(chan struct{})
	b.ResetTimer()
	_, err = bus.Subscribe(b.Context(), "bench", nil, func(ctx context.Context, ev commerce.Event) error {
		if n.Add(1) == int64(b.N) {
			close(done)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkConsumerBatch is BenchmarkConsumer for a batch consumer taking up to 1,000 events
// per handler call, with one acknowledgement per batch.
func BenchmarkConsumerBatch(b *testing.B) {
	bus, err := Open(b.Context(), Config{Dir: b.TempDir(), Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer bus.Close()
	src := newFakeOutbox()
	src.append(b, "bench.event", b.N)
	bus.StartRelay(src)
	poll.Until(b, "every event relayed", func() bool { return bus.RelayStats().Relayed >= uint64(b.N) })
	var n, batches atomic.Int64
	done := make(chan struct{})
	b.ResetTimer()
	_, err = bus.SubscribeBatch(b.Context(), "bench", nil, func(ctx context.Context, evs []commerce.Event) error {
		batches.Add(1)
		if n.Add(int64(len(evs))) == int64(b.N) {
			close(done)
		}
		return nil
	}, 1000)
	if err != nil {
		b.Fatal(err)
	}
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/float64(batches.Load()), "events/batch")
}
