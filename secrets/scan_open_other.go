//go:build !unix

package secrets

const (
	openNoFollow = 0
	openNonBlock = 0
)
