#!/bin/sh
# Generates the test certificate chain of the software PSP model
# (tests/common/snp_psp_model.c): a made-up "AMD" root and signing keys
# shaped like AMD's real ones, so that lib/snp's chain and binding checks run
# on reports the model signs.  NOT AMD's keys; nothing here is secret.
#
#   model-ark.der          root (RSA-4096, self-signed, RSASSA-PSS SHA-384, salt 48)
#   model-ask.der          ASK  (RSA-4096, CA, pathlen 0, signed by the ARK)
#   model-asvk.der         ASVK (RSA-4096, CA, pathlen 0, signed by the ARK)
#   model-vcek.der         VCEK (P-384, serial 0, AMD extensions, Milan/Genoa
#                          TCB, 64-byte hwID, signed by the ASK)
#   model-vcek-turin.der   the same key as a Turin VCEK (fmcSPL, 8-byte hwID)
#   model-vlek.der         VLEK (P-384, serial 0, CSP ID, signed by the ASVK)
#   model-vcek-key.der, model-vlek-key.der   their private keys (PKCS#8 DER)
#
# The SPL values and the chip ID below are the model's defaults; keep them
# in step with tests/common/snp_psp_model.h (SNP_MODEL_*).  The CA private
# keys are thrown away.  Run from anywhere:  sh tests/data/snp/gen-model-chain.sh
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Chip ID: byte i = (0x40 + 3 * i) mod 256 (SNP_MODEL_CHIP_ID_BYTE in the model).
hwid=""
i=0
while [ $i -lt 64 ]; do
	hwid="$hwid$(printf '%02X' $(( (0x40 + 3 * i) & 0xff )))"
	i=$((i + 1))
done
hwid8=$(printf '%s' "$hwid" | cut -c1-16)

cat > "$tmp/ext.cnf" <<CNF
[ark]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ask]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[vcek]
1.3.6.1.4.1.3704.1.1 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.2 = ASN1:IA5STRING:Genoa
1.3.6.1.4.1.3704.1.3.1 = ASN1:INTEGER:10
1.3.6.1.4.1.3704.1.3.2 = ASN1:INTEGER:1
1.3.6.1.4.1.3704.1.3.4 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.3.5 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.3.6 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.3.7 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.3.3 = ASN1:INTEGER:23
1.3.6.1.4.1.3704.1.3.8 = ASN1:INTEGER:213
1.3.6.1.4.1.3704.1.4 = DER:$hwid
[vcek_turin]
1.3.6.1.4.1.3704.1.1 = ASN1:INTEGER:1
1.3.6.1.4.1.3704.1.2 = ASN1:IA5STRING:Turin
1.3.6.1.4.1.3704.1.3.1 = ASN1:INTEGER:10
1.3.6.1.4.1.3704.1.3.2 = ASN1:INTEGER:1
1.3.6.1.4.1.3704.1.3.3 = ASN1:INTEGER:23
1.3.6.1.4.1.3704.1.3.8 = ASN1:INTEGER:213
1.3.6.1.4.1.3704.1.3.9 = ASN1:INTEGER:2
1.3.6.1.4.1.3704.1.4 = DER:$hwid8
[vlek]
1.3.6.1.4.1.3704.1.1 = ASN1:INTEGER:0
1.3.6.1.4.1.3704.1.2 = ASN1:IA5STRING:Genoa
1.3.6.1.4.1.3704.1.3.1 = ASN1:INTEGER:11
1.3.6.1.4.1.3704.1.3.2 = ASN1:INTEGER:2
1.3.6.1.4.1.3704.1.3.3 = ASN1:INTEGER:24
1.3.6.1.4.1.3704.1.3.8 = ASN1:INTEGER:217
1.3.6.1.4.1.3704.1.5 = ASN1:IA5STRING:CN=husk-test-csp
CNF

dn="/OU=Engineering/C=US/L=Santa Clara/ST=CA/O=husk test chain (not AMD)"
pss="-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48 -sigopt rsa_mgf1_md:sha384"

for k in ark ask asvk; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$tmp/$k.key" 2>/dev/null
done
for k in vcek vlek; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/$k.key"
done

# shellcheck disable=SC2086
openssl req -x509 -new -key "$tmp/ark.key" $pss -subj "$dn/CN=ARK-Model" -days 9000 -set_serial 65536 \
	-config "$tmp/ext.cnf" -extensions ark -out "$tmp/ark.pem"
ca() { # name issuer-name subject-cn serial extensions
	openssl req -new -key "$tmp/$1.key" -subj "$dn/CN=$3" -out "$tmp/$1.csr"
	# shellcheck disable=SC2086
	openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.pem" -CAkey "$tmp/$2.key" $pss -days 9000 \
		-set_serial "$4" -extfile "$tmp/ext.cnf" -extensions "$5" -out "$tmp/$6.pem" 2>/dev/null
}
ca ask ark SEV-Model 65537 ask ask
ca asvk ark SEV-VLEK-Model 65793 ask asvk
ca vcek ask SEV-VCEK 0 vcek vcek
ca vcek ask SEV-VCEK 0 vcek_turin vcek-turin
ca vlek asvk SEV-VLEK 0 vlek vlek

for c in ark ask asvk vcek vcek-turin vlek; do
	openssl x509 -in "$tmp/$c.pem" -outform DER -out "model-$c.der"
done
for k in vcek vlek; do
	openssl pkcs8 -topk8 -nocrypt -in "$tmp/$k.key" -outform DER -out "model-$k-key.der"
done
openssl verify -no_check_time -CAfile "$tmp/ark.pem" -untrusted "$tmp/ask.pem" "$tmp/vcek.pem" "$tmp/vcek-turin.pem"
openssl verify -no_check_time -CAfile "$tmp/ark.pem" -untrusted "$tmp/asvk.pem" "$tmp/vlek.pem"
