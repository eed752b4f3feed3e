package payments

import (
	"fmt"
	"slices"
	"sync"

	"github.com/ultramarket/ultramarket/commerce"
)

// Built-in method IDs.
const (
	MethodCash     = "cash"      // paid in cash to staff (a stall, cash on delivery)
	MethodManual   = "manual"    // a card terminal not linked to the shop: staff records the payment
	MethodWallet   = "wallet"    // the signed-in customer's store credit
	MethodGiftCard = "gift_card" // a gift card, by its code
)

// builtins are the methods the shop settles itself, in the order they are offered.
var builtins = []Method{
	{ID: MethodCash, Name: "Cash", Kind: KindOffline},
	{ID: MethodManual, Name: "Card terminal", Kind: KindOffline},
	{ID: MethodWallet, Name: "Store credit", Kind: KindStored},
	{ID: MethodGiftCard, Name: "Gift card", Kind: KindStored},
}

// GatewayIDs are the method IDs of the gateways UltraMarket has adapters for.
var GatewayIDs = []string{"stripe", "paypal", "payme", "click", "uzcard"}

// DefaultMethods are the built-in methods enabled when the configuration names none.
var DefaultMethods = []string{MethodCash, MethodManual, MethodWallet, MethodGiftCard}

// KnownMethod reports whether id is a built-in method or a gateway UltraMarket has an
// adapter for (what configuration may name).
func KnownMethod(id string) bool {
	return slices.ContainsFunc(builtins, func(m Method) bool { return m.ID == id }) || slices.Contains(GatewayIDs, id)
}

// Config configures the payments service.
type Config struct {
	Store Store          // payments and the order side of them; required by the use cases, not by Methods
	Clock commerce.Clock // nil means the system clock
	// Methods are the enabled built-in methods (cash, manual, wallet, gift_card); nil means
	// DefaultMethods. Registered gateways are always enabled.
	Methods  []string
	Gateways []Gateway // the configured gateways (Register adds more)
}

// Service runs payments: the methods on offer, starting gateway payments, recording offline
// money, refunds and gateway notifications.
type Service struct {
	store Store
	clock commerce.Clock

	mu       sync.RWMutex
	methods  []Method           // enabled, in offering order
	gateways map[string]Gateway // by method ID
	webhooks map[string]Webhook // by method ID

	locks [64]sync.Mutex // refunds of one payment run one at a time (gateway call + record)
}

// New returns the payments service.
func New(cfg Config) (*Service, error) {
	cfg.Clock = commerce.OrSystemClock(cfg.Clock)
	names := cfg.Methods
	if names == nil {
		names = DefaultMethods
	}
	s := &Service{store: cfg.Store, clock: cfg.Clock, gateways: map[string]Gateway{}, webhooks: map[string]Webhook{}}
	for _, m := range builtins {
		if slices.Contains(names, m.ID) {
			s.methods = append(s.methods, m)
		}
	}
	for _, id := range names {
		if !KnownMethod(id) {
			return nil, fmt.Errorf("payments: unknown method %q", id)
		}
	}
	for _, g := range cfg.Gateways {
		if err := s.Register(g); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Register enables a gateway under its method ID.
func (s *Service) Register(g Gateway) error {
	m := g.Method()
	m.Kind = KindGateway
	if m.ID == "" {
		return fmt.Errorf("payments: a gateway without a method ID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.gateways[m.ID]; dup || slices.ContainsFunc(builtins, func(b Method) bool { return b.ID == m.ID }) {
		return fmt.Errorf("payments: method %q registered twice", m.ID)
	}
	s.gateways[m.ID] = g
	s.methods = append(s.methods, m)
	return nil
}

// RegisterWebhook sets the inbound endpoint of a gateway's method ID.
func (s *Service) RegisterWebhook(method string, w Webhook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhooks[method] = w
}

// Webhook returns the inbound endpoint of a method, if it has one.
func (s *Service) Webhook(method string) (Webhook, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	w, ok := s.webhooks[method]
	return w, ok
}

// Webhooks returns every registered webhook by method ID.
func (s *Service) Webhooks() map[string]Webhook {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]Webhook, len(s.webhooks))
	for k, v := range s.webhooks {
		out[k] = v
	}
	return out
}

// gateway returns the gateway of a method.
func (s *Service) gateway(method string) (Gateway, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.gateways[method]
	return g, ok
}

// Methods returns the enabled methods that accept currency ("" means any currency).
func (s *Service) Methods(currency string) []Method {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Method, 0, len(s.methods))
	for _, m := range s.methods {
		if m.Accepts(currency) {
			out = append(out, m)
		}
	}
	return out
}

// MethodIDs returns the IDs of the enabled methods (any currency).
func (s *Service) MethodIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.methods))
	for i, m := range s.methods {
		out[i] = m.ID
	}
	return out
}

// Method returns an enabled method by ID.
func (s *Service) Method(id string) (Method, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, m := range s.methods {
		if m.ID == id {
			return m, true
		}
	}
	return Method{}, false
}

// MethodKind tells how an enabled method settles; ok is false for a method that is not
// enabled.
func (s *Service) MethodKind(id string) (Kind, bool) {
	m, ok := s.Method(id)
	return m.Kind, ok
}

// Accepts reports whether m takes payments in currency ("" means any).
func (m Method) Accepts(currency string) bool {
	return currency == "" || len(m.Currencies) == 0 || slices.Contains(m.Currencies, currency)
}
