#!/bin/sh
# Regenerates the key files in this directory with OpenSSL (an
# implementation independent of mlsec's parser). Test keys only.
set -eu
PW=mlsec-test-password
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out good_p256_pkcs8.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 | openssl ec -out good_p384_sec1.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 | openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout pass:$PW -out good_p521_pkcs8_pbkdf2_aes256.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 | openssl pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA1 -iter 1000 -passout pass:$PW -out good_p384_pkcs8_pbkdf2sha1_aes128.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl pkcs8 -topk8 -v2 aes-192-cbc -scrypt -passout pass:$PW -out good_p256_pkcs8_scrypt_aes192.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 | openssl ec -aes256 -passout pass:$PW -out good_p256_sec1_legacy_aes256.pem
for f in good_*.pem; do
	openssl pkey -in "$f" -passin pass:$PW -pubout -out "${f%.pem}.pub"
done
