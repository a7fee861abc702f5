"""Time ``verify_images`` on 50 tags against a loop of ``skopeo inspect --raw`` on the same tags.

Starts a throwaway docker-registry on loopback, pushes 50 two-platform indexes (with attestation
entries), then times:
  onetag:  verify_images(50 tags, linux/amd64 + linux/arm64)  -- index GET + HEAD per platform
  skopeo:  for each tag, ``skopeo inspect --raw --tls-verify=false docker://HOST/REPO:TAG``
           (which only fetches the index and checks nothing)
and prints both times and their ratio. Usage: .venv/bin/python bench/verify_bench.py [--tags N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from onetag.verify.platforms import verify_images  # noqa: E402
from tests.registry_fixtures import push_image, start_registry, stop_registry  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--deep", action="store_true", help="time onetag with --deep too")
    args = parser.parse_args()
    if not shutil.which("skopeo"):
        print("verify_bench: skopeo is not installed (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        reg = start_registry(Path(tmp))
        try:
            images = []
            for i in range(args.tags):
                push_image(reg, "bench/app", f"v{i}")
                images.append(f"{reg.host}/bench/app:v{i}")
            platforms = ["linux/amd64", "linux/arm64"]

            start = time.perf_counter()
            verdicts = verify_images(images, platforms)
            ours = time.perf_counter() - start
            assert all(v.ok for v in verdicts), [v.problems for v in verdicts if not v.ok]
            deep = None
            if args.deep:
                start = time.perf_counter()
                assert all(v.ok for v in verify_images(images, platforms, deep=True))
                deep = time.perf_counter() - start

            start = time.perf_counter()
            for image in images:
                subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{image}"],
                               check=True, capture_output=True)
            theirs = time.perf_counter() - start
        finally:
            stop_registry(reg)
    print(f"tags: {args.tags} (2 platforms each, plus attestation entries)")
    print(f"onetag verify_images:        {ours:7.3f} s  ({ours / args.tags * 1000:6.1f} ms/tag)")
    if deep is not None:
        print(f"onetag verify_images --deep: {deep:7.3f} s  ({deep / args.tags * 1000:6.1f} ms/tag)")
    print(f"skopeo inspect --raw loop:   {theirs:7.3f} s  ({theirs / args.tags * 1000:6.1f} ms/tag)")
    print(f"ratio (skopeo / onetag):     {theirs / ours:7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
