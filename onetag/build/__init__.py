"""Build layer: plans (argv lists), backends (buildx, buildah, podman), runner, doctor, CI workflows."""
