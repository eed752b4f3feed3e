package shipping

import "github.com/ultramarket/ultramarket/commerce"

// Service runs the shipping use cases: zone and method administration and rate quotes.
type Service struct {
	repo     Repository
	carriers *Carriers
	clock    commerce.Clock
}

// Repository stores zones and methods (store.Shipping implements it).
type Repository interface{}

// NewService returns the shipping service on repo with the shop's carriers. A nil clock
// means the system clock; nil carriers mean the built-in ones.
func NewService(repo Repository, carriers *Carriers, clock commerce.Clock) *Service {
	if clock == nil {
		clock = commerce.SystemClock{}
	}
	if carriers == nil {
		carriers = NewCarriers(Builtin()...)
	}
	return &Service{repo: repo, carriers: carriers, clock: clock}
}

// Carriers returns the shop's carriers.
func (s *Service) Carriers() *Carriers { return s.carriers }
