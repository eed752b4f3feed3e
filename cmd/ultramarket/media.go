package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	uhttp "github.com/ultramarket/ultramarket/http"
)

func newMediaCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "media", Short: "Add files to the media store"}
	var owner string
	put := &cobra.Command{
		Use:   "put FILE",
		Short: "Store an image; prints its ID (the SHA-256 of the stored bytes)",
		Long: `Store an image in the media store. The content is checked by its bytes, not its name:
JPEG, PNG, GIF and WebP are accepted, re-encoded (dropping EXIF) and refused over
media.max_upload bytes or media.max_pixels pixels. It is then served at
/api/v1/media/<id> and /api/v1/media/<id>/<variant>.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, ops uhttp.AdminOps) error {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				m, err := ops.PutMedia(ctx, f, owner)
				if err != nil {
					return fmt.Errorf("%s: %w", args[0], err)
				}
				fmt.Fprintf(g.stdout, "%s %s %dx%d %d bytes\n", m.ID, m.ContentType, m.Width, m.Height, m.Size)
				return nil
			})
		},
	}
	put.Flags().StringVar(&owner, "owner", "", "who the file belongs to (e.g. a product ID)")
	cmd.AddCommand(put)
	return cmd
}
