package app

import (
	"context"
	"io"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/catalog"
	"github.com/ultramarket/ultramarket/commerce/vendors"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/store"
)

// openVendors sets up the vendor service on the store, with KYC documents kept as private
// blobs of the media store. Vendor slugs are made like product slugs.
func (a *App) openVendors(context.Context) error {
	a.Vendors = vendors.NewService(store.NewVendors(a.DB), privateBlobs{a.Media}, commerce.SystemClock{}, catalog.Slugify)
	return nil
}

// privateBlobs gives the vendor service the media store's private blobs.
type privateBlobs struct{ m *media.Store }

func (b privateBlobs) PutPrivate(ctx context.Context, r io.Reader, allowed []string) (string, string, int64, error) {
	m, err := b.m.PutPrivate(ctx, r, allowed)
	return m.ID, m.ContentType, m.Size, err
}

func (b privateBlobs) OpenPrivate(ctx context.Context, id string) (io.ReadSeekCloser, error) {
	_, f, err := b.m.OpenPrivate(ctx, id)
	return f, err
}
