package oci

import (
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"
)

// newVerifyReader checks size and digest of a streamed layer.
func newVerifyReader(r io.Reader, desc ocispec.Descriptor) *content.VerifyReader {
	return content.NewVerifyReader(r, desc)
}
