#!/bin/bash
# Builds the integration tests' images, offline, with umoci, into the OCI
# layout DIR/oci:
#   amd64   linux/amd64, two gzip layers (100 KiB random file + small files),
#           labels containers.bootc=1, ostree.bootable=true, a version label
#   arm64   linux/arm64, one layer, no bootc labels
#   multi   an OCI image index over amd64 and arm64 (written by hand: umoci
#           makes single manifests only), platform fields filled in
# and the same images as:
#   DIR/oci.tar           oci-archive (a tar of the layout)
#   DIR/docker.tar        docker-archive of amd64 (skopeo copy, tag team/app:v1)
#   usage: mkimages.sh DIR
set -eu -o pipefail
dir=$1
mkdir -p "$dir/src"
cd "$dir"
L=oci
created=2024-05-06T07:08:09Z

umoci init --layout $L

# amd64: two layers.
umoci new --image $L:amd64
umoci config --image $L:amd64 --os linux --architecture amd64 --created $created \
	--config.label containers.bootc=1 --config.label ostree.bootable=true \
	--config.label org.opencontainers.image.version=9.4 --config.label 'test.note=two layers'
mkdir -p src/a/etc/audit/rules.d src/a/usr/bin
head -c 102400 /dev/urandom >src/a/usr/bin/payload
echo '-w /etc/passwd -p wa -k identity' >src/a/etc/audit/rules.d/10-test.rules
umoci insert --image $L:amd64 src/a /
mkdir -p src/b/etc
echo 'bootgate integration test image' >src/b/etc/motd
umoci insert --image $L:amd64 src/b /

# arm64: one layer, no bootc labels.
umoci new --image $L:arm64
umoci config --image $L:arm64 --os linux --architecture arm64 --created $created \
	--config.label test.note=arm
mkdir -p src/c/etc
echo 'arm64 variant' >src/c/etc/motd
umoci insert --image $L:arm64 src/c /

umoci gc --layout $L

# multi: an index over the two manifests, added to index.json by hand.
python3 - "$L" <<'PY'
import hashlib, json, os, sys
layout = sys.argv[1]
with open(os.path.join(layout, "index.json")) as f:
    index = json.load(f)
by_name = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in index["manifests"]}
plats = {"amd64": {"architecture": "amd64", "os": "linux"},
         "arm64": {"architecture": "arm64", "os": "linux", "variant": "v8"}}
entries = []
for name in ("amd64", "arm64"):
    d = by_name[name]
    entries.append({"mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
                    "platform": plats[name]})
doc = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                  "manifests": entries}, separators=(",", ":")).encode()
hexd = hashlib.sha256(doc).hexdigest()
with open(os.path.join(layout, "blobs", "sha256", hexd), "wb") as f:
    f.write(doc)
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                           "digest": "sha256:" + hexd, "size": len(doc),
                           "annotations": {"org.opencontainers.image.ref.name": "multi"}})
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump(index, f, separators=(",", ":"))
PY

# The archives.
tar -C $L -cf oci.tar .
skopeo copy -q oci:$L:amd64 docker-archive:docker.tar:team/app:v1
rm -rf src
