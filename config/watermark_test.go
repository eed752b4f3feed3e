package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestWatermarkSettings(t *testing.T) {
	scenarios := []struct {
		name string
		file string            // TOML
		env  map[string]string // environment
		want string            // key of the problem; "" = valid
		then func(t *testing.T, c Config)
	}{
		{name: "defaults: no watermark", then: func(t *testing.T, c Config) {
			if w := c.Media.Watermark; w.Image != "" || w.Position != "bottom-right" || w.Opacity != 0.5 || w.Scale != 0.25 || c.WatermarkFile() != "" {
				t.Errorf("watermark %+v, file %q", w, c.WatermarkFile())
			}
		}},
		{name: "relative to the data directory", file: "[data]\ndir = '/srv/shop'\n[media.watermark]\nimage = 'brand/mark.png'\nposition = 'center'\nopacity = 1\nscale = 0.1\n",
			then: func(t *testing.T, c Config) {
				if c.WatermarkFile() != filepath.Join("/srv/shop", "brand/mark.png") || c.Media.Watermark.Opacity != 1 || c.Media.Watermark.Scale != 0.1 {
					t.Errorf("watermark %+v, file %q", c.Media.Watermark, c.WatermarkFile())
				}
			}},
		{name: "absolute path", file: "[media.watermark]\nimage = '/etc/shop/mark.png'\n", then: func(t *testing.T, c Config) {
			if c.WatermarkFile() != "/etc/shop/mark.png" {
				t.Errorf("file %q", c.WatermarkFile())
			}
		}},
		{name: "from the environment", env: map[string]string{"ULTRAMARKET_MEDIA_WATERMARK_OPACITY": " 0.75 ", "ULTRAMARKET_MEDIA_WATERMARK_POSITION": "top-left"},
			then: func(t *testing.T, c Config) {
				if c.Media.Watermark.Opacity != 0.75 || c.Media.Watermark.Position != "top-left" {
					t.Errorf("watermark %+v", c.Media.Watermark)
				}
			}},
		{name: "opacity not a number in the environment", env: map[string]string{"ULTRAMARKET_MEDIA_WATERMARK_OPACITY": "half"}, want: "ULTRAMARKET_MEDIA_WATERMARK_OPACITY"},
		{name: "unknown position", file: "[media.watermark]\nposition = 'middle'\n", want: "media.watermark.position"},
		{name: "opacity 0", file: "[media.watermark]\nopacity = 0\n", want: "media.watermark.opacity"},
		{name: "opacity above 1", file: "[media.watermark]\nopacity = 1.5\n", want: "media.watermark.opacity"},
		{name: "opacity nan", file: "[media.watermark]\nopacity = nan\n", want: "media.watermark.opacity"},
		{name: "scale negative", file: "[media.watermark]\nscale = -0.2\n", want: "media.watermark.scale"},
		{name: "scale above 1", file: "[media.watermark]\nscale = 2\n", want: "media.watermark.scale"},
		{name: "opacity as a string", file: "[media.watermark]\nopacity = 'half'\n", want: "media.watermark.opacity"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			c, err := load("c.toml", []byte(sc.file), func(k string) (string, bool) { v, ok := sc.env[k]; return v, ok })
			if sc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				sc.then(t, c)
				return
			}
			if err == nil || !strings.Contains(err.Error(), sc.want) {
				t.Fatalf("error %v, want one naming %s", err, sc.want)
			}
			var ve *ValidationError
			if errors.As(err, &ve) && (len(ve.Problems) != 1 || ve.Problems[0].Key != sc.want) {
				t.Errorf("problems %+v, want only %s", ve.Problems, sc.want)
			}
		})
	}
}
