module example.com/pipeline

go 1.26

require (
	github.com/mlsec-dev/mlsec v0.1.0
	github.com/sigstore/sigstore v1.10.11
	github.com/stretchr/testify v1.12.0
)
