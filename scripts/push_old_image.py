"""Push a tiny single-platform image, the kind a project published per architecture before onetag.

usage: push_old_image.py HOST[:PORT]/REPO:TAG [OS/ARCH]   (default linux/arm64; used by demo_build.sh)
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile

from onetag.imageref import parse_normalized
from onetag.verify.client import OCI_MANIFEST, RegistryClient, sha256_digest


def _layer(text: str) -> tuple[bytes, bytes]:
    """(gzipped tar with one file, the uncompressed tar) for a reproducible layer."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0), raw


def main(argv: list[str]) -> int:
    ref = parse_normalized(argv[0])
    os_name, arch = (argv[1] if len(argv) > 1 else "linux/arm64").split("/")[:2]
    layer, raw = _layer(f"the old {arch}-only image\n")
    config = json.dumps({"os": os_name, "architecture": arch, "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [sha256_digest(raw)]}}).encode()
    with RegistryClient() as client:
        host, repo = ref.registry_host, ref.repository
        client.put_blob(host, repo, layer)
        client.put_blob(host, repo, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256_digest(config), "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256_digest(layer), "size": len(layer)}],
        }).encode()
        digest = client.put_manifest(host, repo, ref.tag or "latest", manifest, OCI_MANIFEST)
    print(f"pushed {argv[0]} ({os_name}/{arch} only) {digest[:19]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
