//go:build !unix

package hashing

const (
	openNoFollow = 0
	openNonBlock = 0
)
