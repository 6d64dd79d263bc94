module github.com/mlsec-dev/mlsec

go 1.26

require (
	github.com/rogpeppe/go-internal v1.16.0
	github.com/secure-systems-lab/go-securesystemslib v0.11.1
	github.com/sigstore/sigstore v1.10.4
	github.com/stretchr/testify v1.12.0
	github.com/zeebo/blake3 v0.2.4
	golang.org/x/crypto v0.55.0
)

require (
	github.com/google/go-containerregistry v0.20.7 // indirect
	github.com/klauspost/cpuid/v2 v2.0.12 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/sigstore/protobuf-specs v0.5.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/term v0.45.0 // indirect
	golang.org/x/tools v0.39.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20250825161204-c5933d9347a5 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
