#!/bin/bash
# bootgate inspect against skopeo on the same images, for all four
# transports (docker://, oci:, oci-archive:, docker-archive:) and all four
# manifest kinds (OCI manifest, OCI index, Docker schema2, Docker list),
# through a real docker-registry with TLS from a CA made here.  Also: TLS
# verification, digest pinning, platform selection, --raw, and usage errors.
#   usage: test-transports.sh BOOTGATE
. "$(dirname "$0")/lib.sh"
require_tools docker-registry skopeo umoci openssl python3 jq curl
it_init

make_pki || { echo "Bail out! cannot make the test CA"; exit 1; }
start_registry reg plain || { echo "Bail out! docker-registry did not start"; exit 1; }
H=127.0.0.1:$REG_PORT
push_test_images "$H" || { echo "Bail out! cannot push the test images"; exit 1; }
IMG=$WORK/img
CERTS=(--cert-dir "$WORK/certs")

# compare BOOTGATE-IMAGE SKOPEO-IMAGE KIND [PLATFORM]: one inspect, checked
# against skopeo's view of the same image.  KIND: index (the reference
# names an index) | single | synth (docker-archive: the manifest is made
# up by the reader, so its digest is not comparable; config and layers are).
compare() {
	local bimg=$1 simg=$2 kind=$3 plat=${4:-} label=$1 sargs=() bargs=() _os arch=amd64 variant=
	[ -n "$plat" ] && label="$label ($plat)"
	case $simg in docker://*) sargs=("${CERTS[@]}") ;; esac
	if [ -n "$plat" ]; then
		bargs=(--platform "$plat")
		IFS=/ read -r _os arch variant <<<"$plat"
		sargs+=(--override-arch "$arch")
		[ -n "$variant" ] && sargs+=(--override-variant "$variant")
	fi
	if ! { skopeo inspect --raw "${sargs[@]}" "$simg" >"$WORK/s.raw" 2>"$WORK/s.err" &&
		skopeo inspect "${sargs[@]}" "$simg" >"$WORK/s.json" 2>>"$WORK/s.err" &&
		skopeo inspect --config --raw "${sargs[@]}" "$simg" >"$WORK/s.config" 2>>"$WORK/s.err"; }; then
		ok 1 "$label: skopeo inspect works"
		sed 's/^/#   /' "$WORK/s.err"
		return
	fi
	local raw_digest config_digest
	raw_digest=$(sha256_of "$WORK/s.raw")
	config_digest=$(sha256_of "$WORK/s.config")

	bg inspect --format json "${CERTS[@]}" "${bargs[@]}" "$bimg"
	is "$RC" 0 "$label: inspect exits 0"
	[ "$RC" = 0 ] || return
	cp "$WORK/out" "$WORK/b.json"
	case $kind in
	index)
		is "$(json_field index_digest)" "$raw_digest" "$label: index digest = sha256(skopeo inspect --raw)"
		is "$(json_field index_digest)" "$(jq -r .Digest "$WORK/s.json")" "$label: index digest = skopeo Digest"
		local want
		want=$(jq -r --arg a "$arch" '[.manifests[] | select(.platform.architecture == $a)][0].digest' "$WORK/s.raw")
		is "$(json_field manifest_digest)" "$want" "$label: manifest digest = the index entry for the platform"
		;;
	single)
		is "$(json_field index_digest)" "" "$label: no index digest"
		is "$(json_field manifest_digest)" "$raw_digest" "$label: manifest digest = sha256(skopeo inspect --raw)"
		is "$(json_field manifest_digest)" "$(jq -r .Digest "$WORK/s.json")" "$label: manifest digest = skopeo Digest"
		is "$(json_field media_type)" "$(jq -r '.mediaType // "application/vnd.oci.image.manifest.v1+json"' "$WORK/s.raw")" "$label: media type = the manifest's (OCI when it has none)"
		is "$(jq -c '[.layers[] | [.digest, .size, .media_type]]' "$WORK/b.json")" \
			"$(jq -c '[.layers[] | [.digest, .size, .mediaType]]' "$WORK/s.raw")" \
			"$label: layer sizes and media types = the manifest's"
		;;
	synth)
		is "$(json_field index_digest)" "" "$label: no index digest"
		;;
	esac
	is "$(json_field config_digest)" "$config_digest" "$label: config digest = sha256(skopeo inspect --config --raw)"
	is "$(jq -c '[.layers[].digest]' "$WORK/b.json")" "$(jq -c .Layers "$WORK/s.json")" \
		"$label: layer digests = skopeo Layers"
	is "$(jq -S -c '.labels' "$WORK/b.json")" "$(jq -S -c '.Labels // {}' "$WORK/s.json")" "$label: labels = skopeo Labels"
	is "$(json_field created)" "$(jq -r .Created "$WORK/s.json")" "$label: created = skopeo Created"
	is "$(json_field platform | cut -d/ -f1-2)" "$(jq -r '.Os + "/" + .Architecture' "$WORK/s.json")" \
		"$label: platform = skopeo Os/Architecture"
	if [ "$kind" != synth ]; then
		bg inspect --raw "${CERTS[@]}" "${bargs[@]}" "$bimg"
		is "$RC" 0 "$label: --raw exits 0"
		cmp -s "$WORK/out" "$WORK/s.raw"
		ok $? "$label: --raw bytes = skopeo inspect --raw bytes"
	fi
}

for t in oci v2s2; do
	compare "docker://$H/team/app:$t" "docker://$H/team/app:$t" single
	compare "docker://$H/team/multi:$t" "docker://$H/team/multi:$t" index
	compare "docker://$H/team/multi:$t" "docker://$H/team/multi:$t" index linux/arm64/v8
done
compare "oci:$IMG/oci:amd64" "oci:$IMG/oci:amd64" single
compare "oci:$IMG/oci:multi" "oci:$IMG/oci:multi" index
compare "oci:$IMG/oci:multi" "oci:$IMG/oci:multi" index linux/arm64/v8
compare "oci-archive:$IMG/oci.tar:amd64" "oci-archive:$IMG/oci.tar:amd64" single
compare "oci-archive:$IMG/oci.tar:multi" "oci-archive:$IMG/oci.tar:multi" index
compare "docker-archive:$IMG/docker.tar" "docker-archive:$IMG/docker.tar" synth

# A bare reference means docker://.
bg inspect --format json "${CERTS[@]}" "$H/team/app:oci"
is "$RC" 0 "bare reference: exit 0"
is "$(json_field transport)" docker "bare reference: transport docker"
is "$(json_field reference)" "$H/team/app:oci" "bare reference: reference printed as normalised"

# Pinned by digest, and tag+digest.
app=$(skopeo inspect --raw "${CERTS[@]}" "docker://$H/team/app:oci" | sha256sum | cut -d' ' -f1)
bg inspect --format json "${CERTS[@]}" "docker://$H/team/app@sha256:$app"
is "$RC/$(json_field manifest_digest)" "0/sha256:$app" "by digest: exit 0, same digest"
bg inspect --format json "${CERTS[@]}" "docker://$H/team/app:oci@sha256:$app"
is "$RC/$(json_field manifest_digest)" "0/sha256:$app" "tag+digest: exit 0, same digest"
zero=$(printf '0%.0s' $(seq 64))
bg inspect "${CERTS[@]}" "docker://$H/team/app@sha256:$zero"
is "$RC" 3 "unknown digest: exit 3"
err_has "https://$H/v2/team/app/manifests/sha256:$zero"
ok $? "unknown digest: the message names the URL"
bg inspect "${CERTS[@]}" "docker://$H/team/nothere:v1"
is "$RC" 3 "unknown repository: exit 3"
bg inspect "${CERTS[@]}" "docker://$H/team/app:nosuchtag"
is "$RC" 3 "unknown tag: exit 3"
err_has "https://$H/v2/team/app/manifests/nosuchtag"
ok $? "unknown tag: the message names the URL"

# Platforms.
bg inspect --format json "${CERTS[@]}" --platform linux/s390x "docker://$H/team/multi:oci"
is "$RC" 3 "platform not in the index: exit 3"
err_has "linux/amd64" && err_has "linux/arm64"
ok $? "platform not in the index: the message lists what the index offers"
bg inspect --format json "${CERTS[@]}" --platform linux/arm64 "oci:$IMG/oci:multi"
is "$RC/$(json_field platform)" "0/linux/arm64" "arm64 without a variant matches the v8 entry"

# Bootc labels.
bg inspect --format json "oci:$IMG/oci:amd64"
is "$(json_field bootc)" true "containers.bootc=1: bootc true"
bg inspect --format json "oci:$IMG/oci:arm64"
is "$(jq -r .bootc "$WORK/out")" false "no bootc labels: bootc false"

# Text output.
bg inspect "${CERTS[@]}" "docker://$H/team/multi:oci"
is "$RC" 0 "text: exit 0"
for field in "Reference:" "Transport:        docker" "Index digest:     sha256:" "Manifest digest:  sha256:" \
	"Media type:" "Platform:         linux/amd64" "Config digest:    sha256:" "Created:          2024-05-06T07:08:09Z" \
	"Bootc image:      yes" "  containers.bootc=1" "  ostree.bootable=true" "Layers:           2"; do
	grep -qF -- "$field" "$WORK/out"
	ok $? "text output has '$field'"
done
bg inspect "${CERTS[@]}" "docker://$H/team/app:oci"
! grep -q "Index digest" "$WORK/out"
ok $? "text: no index digest line for a single manifest"

# --fetch-blobs reads and verifies every layer on each transport.
for img in "docker://$H/team/app:oci" "docker://$H/team/multi:v2s2" "oci:$IMG/oci:amd64" \
	"oci-archive:$IMG/oci.tar:amd64" "docker-archive:$IMG/docker.tar"; do
	bg inspect --format json --fetch-blobs "${CERTS[@]}" "$img"
	is "$RC/$(json_field blobs_verified)" "0/true" "--fetch-blobs $img"
done

# TLS: verified against the system CAs unless --cert-dir / --tls-verify=false.
bg inspect "docker://$H/team/app:oci"
is "$RC" 3 "TLS: a CA the system does not know: exit 3"
err_has "certificate" || err_has "TLS" || err_has "SSL"
ok $? "TLS: the message says it is about the certificate"
bg inspect --tls-verify=false "docker://$H/team/app:oci"
is "$RC" 0 "TLS: --tls-verify=false: exit 0"
mkdir -p "$WORK/othercerts"
cp "$WORK/pki/tok.crt" "$WORK/othercerts/other.crt"
bg inspect --cert-dir "$WORK/othercerts" "docker://$H/team/app:oci"
is "$RC" 3 "TLS: --cert-dir with an unrelated CA: exit 3"

# Local transports: missing things are exit 3, not crashes.
bg inspect "oci:$IMG/oci:nosuchname"
is "$RC" 3 "oci: unknown name: exit 3"
bg inspect "oci:$WORK/does-not-exist:x"
is "$RC" 3 "oci: missing directory: exit 3"
bg inspect "oci-archive:$WORK/does-not-exist.tar"
is "$RC" 3 "oci-archive: missing file: exit 3"
head -c 5000 "$IMG/oci.tar" >"$WORK/short.tar"
bg inspect "oci-archive:$WORK/short.tar:amd64"
is "$RC" 3 "oci-archive: truncated tar: exit 3"

# Usage errors: exit 2.
bg inspect
is "$RC" 2 "no image: exit 2"
bg inspect a b
is "$RC" 2 "two images: exit 2"
bg inspect --format yaml "oci:$IMG/oci:amd64"
is "$RC" 2 "--format yaml: exit 2"
bg inspect --platform linux "oci:$IMG/oci:amd64"
is "$RC" 2 "--platform without an architecture: exit 2"
bg inspect "dir:$IMG"
is "$RC" 2 "dir: transport: exit 2"
bg inspect --raw --format json "oci:$IMG/oci:amd64"
is "$RC" 2 "--raw with --format: exit 2"
bg inspect --tls-verify=maybe "oci:$IMG/oci:amd64"
is "$RC" 2 "--tls-verify=maybe: exit 2"
bg inspect --max-attempts 0 "oci:$IMG/oci:amd64"
is "$RC" 2 "--max-attempts 0: exit 2"
bg inspect --creds nopass "oci:$IMG/oci:amd64"
is "$RC" 2 "--creds USER without a password anywhere: exit 2"
bg inspect --help
is "$RC" 0 "--help: exit 0"
for o in --format --raw --platform --fetch-blobs --authfile --creds --cert-dir --tls-verify=false \
	--max-attempts --deadline --connect-timeout --low-speed-time --quiet; do
	grep -qF -- "$o" "$WORK/out"
	ok $? "--help documents $o"
done

done_testing
