"""verify: prove that an image tag resolves on every required platform, against the registry."""
