package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestValidateRecommend(t *testing.T) {
	scenarios := []struct {
		name   string
		change func(*Recommend)
		want   []Problem // the recommend.* problems, in order; nil means valid
	}{
		{name: "defaults", change: func(*Recommend) {}},
		{name: "views only", change: func(r *Recommend) { r.SaleWeight = 0 }},
		{name: "sales only, a one-hour window", change: func(r *Recommend) { r.ViewWeight, r.TrendingWindow = 0, Dur(time.Hour) }},
		{name: "a window shorter than an hour", change: func(r *Recommend) { r.TrendingWindow = Dur(59 * time.Minute) },
			want: []Problem{{"recommend.trending_window", "must be between 1h and 2160h0m0s"}}},
		{name: "a window too long", change: func(r *Recommend) { r.TrendingWindow = Dur(91 * 24 * time.Hour) },
			want: []Problem{{"recommend.trending_window", "must be between 1h and 2160h0m0s"}}},
		{name: "negative weights", change: func(r *Recommend) { r.ViewWeight, r.SaleWeight = -1, -2 },
			want: []Problem{{"recommend.view_weight", "must not be negative"}, {"recommend.sale_weight", "must not be negative"},
				{"recommend.sale_weight", "view_weight and sale_weight must not both be 0"}}},
		{name: "both weights 0", change: func(r *Recommend) { r.ViewWeight, r.SaleWeight = 0, 0 },
			want: []Problem{{"recommend.sale_weight", "view_weight and sale_weight must not both be 0"}}},
		{name: "no flush interval", change: func(r *Recommend) { r.FlushInterval = Dur(0) },
			want: []Problem{{"recommend.flush_interval", "must be positive"}}},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			c := Default()
			s.change(&c.Recommend)
			var got []Problem
			if err := c.Validate(); err != nil {
				for _, p := range err.(*ValidationError).Problems {
					if strings.HasPrefix(p.Key, "recommend.") {
						got = append(got, p)
					}
				}
			}
			if !reflect.DeepEqual(got, s.want) {
				t.Fatalf("problems %v, want %v", got, s.want)
			}
		})
	}
}

func TestRecommendFromEnvironment(t *testing.T) {
	env := map[string]string{"ULTRAMARKET_RECOMMEND_TRENDING_WINDOW": "24h", "ULTRAMARKET_RECOMMEND_SALE_WEIGHT": "3"}
	c, err := LoadWith("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if c.Recommend.TrendingWindow.Duration != 24*time.Hour || c.Recommend.SaleWeight != 3 || c.Recommend.ViewWeight != 1 {
		t.Fatalf("recommend %+v", c.Recommend)
	}
}
